/** The system part of the contract (docs/spec/api.md): health, sysinfo, settings, live rates (docs/rates.md), backups. */
import { z } from 'zod';
import { CounterSettingsSchema, PatchCounterSettingsSchema } from './contract-counter.ts';
import { PatchRatesSettingsSchema, RatesSchema, RatesSettingsSchema } from './contract-rates.ts';
import { Empty, IpFamilySchema, ISO, NetworkSchema, ZeroConfRiskSchema, type MethodDef } from './contract-common.ts';

/** The invoice defaults (docs/spec/invoices.md), as settings show them and a PATCH may change them. */
const InvoiceDefaultsShape = {
  expires_in_s: z.number().int().min(1).max(2_592_000),
  confirmations: z.number().int().min(0).max(100),
  tolerance_pct: z.number().min(0).max(100),
  monitoring_s: z.number().int().min(0).max(31_536_000),
  zero_conf_limit_sats: z.number().int().min(0).max(2_100_000_000_000_000),
  zero_conf_risk: ZeroConfRiskSchema,
};

export const SettingsSchema = z.object({
  network: NetworkSchema,
  invoice: z.object(InvoiceDefaultsShape),
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
    ip_family: IpFamilySchema,
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
  invoice: z.strictObject(InvoiceDefaultsShape).partial().optional(),
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
    ip_family: IpFamilySchema,
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


export const systemMethods = {
  health: { http: { method: 'GET', path: '/health', auth: false }, response: z.object({ ok: z.literal(true), version: z.string() }) },
  sysinfo: { http: { method: 'GET', path: '/sysinfo' }, roles: ['owner', 'cashier'], response: SysinfoSchema },
  getSettings: { http: { method: 'GET', path: '/settings' }, response: SettingsSchema },
  patchSettings: { http: { method: 'PATCH', path: '/settings' }, body: PatchSettingsSchema, response: SettingsSchema },
  getRates: { http: { method: 'GET', path: '/rates' }, roles: ['owner', 'cashier'], response: RatesSchema },
  refreshRates: { http: { method: 'POST', path: '/rates/refresh' }, roles: ['owner', 'cashier'], body: Empty.optional(), response: RatesSchema },
  backup: {
    http: { method: 'POST', path: '/backup' },
    body: Empty.optional(),
    response: z.object({ path: z.string(), warning: z.string() }),
  },
} satisfies Record<string, MethodDef>;
