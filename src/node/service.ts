/**
 * The application service (docs/decisions/0015-service-rooms.md): the store, one unit of work, and one room per
 * resource — invoices, wallet, callbacks, books (refunds and exports), rates, system, the counter — whose handler slices make up `handlers`,
 * the one implementation of the contract behind both doors (HTTP and Electron IPC, through `dispatch`).
 */
import type { DB } from './store/sqlite.ts';
import { evaluatedTipHeight } from './store/evaluated-tip.ts';
import type { NetworkName } from '../core/network.ts';
import type { Invoice, MethodOutput, Sysinfo } from '../shared/contract.ts';
import type { counterMethods } from '../shared/contract-counter.ts';
import { loadSettings, saveSetting, type StoredSettings } from './settings.ts';
import { AddressPool } from './pool.ts';
import { systemClock, type Clock, type InvoiceRow, type RefreshContext } from './invoices.ts';
import { EventBus } from './events.ts';
import { Counter } from './counter/index.ts';
import { UnitOfWork, type Commit } from './service/unit-of-work.ts';
import type { Handlers, ServiceCore } from './service/context.ts';
import { InvoicesRoom } from './service/invoices.ts';
import { WalletRoom } from './service/wallet.ts';
import { CallbacksRoom } from './service/callbacks.ts';
import { BooksRoom } from './books/room.ts';
import { rateContext, type RateContext, type RatePolicy } from './books/rates.ts';
import { SystemRoom, type ChainStatus } from './service/system.ts';
import { LiveRates, ratesConfig, type LiveRatesOptions } from './rates/live.ts';
import { ratesView } from './rates/view.ts';

export type { Handlers, ChainStatus, Commit };
export type CounterMethod = keyof typeof counterMethods;

export interface ServiceOptions {
  db: DB;
  dataDir: string;
  network: NetworkName;
  clock?: Clock;
  /** Live rates: source base URLs and limits (tests point the sources at loopback). */
  rates?: Pick<LiveRatesOptions, 'baseUrls' | 'timeoutMs' | 'maxBytes'>;
  log?: (line: string) => void;
}

export class Satdesk implements ServiceCore {
  readonly db: DB;
  readonly dataDir: string;
  readonly network: NetworkName;
  readonly clock: Clock;
  readonly pool: AddressPool;
  readonly bus: EventBus;
  readonly uow: UnitOfWork;
  /** Exchange rates from the sources, and the manual ones (docs/rates.md). */
  readonly liveRates: LiveRates;
  settings: StoredSettings;
  /** Settings the command line overrides for this run, for sysinfo (the app fills it). */
  overrides: Sysinfo['overrides'] = [];
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

  readonly invoices: InvoicesRoom;
  readonly wallet: WalletRoom;
  readonly callbacks: CallbacksRoom;
  /** Refunds, exports, totals and the daily report (docs/books.md). */
  readonly books: BooksRoom;
  readonly system: SystemRoom;
  /** Tills, displays, role tokens, receipts (docs/counter.md). */
  readonly counter: Counter;
  /** Every contract method. */
  readonly handlers: Handlers;

  constructor(opts: ServiceOptions) {
    this.db = opts.db;
    this.dataDir = opts.dataDir;
    this.clock = opts.clock ?? systemClock;
    const stored = this.db.prepare("SELECT value FROM settings WHERE key = 'network'").get() as { value: string } | undefined;
    if (stored) {
      const net = JSON.parse(stored.value) as NetworkName;
      if (net !== opts.network) throw new Error(`This data dir holds a ${net} wallet; start with --network ${net} or use another --data-dir.`);
    } else {
      saveSetting(this.db, 'network', opts.network);
    }
    this.network = opts.network;
    this.settings = loadSettings(this.db, this.network);
    this.pool = new AddressPool(this.db, this.network);
    this.bus = new EventBus(this.db);
    this.uow = new UnitOfWork(this.db, this.clock, this.bus);
    this.liveRates = new LiveRates({
      db: this.db,
      clock: this.clock,
      config: () => ratesConfig(this.settings),
      write: (fn) => this.write(fn),
      log: opts.log ?? (() => {}),
      ...opts.rates,
    });
    this.invoices = new InvoicesRoom(this);
    this.wallet = new WalletRoom(this);
    this.callbacks = new CallbacksRoom(this, () => this.electrumServers().length);
    this.books = new BooksRoom(this);
    this.system = new SystemRoom(this, {
      dataDir: this.dataDir,
      outboxCounts: () => this.callbacks.outboxCounts(),
      setSettings: (next) => (this.settings = next),
      overrides: () => this.overrides,
      electrumServers: () => this.electrumServers(),
      maintenance: () => this.maintenanceInfo(),
    });
    const handlers = {
      ...this.system.handlers,
      ...this.wallet.handlers,
      ...this.invoices.handlers,
      ...this.books.handlers,
      ...this.callbacks.handlers,
      getRates: () => ratesView(this.db, this.liveRates, ratesConfig(this.settings), this.clock.now()),
      refreshRates: async () => {
        await this.liveRates.refresh();
        return ratesView(this.db, this.liveRates, ratesConfig(this.settings), this.clock.now());
      },
    } satisfies Omit<Handlers, CounterMethod>;
    this.handlers = handlers as Omit<Handlers, CounterMethod> as Handlers;
    // The counter's methods join once it exists; it wraps some of the others (what a cashier may see).
    this.counter = new Counter(this);
    Object.assign(this.handlers, this.counter.handlers({ ...this.handlers }));
  }

  /** The tip the invoices were last evaluated at (src/node/store/evaluated-tip.ts). */
  tipHeight(): number {
    return evaluatedTipHeight(this.db);
  }

  /** The Electrum servers the chain is watched through (the app sets it: --electrum wins over settings for the run). */
  electrumServers: () => string[] = () => this.settings.electrum.servers;

  refreshContext(now = this.clock.now()): RefreshContext {
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
    return rateContext(this.db, this.ratePolicy());
  }

  /** The same, as plain data (an export's worker thread builds its context from it). */
  ratePolicy(): RatePolicy {
    return { currency: this.settings.fiat.currency, manual: this.settings.fiat, maxGapMs: this.settings.rates.max_age_s * 1000 };
  }

  /** An invoice as the API shows it. */
  view(row: InvoiceRow): Invoice {
    return this.invoices.view(row);
  }

  mustInvoice(id: string): InvoiceRow {
    return this.invoices.mustInvoice(id);
  }

  /** One write transaction with the notification planner, then publish (see UnitOfWork). */
  write<T>(fn: () => T): T {
    return this.uow.write(fn);
  }

  /** Bookkeeping nobody is told about: committed without planning (see UnitOfWork). */
  record<T>(fn: () => T): T {
    return this.uow.record(fn);
  }

  /** Runs `fn` after every commit; returns the function that stops it. */
  onCommit(fn: (c: Commit) => void): () => void {
    return this.uow.onCommit(fn);
  }

  tick(now = this.clock.now()): number {
    return this.invoices.tick(now);
  }

  nextTickAt(): number | null {
    return this.invoices.nextTickAt();
  }

  sysinfo(): Sysinfo {
    return this.system.sysinfo();
  }

  walletView(): MethodOutput<'getWallet'> {
    return this.wallet.view();
  }
}
