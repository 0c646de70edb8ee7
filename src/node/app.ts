/**
 * The headless core as one unit: data dir, lock, store, service, time-driven re-evaluation and the HTTP API.
 * `satdesk serve`, `satdesk demo`, the Electron main process and the integration tests all start it from here.
 */
import path from 'node:path';
import { openDatabase, type DB } from './store/sqlite.ts';
import { Satdesk } from './service.ts';
import { startApiServer, type ApiServer } from './http/server.ts';
import { assertDatabaseNotLost, DB_FILE, ensureDataDir, loadOrCreateToken, lockDataDir, ownerOnlyUmask, secureDataDir } from './datadir.ts';
import type { NetworkName } from '../core/network.ts';
import type { Clock } from './invoices.ts';
import { CallbackSender } from './callbacks/sender.ts';
import { Maintenance } from './retention.ts';
import { TokenAuth } from './counter/tokens.ts';
import { ChainWatcher, type WatcherOptions } from './watcher/index.ts';
import type { ServiceOptions } from './service.ts';
import type { IpFamilyName } from '../core/vocabulary.ts';
import { CONSOLE_DIR } from './paths.ts';

export interface AppOptions {
  dataDir: string;
  network: NetworkName;
  host?: string;
  port?: number;
  apiToken?: string;
  ipFamily?: IpFamilyName;
  /** Host names the API answers to besides loopback and the bound host (`--allow-host`). */
  allowHosts?: string[];
  /** HTTPS for tills on the LAN (`serve --lan`, docs/counter.md#tills-on-the-shops-network). */
  tls?: { key: string; cert: string; fingerprint: string };
  /** Concurrent event streams the API serves (default 64). */
  maxStreams?: number;
  electrum?: string[];
  /** Tuning for the chain watcher (tests, bench): backoff, batch sizes. */
  watcher?: Partial<Omit<WatcherOptions, 'service' | 'servers' | 'network' | 'log'>>;
  /** Whether to run the HTTP listener; default: the `api.enabled` setting (the desktop app's local API switch). */
  http?: boolean;
  clock?: Clock;
  log?: (line: string) => void;
  /** Live rate sources' base URLs and limits (tests: loopback servers); production uses the real hosts. */
  rates?: ServiceOptions['rates'];
}

export interface App {
  service: Satdesk;
  db: DB;
  api: ApiServer | null;
  /** The chain watcher when Electrum servers are configured. */
  watcher: ChainWatcher | null;
  /** Pruning of events, the delivery log and idempotency keys, on a schedule sysinfo shows. */
  maintenance: Maintenance;
  token: string;
  /** A fresh one-time console link at each read (`/?login=<code>`), null without the API. */
  readonly consoleUrl: string | null;
  close(): Promise<void>;
}

export { CONSOLE_DIR };

/**
 * The address to listen on: loopback by default, in the family asked for; `localhost` is pinned to the family's
 * loopback address (`--ip-family ipv6 --host localhost` binds ::1, not whatever the resolver lists first).
 */
export function listenHost(host: string | undefined, family: 0 | 4 | 6): string {
  if (host === undefined || host === 'localhost') return family === 6 ? '::1' : family === 4 || host === undefined ? '127.0.0.1' : 'localhost';
  return host;
}

export async function startApp(opts: AppOptions): Promise<App> {
  const log = opts.log ?? ((l: string) => console.error(l));
  // Before anything is created: the database, its -wal/-shm, the token and backups are born owner-only.
  ownerOnlyUmask();
  ensureDataDir(opts.dataDir);
  for (const notice of secureDataDir(opts.dataDir)) log(notice);
  const lock = lockDataDir(opts.dataDir);
  let db: DB | undefined;
  try {
    assertDatabaseNotLost(opts.dataDir);
    const maxPages = Number(process.env.SATDESK_SQLITE_MAX_PAGES ?? 0); // fault tests: a "full disk" at N pages
    db = openDatabase(path.join(opts.dataDir, DB_FILE), { log, ...(maxPages > 0 ? { maxPageCount: maxPages } : {}) });
    const service = new Satdesk({ db, dataDir: opts.dataDir, network: opts.network, clock: opts.clock, rates: opts.rates, log });
    const token = opts.apiToken ?? loadOrCreateToken(opts.dataDir);
    service.counter.tlsFingerprint = opts.tls?.fingerprint ?? null;
    if (opts.electrum?.length) service.overrides.push({ setting: 'electrum.servers', flag: '--electrum', value: opts.electrum.join(', ') });
    service.tick();
    // Plan whatever facts were written while no planner ran, then send every due callback (docs/spec/notifications.md).
    service.write(() => {});
    const sender = new CallbackSender(service, { log });
    sender.start();
    const maintenance = new Maintenance(service, { log });
    service.maintenanceInfo = () => maintenance.info();
    let timer: NodeJS.Timeout | null = null;
    const schedule = (): void => {
      // A tick's own events reschedule through the bus subscription below: never leave the earlier timer armed.
      if (timer) clearTimeout(timer);
      const next = service.nextTickAt();
      const delay = next === null ? 60_000 : Math.min(60_000, Math.max(50, next - service.clock.now()));
      timer = setTimeout(() => {
        try {
          service.tick();
        } catch (e) {
          log(`re-evaluation failed: ${(e as Error).message}`);
        }
        schedule();
      }, delay);
      timer.unref();
    };
    schedule();
    // A write can bring the next deadline forward (a new invoice expiring sooner): reschedule on every event.
    const unsubscribe = service.bus.subscribe(() => {
      if (timer) clearTimeout(timer);
      schedule();
    });
    // --electrum on the command line wins for the run; otherwise the servers come from settings and a change to
    // them (Settings screen, PATCH /settings) restarts the watcher with the new list.
    const makeWatcher = (): ChainWatcher | null => {
      const servers = opts.electrum?.length ? opts.electrum : service.settings.electrum.servers;
      const ipf = opts.ipFamily ?? service.settings.electrum.ip_family;
      return servers.length
        ? new ChainWatcher({
            service,
            servers,
            network: opts.network,
            family: ipf === 'ipv6' ? 6 : ipf === 'ipv4' ? 4 : 0,
            proxy: service.settings.electrum.proxy,
            log,
            ...opts.watcher,
          })
        : null;
    };
    // The list in use: 0-conf needs two mempools when it has two or more (src/core/zeroconf.ts); plaintext is warned of.
    service.electrumServers = () => (opts.electrum?.length ? opts.electrum : service.settings.electrum.servers);
    let watcher = makeWatcher();
    let swap = Promise.resolve();
    const onSettings = (changed: ReadonlySet<string>): void => {
      // Sources, currency or proxy changed: ask the rate sources again at once (docs/rates.md).
      if (changed.has('rates') || changed.has('fiat') || changed.has('electrum')) service.liveRates.reschedule();
      if (!changed.has('electrum') || opts.electrum?.length) return;
      swap = swap.then(async () => {
        const old = watcher;
        watcher = null;
        if (old) await old.stop();
        service.system.provideChainStatus(service.system.disconnected);
        watcher = makeWatcher();
        watcher?.start();
        log(`electrum: servers changed; ${watcher ? 'watching through the new list' : 'no server configured'}`);
      });
    };
    const stopSettings = service.system.onSettingsChange(onSettings);
    let api: ApiServer | null = null;
    if (opts.http ?? service.settings.api.enabled) {
      const family = opts.ipFamily === 'ipv6' ? 6 : opts.ipFamily === 'ipv4' ? 4 : 0;
      const host = listenHost(opts.host, family);
      const port = opts.port ?? service.settings.api.port;
      try {
        // Owner, cashier and display tokens (docs/counter.md): the data dir's token is the owner's.
        const tokens = new TokenAuth(service.db, () => token, () => service.clock.now());
        api = await startApiServer(service, {
          host,
          port,
          token: () => token,
          authenticate: (b) => tokens.authenticate(b),
          family,
          consoleDir: CONSOLE_DIR,
          allowHosts: opts.allowHosts,
          tls: opts.tls,
          maxStreams: opts.maxStreams,
          log,
        });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === 'EADDRINUSE' ? `port ${port} on ${host} is in use` : code === 'EADDRNOTAVAIL' ? `${host} is not an address of this machine` : (e as Error).message;
        // serve exists to listen, so it stops; the desktop app keeps working without its local API and says why.
        if (opts.http) throw new Error(`Cannot listen for the API: ${why}. Pick another with --port (or --host).`);
        log(`local API not started: ${why}; change api.port in Settings`);
      }
    }
    watcher?.start(); // after the API is up, so a failed listen leaves nothing running
    maintenance.start();
    service.liveRates.start();
    let closed = false;
    const openDb = db;
    return {
      service,
      db: openDb,
      api,
      maintenance,
      get watcher() {
        return watcher;
      },
      token,
      get consoleUrl() {
        return api ? api.loginUrl() : null;
      },
      close: async () => {
        if (closed) return;
        closed = true;
        unsubscribe();
        if (timer) clearTimeout(timer);
        if (api) await api.close();
        await maintenance.stop();
        await sender.stop();
        await service.liveRates.stop();
        stopSettings();
        await swap;
        if (watcher) await watcher.stop();
        openDb.close();
        lock.release();
      },
    };
  } catch (e) {
    db?.close();
    lock.release();
    throw e;
  }
}
