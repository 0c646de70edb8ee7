/**
 * The counter's part of the contract (docs/counter.md): roles and their tokens, device pairing, tills and the
 * customer display, tips and quick items, receipts. `contract.ts` spreads these methods into the one table; every
 * method names the roles that may call it (`roles`; absent = owner only).
 */
import { z } from 'zod';
import type { MethodDef } from './contract.ts';
import type { Role } from '../core/vocabulary.ts';

import { RoleSchema } from './contract-common.ts';

export { RoleSchema };
export { ROLES, type Role } from '../core/vocabulary.ts';

/** Who is calling: the owner's own token (or the desktop app), or a token the owner created. */
export interface Principal {
  role: Role;
  /** The api_tokens row, null for the data dir's owner token and the desktop app. */
  tokenId: string | null;
  name: string;
  /** A cashier or display token bound to one till. */
  tillId: string | null;
}

export const OWNER: Principal = { role: 'owner', tokenId: null, name: 'owner', tillId: null };

const Decimal = z.string().regex(/^\d{1,12}(\.\d{1,8})?$/, 'a price is a decimal number such as "3.50"');
const Id = z.string().min(1).max(100);

export const SaleLineSchema = z.strictObject({
  name: z.string().trim().min(1).max(60),
  qty: z.number().int().min(1).max(999),
  price: Decimal,
});
export type SaleLine = z.infer<typeof SaleLineSchema>;

export const TipSchema = z.object({ sats: z.number().int(), fiat: z.string().nullable() });

export const QuickItemSchema = z.strictObject({ name: z.string().trim().min(1, 'an item needs a name').max(60), price: Decimal });

export const CounterSettingsSchema = z.object({
  shop_name: z.string().max(80),
  tips: z.object({ enabled: z.boolean(), presets_pct: z.array(z.number().int().min(1).max(100)).max(4) }),
  quick_items: z.array(QuickItemSchema).max(48),
  /** How long the customer display shows "Paid — thank you" before it returns to idle. */
  paid_screen_s: z.number().int().min(3).max(600),
});
export type CounterSettings = z.infer<typeof CounterSettingsSchema>;

export const PatchCounterSettingsSchema = z.strictObject({
  shop_name: z.string().max(80),
  tips: z.strictObject({
    enabled: z.boolean(),
    presets_pct: z
      .array(z.number().int().min(1, 'a tip is at least 1 %').max(100, 'a tip is at most 100 %'))
      .max(4, 'at most 4 tip buttons')
      .refine((a) => new Set(a).size === a.length, 'each tip percentage once'),
  }).partial(),
  quick_items: z.array(QuickItemSchema).max(48, 'at most 48 quick items'),
  paid_screen_s: z.number().int().min(3).max(600),
}).partial();

export const DEFAULT_COUNTER_SETTINGS: CounterSettings = {
  shop_name: '',
  tips: { enabled: false, presets_pct: [10, 15, 20] },
  quick_items: [],
  paid_screen_s: 10,
};

export const TillSchema = z.object({ id: z.string(), name: z.string(), current_invoice_id: z.string().nullable() });
export type Till = z.infer<typeof TillSchema>;

export const TokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: RoleSchema,
  till_id: z.string().nullable(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  paired: z.boolean(),
  revoked: z.boolean(),
});
export type ApiTokenView = z.infer<typeof TokenSchema>;

export const PairingSchema = z.object({
  code: z.string(),
  expires_at: z.string(),
  /** Where a device opens the console to redeem the code (append to the console's origin). */
  path: z.string(),
  /** SHA-256 of the HTTPS certificate (`serve --lan`), AA:BB:…; null on plain HTTP. */
  fingerprint: z.string().nullable(),
});

const ChainBannerSchema = z.object({
  /** false: payments may go unseen, say so loudly and take no payment. */
  ok: z.boolean(),
  message: z.string().nullable(),
});

/** What the customer display may see of a sale: no order reference, notes or payment internals. */
export const DisplaySaleSchema = z.object({
  id: z.string(),
  status: z.enum(['unpaid', 'partial', 'paid', 'confirmed', 'expired', 'invalid', 'cancelled']),
  amount_sats: z.number().int(),
  amount_btc: z.string(),
  fiat: z.object({ amount: z.string(), currency: z.string(), rate: z.string() }).nullable(),
  tip: TipSchema.nullable(),
  label: z.string(),
  items: z.array(SaleLineSchema).nullable(),
  address: z.string(),
  bip21: z.string(),
  expires_at: z.string(),
  paid_sats: z.number().int(),
  missing_sats: z.number().int(),
  confirmations_required: z.number().int(),
  receipt_path: z.string().nullable(),
});
export type DisplaySale = z.infer<typeof DisplaySaleSchema>;

export const TipPromptSchema = z.strictObject({
  amount_sats: z.number().int().min(1).max(2_100_000_000_000_000),
  amount_fiat: Decimal.nullable(),
  currency: z.string().regex(/^[A-Z]{3,8}$/).nullable(),
});

export const DisplayStateSchema = z.object({
  /** Opaque; pass it back as `after` to wait for the next change. */
  version: z.string(),
  till: z.object({ id: z.string(), name: z.string() }),
  shop_name: z.string(),
  stage: z.enum(['idle', 'tip', 'sale']),
  prompt: TipPromptSchema.extend({ presets_pct: z.array(z.number().int()) }).nullable(),
  sale: DisplaySaleSchema.nullable(),
  chain: ChainBannerSchema,
  refund_policy: z.string(),
  paid_screen_s: z.number().int(),
});
export type DisplayState = z.infer<typeof DisplayStateSchema>;

export const ReceiptSchema = z.object({
  shop_name: z.string(),
  network: z.string(),
  id: z.string(),
  created_at: z.string(),
  status: DisplaySaleSchema.shape.status,
  amount_sats: z.number().int(),
  amount_btc: z.string(),
  fiat: z.object({ amount: z.string(), currency: z.string(), rate: z.string() }).nullable(),
  tip: TipSchema.nullable(),
  label: z.string(),
  items: z.array(SaleLineSchema).nullable(),
  address: z.string(),
  paid_sats: z.number().int(),
  payments: z.array(z.object({ txid: z.string(), sats: z.number().int(), confirmations: z.number().int(), time: z.string() })),
  refund_policy: z.string(),
});
export type Receipt = z.infer<typeof ReceiptSchema>;

export const CounterConfigSchema = z.object({
  shop_name: z.string(),
  network: z.string(),
  currency: z.string(),
  /** The rate a fiat sale converts at now, or null when none is set. */
  rate: z.string().nullable(),
  /** Why there is no rate (a stale live rate says how old it is: docs/rates.md), when `rate` is null. */
  rate_message: z.string().nullable(),
  decimals: z.number().int(),
  /** The smallest invoice this wallet can be paid (the dust limit of its address type). */
  min_sats: z.number().int(),
  tips: CounterSettingsSchema.shape.tips,
  quick_items: z.array(QuickItemSchema),
  refund_policy: z.string(),
  paid_screen_s: z.number().int(),
});
export type CounterConfig = z.infer<typeof CounterConfigSchema>;

/** `script` chooses the address type of a plain xpub/tpub (which says nothing about it); other keys must agree. */
export const WalletInputSchema = z.strictObject({
  xpub: z.string().min(1).max(4000),
  script: z.enum(['p2pkh', 'p2sh-p2wpkh', 'p2wpkh', 'p2tr']).optional(),
});

export const WhoamiSchema = z.object({ role: RoleSchema, name: z.string(), till: TillSchema.nullable() });

const SELLERS = ['owner', 'cashier'] as const satisfies readonly Role[];
const EVERYONE = ['owner', 'cashier', 'display'] as const satisfies readonly Role[];
const IdParam = z.strictObject({ id: Id });

export const counterMethods = {
  whoami: { http: { method: 'GET', path: '/me' }, roles: EVERYONE, response: WhoamiSchema },
  counterConfig: { http: { method: 'GET', path: '/counter' }, roles: SELLERS, response: CounterConfigSchema },
  listTills: { http: { method: 'GET', path: '/tills' }, roles: SELLERS, response: z.object({ tills: z.array(TillSchema) }) },
  createTill: {
    http: { method: 'POST', path: '/tills', status: 201 },
    body: z.strictObject({ name: z.string().trim().min(1, 'a till needs a name').max(40) }),
    response: TillSchema,
  },
  patchTill: {
    http: { method: 'PATCH', path: '/tills/:id' },
    params: IdParam,
    body: z.strictObject({ name: z.string().trim().min(1, 'a till needs a name').max(40) }),
    response: TillSchema,
  },
  deleteTill: { http: { method: 'DELETE', path: '/tills/:id' }, params: IdParam, response: z.object({ id: z.string(), deleted: z.literal(true) }) },
  setTillSale: {
    http: { method: 'PUT', path: '/tills/:id/sale' },
    roles: SELLERS,
    params: IdParam,
    body: z.strictObject({ invoice_id: Id.nullable(), prompt: TipPromptSchema.nullable().optional() }),
    response: TillSchema,
  },
  displayState: {
    http: { method: 'GET', path: '/display' },
    roles: EVERYONE,
    query: z.strictObject({ till: Id.optional(), after: z.string().max(100).optional() }),
    response: DisplayStateSchema,
  },
  createReceipt: {
    http: { method: 'POST', path: '/invoices/:id/receipt' },
    roles: SELLERS,
    params: IdParam,
    body: z.strictObject({}).optional(),
    response: z.object({ key: z.string(), path: z.string() }),
  },
  getReceipt: {
    http: { method: 'GET', path: '/receipts/:key', auth: false },
    params: z.strictObject({ key: z.string().min(1).max(100) }),
    response: ReceiptSchema,
  },
  setDeskNote: {
    http: { method: 'POST', path: '/invoices/:id/desk-note' },
    roles: SELLERS,
    params: IdParam,
    body: z.strictObject({ note: z.string().max(500) }),
    response: z.object({ id: z.string(), desk_note: z.string() }),
  },
  listTokens: { http: { method: 'GET', path: '/tokens' }, response: z.object({ tokens: z.array(TokenSchema) }) },
  createToken: {
    http: { method: 'POST', path: '/tokens', status: 201 },
    body: z.strictObject({ name: z.string().trim().min(1, 'a device needs a name').max(60), role: RoleSchema, till_id: Id.nullable().optional() }),
    response: z.object({ token: TokenSchema, pairing: PairingSchema }),
  },
  pairToken: {
    http: { method: 'POST', path: '/tokens/:id/pairing', status: 201 },
    params: IdParam,
    body: z.strictObject({}).optional(),
    response: PairingSchema,
  },
  revokeToken: { http: { method: 'DELETE', path: '/tokens/:id' }, params: IdParam, response: TokenSchema },
  /** Wallet setup: what PUT /wallet would derive, without saving it, so the owner compares the first address first. */
  previewWallet: {
    http: { method: 'POST', path: '/wallet/preview' },
    body: WalletInputSchema,
    response: z.object({ kind: z.enum(['xpub', 'descriptor']), script: z.string(), first_addresses: z.array(z.string()), script_choice: z.boolean() }),
  },
  pair: {
    http: { method: 'POST', path: '/pair', auth: false },
    body: z.strictObject({ code: z.string().min(4).max(20) }),
    response: z.object({ token: z.string(), role: RoleSchema, name: z.string(), till: TillSchema.nullable() }),
  },
} satisfies Record<string, MethodDef>;
