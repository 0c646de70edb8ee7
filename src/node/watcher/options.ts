/** The watcher's options and counters. */
import type { NetworkName } from '../../core/network.ts';
import { ElectrumConnection, parseProxyUrl, type ElectrumConnectionOptions, type IpFamily, type ProxyConfig } from '../electrum/index.ts';
import type { Satdesk } from '../service.ts';
import type { HeaderSyncOptions } from './header-sync.ts';
import type { PacerOptions } from './pacer.ts';

export interface WatcherOptions {
  service: Satdesk;
  servers: string[];
  network: NetworkName;
  family?: IpFamily;
  /** socks5://host:port (settings.electrum.proxy) or a parsed config. */
  proxy?: string | ProxyConfig | null;
  log?: (line: string) => void;
  /** Overrides for the connection pool (backoff, timeouts): tests and the bench. */
  connection?: Partial<Omit<ElectrumConnectionOptions, 'servers' | 'network'>>;
  /** Subscribe requests in flight, batch size, back-off (pacer.ts). */
  pacing?: Partial<PacerOptions>;
  /** How often addresses past the server's subscription cap are checked (default 60 s). */
  overflowCheckMs?: number;
  /** Addresses no longer watched are checked `sweepBatch` (default 50) at a time every `sweepMs` (default 60 s). */
  sweepMs?: number;
  sweepBatch?: number;
  /** Extra subscription sessions to the same server (sessions.ts): how many at most, budget per ElectrumX one. */
  sessions?: { maxSessions?: number; electrumxBudget?: number; budget?: number };
  /** Deepest reorg followed before the server is considered broken (default 1000). */
  maxReorgDepth?: number;
  /** How long a status that does not match its history may stay so before the server is blamed (default 60 s). */
  staleTimeoutMs?: number;
  /** How often the tip is re-checked for a chain that got shorter without a notification (default 30 s). */
  tipCheckMs?: number;
  /** Header trust (tests, bench): a checkpoint of their own, rules override, headers per request (header-sync.ts). */
  headers?: Partial<Omit<HeaderSyncOptions, 'maxReorgDepth'>>;
  /** Cross-check tuning (tests): how long a mempool payment may be missing from the witness before the alert. */
  crossCheck?: { omissionMs?: number };
}

export interface WatcherStats {
  /** get_history calls made, in total. */
  historyFetches: number;
  txFetches: number;
  merkleFetches: number;
  subscriptions: number;
  unsubscriptions: number;
  reorgs: number;
  connects: number;
  /** histories that did not match the announced status at first and waited for the next notification */
  statusRetries: number;
}

export function newStats(): WatcherStats {
  return { historyFetches: 0, txFetches: 0, merkleFetches: 0, subscriptions: 0, unsubscriptions: 0, reorgs: 0, connects: 0, statusRetries: 0 };
}

/** Why 60 s: Fulcrum sends notifications in 500 ms batches and ElectrumX after each mempool poll (5 s by default); a
 * dozen polls is enough for an honest server to catch up with itself, even in a reorg burst. */
export const STALE_TIMEOUT_MS = 60_000;


/** The watcher's connection pool, with its transport settings (the witness and extra sessions use the same). */
export function connectionFor(opts: WatcherOptions, log: (l: string) => void): { conn: ElectrumConnection; proxy: ProxyConfig | undefined; family: IpFamily } {
  const proxy = typeof opts.proxy === 'string' ? parseProxyUrl(opts.proxy) : (opts.proxy ?? undefined);
  const family = opts.family ?? 0;
  const conn = new ElectrumConnection({
    servers: opts.servers,
    network: opts.network,
    family,
    ...(proxy ? { proxy } : {}),
    backoff: { baseMs: 500, capMs: 30_000 },
    // A server that refuses or throttles is paced (pacer.ts), not dropped: the watcher decides when to leave.
    failoverOnRefusal: false,
    log: (m) => log(`electrum: ${m}`),
    onListenerError: (e) => log(`electrum listener error: ${(e as Error)?.message ?? String(e)}`),
    ...opts.connection,
  });
  return { conn, proxy, family };
}
