/**
 * The one typed contract (docs/spec/api.md): every API method with its HTTP route and its request/response schemas.
 * The HTTP server, the Electron IPC handlers, the preload bridge and the renderer's client are all generated from
 * this table, so a route or a shape is written exactly once.
 *
 * Schemas check *shape* (types, unknown keys, lengths). Domain rules that need the network or the database
 * (amounts, addresses, keys) are checked by the service so that they answer with their specific error codes
 * (`invalid_amount`, `wrong_network`, ...), which a shape check cannot know.
 */
import { z } from 'zod';
import { counterMethods, CounterSettingsSchema, PatchCounterSettingsSchema, SaleLineSchema, TipSchema, WalletInputSchema, type Principal, type Role } from './contract-counter.ts';
import { ZERO_CONF_RISKS } from '../core/zeroconf.ts';
import { booksMethods, BooksFilterShape, InvoiceBookShape, PaymentBookShape, RefundSchema } from './contract-books.ts';
import { InvoiceFiatSchema, PatchRatesSettingsSchema, RatesSchema, RatesSettingsSchema } from './contract-rates.ts';

export { RefundSchema };

const ISO = z.string();
const Cursor = z.string().max(200).nullable();
const Limit = z.coerce.number().int().min(1).max(500).default(50);

export const InvoiceStatusSchema = z.enum(['unpaid', 'partial', 'paid', 'confirmed', 'expired', 'invalid', 'cancelled']);
export const InvoiceFlagSchema = z.enum(['overpaid', 'late', 'multiple', 'manual']);
export const AddressStateSchema = z.enum(['free', 'in_use', 'used', 'removed']);
export const NetworkSchema = z.enum(['mainnet', 'testnet', 'signet', 'regtest']);
/** 0-conf opt-in (src/core/zeroconf.ts): 'refuse' (default), 'accept', 'accept_unconfirmed_parents'. */
export const ZeroConfRiskSchema = z.enum(ZERO_CONF_RISKS);

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

export const SettingsSchema = z.object({
  network: NetworkSchema,
  invoice: z.object({
    expires_in_s: z.number().int().min(1).max(2_592_000),
    confirmations: z.number().int().min(0).max(100),
    tolerance_pct: z.number().min(0).max(100),
    monitoring_s: z.number().int().min(0).max(31_536_000),
    zero_conf_limit_sats: z.number().int().min(0).max(2_100_000_000_000_000),
    zero_conf_risk: ZeroConfRiskSchema,
  }),
  pool_release_grace_s: z.number().int().min(0).max(31_536_000),
  fiat: z.object({
    currency: z.string().regex(/^[A-Z]{3,8}$/),
    rates: z.record(z.string().regex(/^[A-Z]{3,8}$/), z.string().regex(/^\d{1,12}(\.\d{1,8})?$/)),
    /** When each manual rate was set (read-only). */
    rates_set_at: z.record(z.string(), ISO),
  }),
  rates: RatesSettingsSchema,
  refund_policy: z.string().max(2000),
  electrum: z.object({
    servers: z.array(z.string().max(300)).max(20),
    proxy: z.string().max(300).nullable(),
    ip_family: z.enum(['auto', 'ipv4', 'ipv6']),
  }),
  xmpp: z.object({
    jid: z.string().max(300).nullable(),
    password_set: z.boolean(),
    service: z.string().max(300).nullable(),
    /** TLS is required; true allows a plaintext session, for a loopback service only (docs/security.md#xmpp). */
    plaintext_loopback: z.boolean(),
  }),
  delivery_log_days: z.number().int().min(1).max(3650),
  /** Stored events (the event stream's history) are kept this long; see sysinfo.maintenance. */
  events_days: z.number().int().min(1).max(3650),
  api: z.object({ enabled: z.boolean(), port: z.number().int().min(0).max(65535) }),
  counter: CounterSettingsSchema,
});
export type Settings = z.infer<typeof SettingsSchema>;

export const PatchSettingsSchema = z.strictObject({
  invoice: z.strictObject({
    expires_in_s: z.number().int().min(1).max(2_592_000),
    confirmations: z.number().int().min(0).max(100),
    tolerance_pct: z.number().min(0).max(100),
    monitoring_s: z.number().int().min(0).max(31_536_000),
    zero_conf_limit_sats: z.number().int().min(0).max(2_100_000_000_000_000),
    zero_conf_risk: ZeroConfRiskSchema,
  }).partial().optional(),
  pool_release_grace_s: z.number().int().min(0).max(31_536_000).optional(),
  fiat: z.strictObject({
    currency: z.string().regex(/^[A-Z]{3,8}$/, 'currency must be 3–8 capital letters'),
    rates: z.record(z.string().regex(/^[A-Z]{3,8}$/), z.string().regex(/^\d{1,12}(\.\d{1,8})?$/, 'a rate is a decimal string such as "65000.50"')),
  }).partial().optional(),
  rates: PatchRatesSettingsSchema.optional(),
  refund_policy: z.string().max(2000).optional(),
  electrum: z.strictObject({
    servers: z.array(z.string().max(300)).max(20),
    proxy: z.string().max(300).nullable(),
    ip_family: z.enum(['auto', 'ipv4', 'ipv6']),
  }).partial().optional(),
  xmpp: z.strictObject({
    jid: z.string().max(300).nullable(),
    password: z.string().max(1000).nullable(),
    service: z.string().max(300).nullable(),
    plaintext_loopback: z.boolean(),
  }).partial().optional(),
  delivery_log_days: z.number().int().min(1).max(3650).optional(),
  events_days: z.number().int().min(1).max(3650).optional(),
  api: z.strictObject({ enabled: z.boolean(), port: z.number().int().min(0).max(65535) }).partial().optional(),
  counter: PatchCounterSettingsSchema.optional(),
});

export const WalletSchema = z.object({
  kind: z.enum(['xpub', 'descriptor', 'static']),
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
  origin: z.enum(['derived', 'static']),
  index: z.number().int().nullable(),
});

export const SysinfoSchema = z.object({
  version: z.string(),
  network: NetworkSchema,
  chain: z.object({
    connected: z.boolean(),
    server: z.string().nullable(),
    tip_height: z.number().int().nullable(),
    synced: z.boolean(),
    lag_blocks: z.number().int().nullable(),
    error: z.string().nullable(),
    /** Subscribed addresses (over `sessions` connections), and those past the server's cap checked every scheduled_every_s. */
    watch: z
      .object({ subscribed: z.number().int(), scheduled: z.number().int(), scheduled_every_s: z.number().int().nullable(), subscription_cap: z.number().int().nullable(), sessions: z.number().int() })
      .nullable(),
    /** set when a mainnet server is reached in plaintext (tcp://) over a network path */
    transport_warning: z.string().nullable(),
    /**
     * With two or more servers (docs/trust.md "Two servers"): the witness, how many verified blocks the server in use
     * is behind it, and recent alerts (a server claiming what its headers cannot prove, omitting a payment, behind).
     */
    cross_check: z
      .object({
        server: z.string().nullable(),
        lag_blocks: z.number().int().nullable(),
        alerts: z.array(z.object({ kind: z.string(), server: z.string(), message: z.string(), at: ISO })),
      })
      .nullable(),
    /**
     * The header chain (docs/trust.md): anchored on the checkpoint, verified up to verified_height; a server's claimed
     * height is shown, never trusted. Until state is `verified` nothing becomes paid or confirmed; `reason` says why.
     */
    headers: z
      .object({
        state: z.enum(['waiting', 'anchoring', 'syncing', 'verified', 'refused']),
        checkpoint_height: z.number().int(),
        verified_height: z.number().int().nullable(),
        claimed_height: z.number().int().nullable(),
        server: z.string().nullable(),
        reason: z.string().nullable(),
      })
      .nullable(),
  }),
  addresses: z.object({ total: z.number().int(), in_use: z.number().int(), free: z.number().int(), gap: z.number().int() }),
  accepting_orders: z.boolean(),
  outbox: z.object({ pending: z.number().int(), retry: z.number().int(), failure: z.number().int() }),
  /** Settings the command line overrides for this run (e.g. electrum.servers from --electrum). */
  overrides: z.array(z.object({ setting: z.string(), flag: z.string(), value: z.string() })),
  /** The pruning schedule (docs/security.md#retention): when it ran, what it removed, when it runs next. */
  maintenance: z.object({
    every_s: z.number(),
    last_run_at: ISO.nullable(),
    next_run_at: ISO.nullable(),
    last_removed: z
      .object({ idempotency_keys: z.number().int(), deliveries: z.number().int(), notifications: z.number().int(), bodies: z.number().int(), events: z.number().int() })
      .nullable(),
    events_days: z.number().int(),
    delivery_log_days: z.number().int(),
    idempotency_hours: z.number(),
    oldest_event_id: z.number().int().nullable(),
    events_pruned_through: z.number().int(),
  }),
});
export type Sysinfo = z.infer<typeof SysinfoSchema>;


export const AgentFormatSchema = z.enum(['bitcoinmonitor', 'events', 'xmpp']);
export const DeliveryStateSchema = z.enum(['PENDING', 'RETRY', 'SUCCESS', 'FAILURE']);
const AgentName = z.string().min(1).max(64);
const AgentUrl = z.string().max(2000).regex(/^https?:\/\/[^\s]+$/i, 'url must be an http:// or https:// URL');
const AgentToken = z.string().min(8).max(256);
const Thresholds = z
  .array(z.number().int().min(0).max(1_000_000))
  .min(1)
  .max(100)
  .refine((a) => new Set(a).size === a.length, 'thresholds must be distinct');
const Jid = z.string().min(3).max(300).regex(/^[^@\s/]+@[^@\s/]+(\/\S*)?$/, 'jid must look like user@domain');
const AgentRetry = z.strictObject({ delays_s: z.array(z.number().int().min(0).max(86_400)).max(100) });
const AgentAddresses = z.array(z.string().min(1).max(200)).max(100_000).nullable();

export const AgentSchema = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string().nullable(),
  token: z.string().optional(),
  thresholds: z.array(z.number().int()),
  format: AgentFormatSchema,
  jid: z.string().nullable().optional(),
  retry: z.object({ delays_s: z.array(z.number().int()) }),
  timeout_s: z.number().int(),
  enabled: z.boolean(),
  addresses: z.array(z.string()).nullable(),
  created_at: ISO,
  enabled_at: ISO,
});
export type Agent = z.infer<typeof AgentSchema>;

export const CreateAgentSchema = z.strictObject({
  name: AgentName,
  url: AgentUrl.optional(),
  token: AgentToken.optional(),
  thresholds: Thresholds.optional(),
  format: AgentFormatSchema.default('bitcoinmonitor'),
  jid: Jid.optional(),
  retry: AgentRetry.optional(),
  timeout_s: z.number().int().min(1).max(300).optional(),
  enabled: z.boolean().optional(),
  addresses: AgentAddresses.optional(),
});
export type CreateAgentRequest = z.output<typeof CreateAgentSchema>;

export const PatchAgentSchema = z.strictObject({
  name: AgentName.optional(),
  url: AgentUrl.optional(),
  thresholds: Thresholds.optional(),
  format: AgentFormatSchema.optional(),
  jid: Jid.optional(),
  retry: AgentRetry.optional(),
  timeout_s: z.number().int().min(1).max(300).optional(),
  enabled: z.boolean().optional(),
  addresses: AgentAddresses.optional(),
});
export type PatchAgentRequest = z.output<typeof PatchAgentSchema>;

export const AttemptSchema = z.object({
  at: ISO,
  duration_ms: z.number().int(),
  http_status: z.number().int().nullable(),
  error: z.string().nullable(),
  response_excerpt: z.string().nullable(),
  /** The delivery's state once this attempt ended (RETRY, SUCCESS or FAILURE). */
  state: DeliveryStateSchema,
  /** The headers this attempt sent (the HMAC value withheld); null for XMPP and for attempts logged before. */
  request_headers: z.record(z.string(), z.string()).nullable(),
});

export const DeliverySchema = z.object({
  id: z.string(),
  /** Stable across every delivery and resend of one notification: the X-Satdesk-Notification header. */
  notification_id: z.string(),
  redelivery_of: z.string().nullable(),
  agent_id: z.string(),
  test: z.boolean(),
  txid: z.string().nullable(),
  address: z.string().nullable(),
  threshold: z.number().int().nullable(),
  event: z.string().nullable(),
  state: DeliveryStateSchema,
  created_at: ISO,
  next_attempt_at: ISO.nullable(),
  ended_at: ISO.nullable(),
  /** The body as sent by the last attempt (before any: as it will be sent), its md5 signature withheld. */
  request_body: z.string(),
  attempts: z.array(AttemptSchema),
});
export type Delivery = z.infer<typeof DeliverySchema>;

const IdParam = z.strictObject({ id: z.string().min(1).max(100) });
const Empty = z.strictObject({});

/** One API method. `path` params are written `:name`. */
export interface MethodDef {
  http: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string; status?: number; auth?: boolean };
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Response schema: used for types, docs and tests; `text/csv` methods return a string. */
  response: z.ZodType;
  contentType?: 'application/json' | 'text/csv';
  /** Headers the method reads (lower-case). */
  headers?: string[];
  /** Roles that may call it (docs/counter.md); absent = the owner only. */
  roles?: readonly Role[];
}

export const contract = {
  health: { http: { method: 'GET', path: '/health', auth: false }, response: z.object({ ok: z.literal(true), version: z.string() }) },
  sysinfo: { http: { method: 'GET', path: '/sysinfo' }, roles: ['owner', 'cashier'], response: SysinfoSchema },
  getSettings: { http: { method: 'GET', path: '/settings' }, response: SettingsSchema },
  patchSettings: { http: { method: 'PATCH', path: '/settings' }, body: PatchSettingsSchema, response: SettingsSchema },
  getWallet: { http: { method: 'GET', path: '/wallet' }, response: WalletSchema },
  putWallet: {
    http: { method: 'PUT', path: '/wallet' },
    body: WalletInputSchema,
    response: WalletSchema,
  },
  listAddresses: {
    http: { method: 'GET', path: '/addresses' },
    query: z.strictObject({ state: AddressStateSchema.optional(), limit: Limit, cursor: z.string().max(200).optional() }),
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
      cursor: z.string().max(200).optional(),
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
      status: z.enum(['confirmed', 'invalid', 'cancelled', 'released']),
      note: z.string().max(2000).default(''),
    }),
    response: InvoiceSchema,
  },
  unattributedPayments: {
    http: { method: 'GET', path: '/payments/unattributed' },
    query: z.strictObject({ limit: Limit, cursor: z.string().max(200).optional() }),
    response: z.object({
      payments: z.array(PaymentSchema.extend({ address: z.string() })),
      next_cursor: Cursor,
    }),
  },
  ...booksMethods,
  listAgents: { http: { method: 'GET', path: '/agents' }, response: z.object({ agents: z.array(AgentSchema) }) },
  createAgent: { http: { method: 'POST', path: '/agents', status: 201 }, body: CreateAgentSchema, response: AgentSchema },
  patchAgent: { http: { method: 'PATCH', path: '/agents/:id' }, params: IdParam, body: PatchAgentSchema, response: AgentSchema },
  deleteAgent: {
    http: { method: 'DELETE', path: '/agents/:id' },
    params: IdParam,
    response: z.object({ id: z.string(), deleted: z.literal(true) }),
  },
  rotateAgentToken: {
    http: { method: 'POST', path: '/agents/:id/rotate-token' },
    params: IdParam,
    body: z.strictObject({ token: AgentToken.optional() }).optional(),
    response: z.object({ token: z.string() }),
  },
  testAgent: { http: { method: 'POST', path: '/agents/:id/test' }, params: IdParam, body: Empty.optional(), response: DeliverySchema },
  listDeliveries: {
    http: { method: 'GET', path: '/deliveries' },
    query: z.strictObject({
      agent: z.string().max(100).optional(),
      state: DeliveryStateSchema.optional(),
      limit: Limit,
      cursor: z.string().max(200).optional(),
    }),
    response: z.object({ deliveries: z.array(DeliverySchema), next_cursor: Cursor }),
  },
  getDelivery: { http: { method: 'GET', path: '/deliveries/:id' }, params: IdParam, response: DeliverySchema },
  redeliver: {
    http: { method: 'POST', path: '/deliveries/:id/redeliver', status: 201 },
    params: IdParam,
    body: Empty.optional(),
    response: DeliverySchema,
  },
  getRates: { http: { method: 'GET', path: '/rates' }, roles: ['owner', 'cashier'], response: RatesSchema },
  refreshRates: { http: { method: 'POST', path: '/rates/refresh' }, roles: ['owner', 'cashier'], body: Empty.optional(), response: RatesSchema },
  backup: {
    http: { method: 'POST', path: '/backup' },
    body: Empty.optional(),
    response: z.object({ path: z.string(), warning: z.string() }),
  },
  ...counterMethods,
} satisfies Record<string, MethodDef>;

export type Contract = typeof contract;
export type MethodName = keyof Contract;

type InferOr<T, D> = T extends z.ZodType ? z.output<T> : D;
export type MethodInput<M extends MethodName> = {
  params: InferOr<Contract[M] extends { params: infer P } ? P : undefined, Record<string, never>>;
  query: InferOr<Contract[M] extends { query: infer Q } ? Q : undefined, Record<string, never>>;
  body: InferOr<Contract[M] extends { body: infer B } ? B : undefined, undefined>;
  headers: Record<string, string | undefined>;
  /** Who calls (the desktop app and in-process callers are the owner). */
  auth?: Principal;
};
export type MethodOutput<M extends MethodName> = z.output<Contract[M]['response']>;

export const API_PREFIX = '/api/v1';
