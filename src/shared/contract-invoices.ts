/** The invoices part of the contract (docs/spec/invoices.md): invoices, payments, refunds, exports. */
import { z } from 'zod';
import { SaleLineSchema, TipSchema } from './contract-counter.ts';
import { BooksFilterShape, InvoiceBookShape, PaymentBookShape, RefundSchema } from './contract-books.ts';
import { InvoiceFiatSchema } from './contract-rates.ts';
import { Cursor, CursorParam, Empty, IdParam, InvoiceFlagSchema, InvoiceStatusSchema, ISO, Limit, MarkActionSchema, type MethodDef } from './contract-common.ts';

export const PaymentSchema = z.object({
  txid: z.string(),
  sats: z.number().int(),
  height: z.number().int(),
  confirmations: z.number().int(),
  time: ISO,
  rbf: z.boolean(),
  counted: z.boolean(),
  ...PaymentBookShape,
});

export const InvoiceSchema = z.object({
  id: z.string(),
  status: InvoiceStatusSchema,
  flags: z.array(InvoiceFlagSchema),
  amount_sats: z.number().int(),
  amount_btc: z.string(),
  fiat: InvoiceFiatSchema.nullable(),
  label: z.string(),
  userdata: z.string(),
  address: z.string(),
  bip21: z.string(),
  created_at: ISO,
  expires_at: ISO,
  confirmations_required: z.number().int(),
  /** what the request asked for; differs from confirmations_required when the 0-conf policy capped it */
  confirmations_requested: z.number().int(),
  /** why confirmations_required differs from confirmations_requested (docs/spec/invoices.md "0-conf") */
  confirmations_note: z.string().nullable(),
  tolerance_pct: z.number(),
  paid_sats: z.number().int(),
  confirmed_sats: z.number().int(),
  missing_sats: z.number().int(),
  overpaid_sats: z.number().int(),
  ...InvoiceBookShape,
  note: z.string(),
  refund_policy: z.string(),
  refunds: z.array(RefundSchema),
  payments: z.array(PaymentSchema),
  /** A till sale's extras (docs/counter.md): the tip's share of amount_sats, quick-item lines, till, cash-desk note. */
  tip: TipSchema.nullable(),
  items: z.array(SaleLineSchema).nullable(),
  till_id: z.string().nullable(),
  desk_note: z.string(),
});
export type Invoice = z.infer<typeof InvoiceSchema>;

const SatsLike = z.unknown();

export const CreateInvoiceSchema = z.strictObject({
  amount_sats: SatsLike.optional(),
  amount_btc: SatsLike.optional(),
  amount_fiat: SatsLike.optional(),
  currency: z.string().min(3).max(8).optional(),
  label: z.string().max(256).optional(),
  userdata: z.string().max(256).optional(),
  expires_in_s: z.number().int().min(1).max(2_592_000).optional(),
  confirmations: z.number().int().min(0).max(100).optional(),
  tolerance_pct: z.number().min(0).max(100).optional(),
  /** Added on top of the amount and kept apart: tip_fiat with amount_fiat, tip_sats with amount_sats/amount_btc. */
  tip_fiat: z.string().max(20).optional(),
  tip_sats: z.number().int().min(0).optional(),
  items: z.array(SaleLineSchema).min(1).max(100).optional(),
  /** The till selling it: its customer display shows this invoice. */
  till_id: z.string().min(1).max(100).optional(),
});
export type CreateInvoiceRequest = z.infer<typeof CreateInvoiceSchema>;

export const invoiceMethods = {
  createInvoice: {
    http: { method: 'POST', path: '/invoices', status: 201 },
    roles: ['owner', 'cashier'],
    body: CreateInvoiceSchema,
    headers: ['idempotency-key'],
    response: InvoiceSchema,
  },
  listInvoices: {
    http: { method: 'GET', path: '/invoices' },
    roles: ['owner', 'cashier'],
    query: z.strictObject({
      ...BooksFilterShape,
      limit: Limit,
      cursor: CursorParam,
    }),
    response: z.object({ invoices: z.array(InvoiceSchema), next_cursor: Cursor }),
  },
  getInvoice: { http: { method: 'GET', path: '/invoices/:id' }, roles: ['owner', 'cashier'], params: IdParam, response: InvoiceSchema },
  cancelInvoice: {
    http: { method: 'POST', path: '/invoices/:id/cancel' },
    roles: ['owner', 'cashier'],
    params: IdParam,
    body: Empty.optional(),
    response: InvoiceSchema,
  },
  markInvoice: {
    http: { method: 'POST', path: '/invoices/:id/mark' },
    params: IdParam,
    body: z.strictObject({
      status: MarkActionSchema,
      note: z.string().max(2000).default(''),
    }),
    response: InvoiceSchema,
  },
} satisfies Record<string, MethodDef>;
