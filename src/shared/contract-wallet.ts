/** The wallet part of the contract (docs/spec/wallet.md): the wallet source, the address pool, unattributed payments. */
import { z } from 'zod';
import { AddressOriginSchema, AddressStateSchema, Cursor, CursorParam, Limit, NetworkSchema, WalletKindSchema, type MethodDef } from './contract-common.ts';
import { PaymentSchema } from './contract-invoices.ts';
import { WalletInputSchema } from './contract-counter.ts';

export const WalletSchema = z.object({
  kind: WalletKindSchema,
  network: NetworkSchema,
  script: z.string().nullable(),
  source: z.string().nullable(),
  first_addresses: z.array(z.string()),
  next_index: z.number().int().nullable(),
  gap: z.number().int(),
  gap_warning: z.string().nullable(),
});

export const AddressRowSchema = z.object({
  address: z.string(),
  state: AddressStateSchema,
  invoice_id: z.string().nullable(),
  origin: AddressOriginSchema,
  index: z.number().int().nullable(),
});

export const walletMethods = {
  getWallet: { http: { method: 'GET', path: '/wallet' }, response: WalletSchema },
  putWallet: {
    http: { method: 'PUT', path: '/wallet' },
    body: WalletInputSchema,
    response: WalletSchema,
  },
  listAddresses: {
    http: { method: 'GET', path: '/addresses' },
    query: z.strictObject({ state: AddressStateSchema.optional(), limit: Limit, cursor: CursorParam }),
    response: z.object({ addresses: z.array(AddressRowSchema), next_cursor: Cursor }),
  },
  addAddresses: {
    http: { method: 'POST', path: '/addresses' },
    body: z.strictObject({ addresses: z.array(z.unknown()).min(1).max(10_000) }),
    response: z.object({
      results: z.array(z.object({ address: z.string(), result: z.enum(['added', 'duplicate', 'invalid']), reason: z.string().optional() })),
    }),
  },
  deleteAddress: {
    http: { method: 'DELETE', path: '/addresses/:address' },
    params: z.strictObject({ address: z.string().min(1).max(200) }),
    response: z.object({ address: z.string(), state: AddressStateSchema }),
  },
  unattributedPayments: {
    http: { method: 'GET', path: '/payments/unattributed' },
    query: z.strictObject({ limit: Limit, cursor: CursorParam }),
    response: z.object({
      payments: z.array(PaymentSchema.extend({ address: z.string() })),
      next_cursor: Cursor,
    }),
  },
} satisfies Record<string, MethodDef>;
