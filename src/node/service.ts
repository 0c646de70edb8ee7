/**
 * The application service: one object that owns the store and implements every contract method. The HTTP server,
 * the Electron IPC handlers and the tests all call it through `handlers`, built from `src/shared/contract.ts`.
 */
import crypto from 'node:crypto';
import { prepared, type DB } from './store/sqlite.ts';
import { SatdeskError } from '../core/errors.ts';
import type { NetworkName } from '../core/network.ts';
import { parseBtc, parseSatsAmount } from '../core/money.ts';
import { capConfirmations } from '../core/zeroconf.ts';
import { plaintextWarning } from './transport-warning.ts';
import type { Contract, MethodInput, MethodName, MethodOutput, Sysinfo } from '../shared/contract.ts';
import { applySettingsPatch, loadSettings, publicSettings, saveSetting, type StoredSettings } from './settings.ts';
import { AddressPool } from './pool.ts';
import {
  getInvoiceRow,
  invoiceView,
  paymentView,
  refreshInvoice,
  systemClock,
  type Clock,
  type InvoiceRow,
  type PaymentRow,
  type RefundRow,
} from './invoices.ts';
import { EventBus, insertEvent } from './events.ts';
import { BooksRoom } from './books/room.ts';
import { rangeOf } from './books/report.ts';
import type { RateContext } from './books/rates.ts';
import { searchInvoices } from './search.ts';
import { writeBackup } from './datadir.ts';
import { VERSION } from './version.ts';
import { agentView, createAgent, deleteAgent, listAgentRows, mustAgent, patchAgent, rotateToken } from './callbacks/agents.ts';
import { createTestDelivery, deliveryView, listDeliveries, mustDelivery, redeliver } from './callbacks/deliveries.ts';
import { createPlanner } from './callbacks/planner.ts';
import { Counter } from './counter/index.ts';
import { insertSale, saleTerms } from './counter/sales.ts';
import { assertAboveDust } from '../core/counter.ts';
import { validateAddress } from '../core/wallet/address.ts';
import { counterMethods, OWNER } from '../shared/contract-counter.ts';
import { LiveRates, ratesConfig, type LiveRatesOptions } from './rates/live.ts';
import { marketRateAt, priceInFiat, type RateLockColumns } from './rates/lock.ts';
import { ratesView } from './rates/view.ts';

/** What a handler answers: a CSV method may stream its text as chunks (docs/books.md#exports). */
export type HandlerOutput<M extends MethodName> = Contract[M] extends { contentType: 'text/csv' } ? MethodOutput<M> | AsyncIterable<string | Uint8Array> : MethodOutput<M>;
export type Handlers = { [M in MethodName]: (input: MethodInput<M>) => Promise<HandlerOutput<M>> | HandlerOutput<M> };
export type CounterMethod = keyof typeof counterMethods;

/** What the chain watcher reports; a disconnected default until one is attached. */
export interface ChainStatus {
  connected: boolean;
  server: string | null;
  tipHeight: number | null;
  synced: boolean;
  lagBlocks: number | null;
  error: string | null;
  /** How the watched addresses are watched: subscribed, or checked on a schedule past the server's cap. */
  watch?: { subscribed: number; scheduled: number; scheduledEveryS: number | null; subscriptionCap: number | null; sessions: number };
  /** With two or more servers: the witness server, verified blocks we are behind it, recent alerts (witness.ts). */
  crossCheck?: { server: string | null; lagBlocks: number | null; alerts: { kind: string; server: string; message: string; at: number }[] };
  /** Where the header chain stands (src/node/watcher/header-sync.ts): until it is verified nothing gets paid. */
  headers?: { state: 'waiting' | 'anchoring' | 'syncing' | 'verified' | 'refused'; checkpointHeight: number; verifiedHeight: number | null; claimedHeight: number | null; server: string | null; reason: string | null };
}

export interface ServiceOptions {
  db: DB;
  dataDir: string;
  network: NetworkName;
  clock?: Clock;
  /** Live rates: source base URLs and limits (tests point the sources at loopback). */
  rates?: Pick<LiveRatesOptions, 'baseUrls' | 'timeoutMs' | 'maxBytes'>;
  log?: (line: string) => void;
}

const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

function randomId(): string {
  // 16 characters of Crockford-like base32: 80 bits, URL- and eye-safe.
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  return Array.from(crypto.randomBytes(16), (b) => alphabet[b & 31]).join('');
}

function encodeCursor(seq: number): string {
  return Buffer.from(String(seq)).toString('base64url');
}

function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return Number.MAX_SAFE_INTEGER;
  const text = /^[A-Za-z0-9_-]{1,24}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new SatdeskError('invalid_request', 'cursor is not one this server gave');
  return n;
}

export class Satdesk {
  readonly db: DB;
  readonly dataDir: string;
  readonly network: NetworkName;
  readonly clock: Clock;
  readonly pool: AddressPool;
  readonly bus: EventBus;
  readonly liveRates: LiveRates;
  settings: StoredSettings;
  /** What sysinfo says of the chain when no watcher runs (no Electrum server configured). */
  readonly disconnectedStatus = (): ChainStatus => ({
    connected: false,
    server: null,
    tipHeight: this.tipHeight() || null,
    synced: false,
    lagBlocks: null,
    error: null,
  });
  chainStatus: () => ChainStatus = this.disconnectedStatus;
  /** Called after a settings change commits, with the top-level keys that changed (the app restarts its watcher). */
  readonly settingsListeners: ((changed: Set<string>) => void)[] = [];
  outboxCounts: () => { pending: number; retry: number; failure: number } = () => {
    const rows = this.db
      .prepare("SELECT state, COUNT(*) AS n FROM deliveries WHERE state IN ('PENDING','RETRY','FAILURE') GROUP BY state")
      .all() as { state: string; n: number }[];
    const get = (s: string): number => rows.find((r) => r.state === s)?.n ?? 0;
    return { pending: get('PENDING'), retry: get('RETRY'), failure: get('FAILURE') };
  };

  constructor(opts: ServiceOptions) {
    this.db = opts.db;
    this.dataDir = opts.dataDir;
    this.clock = opts.clock ?? systemClock;
    const stored = this.db.prepare("SELECT value FROM settings WHERE key = 'network'").get() as { value: string } | undefined;
    if (stored) {
      const net = JSON.parse(stored.value) as NetworkName;
      if (net !== opts.network) {
        throw new Error(`This data dir holds a ${net} wallet; start with --network ${net} or use another --data-dir.`);
      }
    } else {
      saveSetting(this.db, 'network', opts.network);
    }
    this.network = opts.network;
    this.settings = loadSettings(this.db, this.network);
    this.pool = new AddressPool(this.db, this.network);
    this.bus = new EventBus(this.db);
    // Callbacks are planned in the same transaction as the facts that cause them (docs/spec/notifications.md#planning).
    this.planners.push(createPlanner(this.db, { servers: () => this.electrumServers().length }));
    this.counter = new Counter(this);
    Object.assign(this.handlers, this.counter.handlers({ ...this.handlers }));
    this.liveRates = new LiveRates({
      db: this.db,
      clock: this.clock,
      config: () => ratesConfig(this.settings),
      write: (fn) => this.write(fn),
      log: opts.log ?? (() => {}),
      ...opts.rates,
    });
  }

  /** Tills, displays, role tokens, receipts (docs/counter.md). */
  readonly counter: Counter;
  /** Settings the command line overrides for this run, for sysinfo (the app fills it). */
  overrides: { setting: string; flag: string; value: string }[] = [];
  /** The pruning schedule for sysinfo (src/node/retention.ts; the app attaches it). */
  maintenanceInfo: () => Sysinfo['maintenance'] = () => ({
    every_s: 0,
    last_run_at: null,
    next_run_at: null,
    last_removed: null,
    events_days: this.settings.events_days,
    delivery_log_days: this.settings.delivery_log_days,
    idempotency_hours: 24,
    oldest_event_id: null,
    events_pruned_through: 0,
  });

  tipHeight(): number {
    const r = prepared(this.db, "SELECT value FROM chain_state WHERE key = 'tip_height'").get() as { value: string } | undefined;
    return r ? Number(r.value) : 0;
  }

  /** The Electrum servers the chain is watched through (the app sets it: --electrum wins over settings for the run). */
  electrumServers: () => string[] = () => this.settings.electrum.servers;

  refreshContext(now = this.clock.now()): { now: number; tipHeight: number; graceMs: number; refundPolicy: string; servers: number; rates: RateContext } {
    return {
      now,
      tipHeight: this.tipHeight(),
      graceMs: this.settings.pool_release_grace_s * 1000,
      refundPolicy: this.settings.refund_policy,
      servers: this.electrumServers().length,
      rates: this.rates(),
    };
  }

  /** How the books value amounts in fiat (docs/books.md#fiat-values). */
  rates(): RateContext {
    return { currency: this.settings.fiat.currency, history: (currency, t) => marketRateAt(this.db, currency, t, this.settings.rates.max_age_s * 1000) };
  }

  /** Refunds, exports, totals and the daily report (docs/books.md). */
  readonly books: BooksRoom = new BooksRoom(this);

  /**
   * Runs inside every write transaction, after `fn` wrote its facts and events: the notification planner (docs/spec/notifications.md)
   * registers here, so callbacks are planned in the same transaction as the facts that cause them.
   */
  readonly planners: ((now: number) => void)[] = [];
  /** Called after each write transaction commits (the callback sender wakes up here). */
  readonly afterCommit: (() => void)[] = [];

  /** Runs `fn` in one write transaction with the planners, then publishes what it committed. */
  write<T>(fn: () => T): T {
    const result = this.db.transaction(() => {
      const r = fn();
      const now = this.clock.now();
      for (const plan of this.planners) plan(now);
      return r;
    })();
    this.bus.flush();
    for (const f of this.afterCommit) f();
    return result;
  }

  /** Time-driven re-evaluation: expiry, end of monitoring window, pool release grace. */
  tick(now = this.clock.now()): number {
    const due = this.db
      .prepare('SELECT * FROM invoices WHERE next_check_at IS NOT NULL AND next_check_at <= ? ORDER BY next_check_at LIMIT 500')
      .all(now) as InvoiceRow[];
    if (!due.length) return 0;
    const ctx = this.refreshContext(now);
    this.write(() => {
      for (const row of due) refreshInvoice(this.db, row, ctx);
      this.db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?').run(now - IDEMPOTENCY_TTL_MS);
    });
    return due.length;
  }

  nextTickAt(): number | null {
    const r = prepared(this.db, 'SELECT MIN(next_check_at) AS t FROM invoices WHERE next_check_at IS NOT NULL').get() as {
      t: number | null;
    };
    return r.t;
  }

  view(row: InvoiceRow, preloaded?: { payments: PaymentRow[]; refunds: RefundRow[] }): MethodOutput<'getInvoice'> {
    return invoiceView(this.db, row, { tipHeight: this.tipHeight(), refundPolicy: this.settings.refund_policy, rates: this.rates() }, preloaded);
  }

  mustInvoice(id: string): InvoiceRow {
    const row = getInvoiceRow(this.db, id);
    // Echo only what looks like one of our ids: a path segment may hold anything a user pasted.
    if (!row) throw new SatdeskError('not_found', /^[0-9a-z]{1,40}$/.test(id) ? `No invoice ${id}.` : 'No such invoice.');
    return row;
  }

  sysinfo(): Sysinfo {
    const c = this.chainStatus();
    const gap = this.pool.hasWallet() ? this.pool.gap() : 0;
    return {
      version: VERSION,
      network: this.network,
      chain: {
        connected: c.connected,
        server: c.server,
        tip_height: c.tipHeight,
        synced: c.synced,
        lag_blocks: c.lagBlocks,
        watch: c.watch
          ? { subscribed: c.watch.subscribed, scheduled: c.watch.scheduled, scheduled_every_s: c.watch.scheduledEveryS, subscription_cap: c.watch.subscriptionCap, sessions: c.watch.sessions }
          : null,
        error: c.error,
        transport_warning: plaintextWarning(this.network, this.electrumServers()),
        cross_check: c.crossCheck
          ? {
              server: c.crossCheck.server,
              lag_blocks: c.crossCheck.lagBlocks,
              alerts: c.crossCheck.alerts.map((a) => ({ kind: a.kind, server: a.server, message: a.message, at: new Date(a.at).toISOString() })),
            }
          : null,
        headers: c.headers
          ? {
              state: c.headers.state,
              checkpoint_height: c.headers.checkpointHeight,
              verified_height: c.headers.verifiedHeight,
              claimed_height: c.headers.claimedHeight,
              server: c.headers.server,
              reason: c.headers.reason,
            }
          : null,
      },
      addresses: {
        ...this.pool.counts(),
        gap,
      },
      accepting_orders: this.pool.acceptingOrders(),
      outbox: this.outboxCounts(),
      overrides: this.overrides,
      maintenance: this.maintenanceInfo(),
    };
  }

  walletView(): MethodOutput<'getWallet'> {
    const row = this.pool.walletRow();
    const gap = row ? this.pool.gap() : 0;
    return {
      kind: row ? row.kind : 'static',
      network: this.network,
      script: row ? row.script : null,
      source: row ? row.source : null,
      first_addresses: this.pool.firstAddresses(),
      next_index: row ? row.next_index : null,
      gap,
      gap_warning: row ? this.pool.gapWarning(gap) : null,
    };
  }

  createInvoice(input: MethodInput<'createInvoice'>): MethodOutput<'createInvoice'> {
    const body = input.body ?? {};
    const now = this.clock.now();
    const key = input.headers['idempotency-key'];
    const requestHash = crypto.createHash('sha256').update(JSON.stringify(body)).digest('hex');
    if (key !== undefined) {
      if (key.length < 1 || key.length > 200) throw new SatdeskError('invalid_request', 'Idempotency-Key must be 1–200 characters.');
      const seen = this.db.prepare('SELECT request_hash, invoice_id, created_at FROM idempotency_keys WHERE key = ?').get(key) as
        | { request_hash: string; invoice_id: string; created_at: number }
        | undefined;
      if (seen && seen.created_at > now - IDEMPOTENCY_TTL_MS) {
        if (seen.request_hash !== requestHash) {
          throw new SatdeskError('idempotency_conflict', 'This Idempotency-Key was used with a different request.');
        }
        return this.view(this.mustInvoice(seen.invoice_id));
      }
    }
    const given = (['amount_sats', 'amount_btc', 'amount_fiat'] as const).filter((k) => body[k] !== undefined);
    if (given.length !== 1) {
      throw new SatdeskError(
        'invalid_amount',
        given.length ? `Give exactly one amount, not ${given.join(' and ')}.` : 'An amount is required: amount_sats, amount_btc or amount_fiat + currency.',
      );
    }
    let sats: number;
    let fiat: { amount: string; currency: string; rate: string } | null = null;
    let lock: RateLockColumns | null = null;
    if (body.amount_sats !== undefined) sats = parseSatsAmount(body.amount_sats);
    else if (body.amount_btc !== undefined) {
      if (typeof body.amount_btc !== 'string') throw new SatdeskError('invalid_amount', 'amount_btc must be a string such as "0.001".');
      sats = parseBtc(body.amount_btc);
      if (sats <= 0) throw new SatdeskError('invalid_amount', 'The amount must be above zero.');
    } else {
      if (typeof body.amount_fiat !== 'string') throw new SatdeskError('invalid_amount', 'amount_fiat must be a decimal string such as "12.50".');
      // docs/rates.md: the live (or manual) rate is locked into the invoice; none, or a stale one, answers 503.
      const priced = priceInFiat(body.amount_fiat, this.liveRates.decide(body.currency ?? this.settings.fiat.currency, now));
      ({ sats, fiat, lock } = priced);
    }
    if (body.currency !== undefined && body.amount_fiat === undefined) {
      throw new SatdeskError('invalid_request', 'currency goes with amount_fiat only.');
    }
    // A till sale: the tip on top of the amount, quick-item lines, the till (docs/counter.md).
    const sale = saleTerms(this.db, body, { sats, fiat }, input.auth ?? OWNER);
    ({ sats, fiat } = sale);
    const d = this.settings.invoice;
    const expiresIn = body.expires_in_s ?? d.expires_in_s;
    const tolerance = body.tolerance_pct ?? d.tolerance_pct;
    const toleranceBp = Math.round(tolerance * 100);
    if (Math.abs(toleranceBp - tolerance * 100) > 1e-9) {
      throw new SatdeskError('invalid_request', 'tolerance_pct has at most 2 decimals.');
    }
    const id = randomId();
    // 0-conf is a policy applied once, here (src/core/zeroconf.ts): the invoice keeps what was asked and why it differs.
    const requested = body.confirmations ?? d.confirmations;
    const conf = capConfirmations(requested, sats, { limitSats: d.zero_conf_limit_sats, risk: d.zero_conf_risk });
    const row = this.write(() => {
      const addr = this.pool.take(id, now);
      assertAboveDust(sats, validateAddress(addr.address, this.network).type);
      const tip = this.tipHeight();
      prepared(
        this.db,
        `INSERT INTO invoices (id, status, amount_sats, fiat_amount, fiat_currency, fiat_rate, label, userdata, address_id,
             address, created_at, expires_at, confirmations_required, tolerance_bp, monitoring_ms, zero_conf_limit_sats,
             next_check_at, updated_at, confirmations_requested, confirmations_note, zero_conf_risk, taken_tip_height,
             fiat_rate_kind, fiat_rate_sources, fiat_rate_at, fiat_market_rate, fiat_spread_bp)
           VALUES (?, 'unpaid', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
          id,
          sats,
          fiat?.amount ?? null,
          fiat?.currency ?? null,
          fiat?.rate ?? null,
          body.label ?? '',
          body.userdata ?? '',
          addr.id,
          addr.address,
          now,
          now + expiresIn * 1000,
          conf.required,
          toleranceBp,
          d.monitoring_s * 1000,
          d.zero_conf_limit_sats,
          now + expiresIn * 1000,
          now,
          requested,
          conf.capped,
          d.zero_conf_risk,
          tip > 0 ? tip : null,
          lock?.fiat_rate_kind ?? null,
          lock?.fiat_rate_sources ?? null,
          lock?.fiat_rate_at ?? null,
          lock?.fiat_market_rate ?? null,
          lock?.fiat_spread_bp ?? null,
        );
      if (key !== undefined) {
        this.db
          .prepare('INSERT OR REPLACE INTO idempotency_keys (key, request_hash, invoice_id, created_at) VALUES (?, ?, ?, ?)')
          .run(key, requestHash, id, now);
      }
      insertSale(this.db, id, sale, now);
      const created = this.mustInvoice(id);
      refreshInvoice(this.db, created, this.refreshContext(now), ['invoice.created']);
      // docs/spec/wallet.md#the-gap: the gap crossing 20, 50, 100, 200, 500, … alerts the merchant once, with how to fix it.
      const crossed = this.pool.gapCrossing();
      if (crossed) insertEvent(this.db, 'wallet.gap_warning', null, null, { gap: crossed.gap, message: this.pool.gapWarning(crossed.gap)! }, now);
      return this.mustInvoice(id);
    });
    return this.view(row);
  }

  listInvoices(q: MethodInput<'listInvoices'>['query']): MethodOutput<'listInvoices'> {
    const before = decodeCursor(q.cursor);
    // A time range, as the totals and the exports read it (docs/books.md#dates-and-ranges).
    const created = q.from !== undefined || q.to !== undefined ? rangeOf(q, OWNER, this.clock.now()) : undefined;
    let rows: InvoiceRow[];
    if (q.q) rows = searchInvoices(this.db, { term: q.q, before, status: q.status, created, limit: q.limit + 1 });
    else {
      const where: string[] = ['seq < ?'];
      const args: (string | number)[] = [before];
      if (q.status) {
        where.push('status = ?');
        args.push(q.status);
      }
      if (created) {
        where.push('created_at >= ? AND created_at < ?');
        args.push(created.start, created.end);
      }
      rows = this.db.prepare(`SELECT * FROM invoices WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`).all(...args, q.limit + 1) as InvoiceRow[];
    }
    const page = rows.slice(0, q.limit);
    const ids = page.map((r) => r.id);
    const payments = new Map<string, PaymentRow[]>();
    const refunds = new Map<string, RefundRow[]>();
    if (ids.length) {
      const marks = ids.map(() => '?').join(',');
      for (const p of this.db.prepare(`SELECT * FROM payments WHERE invoice_id IN (${marks}) ORDER BY id`).all(...ids) as PaymentRow[]) {
        payments.set(p.invoice_id!, [...(payments.get(p.invoice_id!) ?? []), p]);
      }
      for (const r of this.db.prepare(`SELECT * FROM refunds WHERE invoice_id IN (${marks}) ORDER BY id`).all(...ids) as RefundRow[]) {
        refunds.set(r.invoice_id, [...(refunds.get(r.invoice_id) ?? []), r]);
      }
    }
    return {
      invoices: page.map((r) => this.view(r, { payments: payments.get(r.id) ?? [], refunds: refunds.get(r.id) ?? [] })),
      next_cursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]!.seq) : null,
    };
  }

  cancelInvoice(id: string): MethodOutput<'cancelInvoice'> {
    const now = this.clock.now();
    return this.view(
      this.write(() => {
        const row = this.mustInvoice(id);
        if (row.cancelled_at !== null) return row;
        if (row.status === 'confirmed') {
          throw new SatdeskError('invalid_request', 'A confirmed invoice cannot be cancelled; record a refund instead.');
        }
        this.db.prepare('UPDATE invoices SET cancelled_at = ?, updated_at = ? WHERE seq = ?').run(now, now, row.seq);
        refreshInvoice(this.db, this.mustInvoice(id), this.refreshContext(now));
        return this.mustInvoice(id);
      }),
    );
  }

  markInvoice(id: string, status: 'confirmed' | 'invalid' | 'cancelled' | 'released', note: string): MethodOutput<'markInvoice'> {
    const now = this.clock.now();
    return this.view(
      this.write(() => {
        const row = this.mustInvoice(id);
        if (status === 'confirmed' && row.paid_sats === 0 && !note.trim()) {
          throw new SatdeskError('invalid_request', 'This invoice received nothing: marking it confirmed needs a note saying why (e.g. paid in cash).');
        }
        if (status === 'released') {
          // Frees a held pool address (expired-partial, invalid, cancelled after payment) without changing status.
          this.db
            .prepare('UPDATE invoices SET released_at = ?, note = CASE WHEN ? = \'\' THEN note ELSE ? END, updated_at = ? WHERE seq = ?')
            .run(now, note, note, now, row.seq);
          refreshInvoice(this.db, this.mustInvoice(id), this.refreshContext(now));
        } else {
          this.db
            .prepare(
              'UPDATE invoices SET manual_status = ?, manual_note = ?, manual_at = ?, note = CASE WHEN ? = \'\' THEN note ELSE ? END, updated_at = ? WHERE seq = ?',
            )
            .run(status, note, now, note, note, now, row.seq);
          refreshInvoice(this.db, this.mustInvoice(id), this.refreshContext(now));
        }
        return this.mustInvoice(id);
      }),
    );
  }

  async backup(): Promise<MethodOutput<'backup'>> {
    const file = await writeBackup(this.db, this.dataDir, this.clock.now());
    return {
      path: file,
      warning: 'This backup holds your agents\u2019 callback tokens and your xpub: keep it private (it is readable only by you).',
    };
  }

  /** Every contract method, bound to this service. */
  // The counter's methods join in the constructor (Counter.handlers), once `this.counter` exists.
  readonly handlers: Handlers = ({
    health: () => ({ ok: true as const, version: VERSION }),
    sysinfo: () => this.sysinfo(),
    getSettings: () => publicSettings(this.settings),
    patchSettings: ({ body }) => {
      const before = this.settings;
      this.settings = applySettingsPatch(this.db, before, body, this.clock.now());
      const changed = new Set(
        (Object.keys(this.settings) as (keyof StoredSettings)[]).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(this.settings[k])),
      );
      if (changed.size) for (const l of this.settingsListeners) l(changed);
      return publicSettings(this.settings);
    },
    getWallet: () => this.walletView(),
    putWallet: ({ body }) => {
      this.write(() => this.pool.setWallet(body.xpub, this.clock.now(), body.script));
      return this.walletView();
    },
    listAddresses: ({ query }) => {
      const before = decodeCursor(query.cursor);
      const rows = this.db
        .prepare(
          `SELECT id, address, state, invoice_id, origin, derivation_index FROM addresses
           WHERE id < ? ${query.state ? 'AND state = ?' : ''} ORDER BY id DESC LIMIT ?`,
        )
        .all(...(query.state ? [before, query.state, query.limit + 1] : [before, query.limit + 1])) as {
        id: number;
        address: string;
        state: 'free' | 'in_use' | 'used' | 'removed';
        invoice_id: string | null;
        origin: 'derived' | 'static';
        derivation_index: number | null;
      }[];
      const page = rows.slice(0, query.limit);
      return {
        addresses: page.map((r) => ({ address: r.address, state: r.state, invoice_id: r.invoice_id, origin: r.origin, index: r.derivation_index })),
        next_cursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!.id) : null,
      };
    },
    addAddresses: ({ body }) => ({ results: this.write(() => this.pool.addStatic(body.addresses, this.clock.now())) }),
    deleteAddress: ({ params }) => this.write(() => this.pool.remove(params.address)),
    createInvoice: (input) => this.createInvoice(input),
    listInvoices: ({ query }) => this.listInvoices(query),
    getInvoice: ({ params }) => this.view(this.mustInvoice(params.id)),
    cancelInvoice: ({ params }) => this.cancelInvoice(params.id),
    markInvoice: ({ params, body }) => this.markInvoice(params.id, body.status, body.note),
    unattributedPayments: ({ query }) => {
      const before = decodeCursor(query.cursor);
      const rows = this.db
        .prepare('SELECT * FROM payments WHERE invoice_id IS NULL AND id < ? ORDER BY id DESC LIMIT ?')
        .all(before, query.limit + 1) as PaymentRow[];
      const page = rows.slice(0, query.limit);
      const tip = this.tipHeight();
      return {
        payments: page.map((p) => ({ ...paymentView(p, null, { tipHeight: tip, rates: this.rates() }), address: p.address })),
        next_cursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!.id) : null,
      };
    },
    ...this.books.handlers,
    backup: () => this.backup(),
    getRates: () => ratesView(this.db, this.liveRates, ratesConfig(this.settings), this.clock.now()),
    refreshRates: async () => {
      await this.liveRates.refresh();
      return ratesView(this.db, this.liveRates, ratesConfig(this.settings), this.clock.now());
    },
    listAgents: () => ({ agents: listAgentRows(this.db).map((r) => agentView(r)) }),
    createAgent: ({ body }) => agentView(this.write(() => createAgent(this.db, body, this.clock.now())), true),
    patchAgent: ({ params, body }) =>
      agentView(this.write(() => patchAgent(this.db, params.id, body, this.clock.now(), this.tipHeight()))),
    deleteAgent: ({ params }) => {
      this.write(() => deleteAgent(this.db, params.id, this.clock.now()));
      return { id: params.id, deleted: true as const };
    },
    rotateAgentToken: ({ params, body }) => ({ token: this.write(() => rotateToken(this.db, params.id, body?.token)) }),
    testAgent: ({ params }) => deliveryView(this.db, this.write(() => createTestDelivery(this.db, params.id, this.network, this.clock.now()))),
    listDeliveries: ({ query }) => {
      if (query.agent) mustAgent(this.db, query.agent);
      return listDeliveries(this.db, query);
    },
    getDelivery: ({ params }) => deliveryView(this.db, mustDelivery(this.db, params.id)),
    redeliver: ({ params }) => deliveryView(this.db, this.write(() => redeliver(this.db, params.id, this.clock.now()))),
  } satisfies Omit<Handlers, CounterMethod>) as Omit<Handlers, CounterMethod> as Handlers;
}
