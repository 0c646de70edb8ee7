/**
 * How the sandbox's Electrum server imitates the real ones, so a client rehearses what merchants' servers do.
 * The numbers are those of the servers' own defaults:
 * - ElectrumX 1.20.0: notifies after each mempool poll of bitcoind (`DAEMON_POLL_INTERVAL_MEMPOOL`, 5 s);
 *   meters each session's cost (`COST_SOFT_LIMIT` 1,000, `COST_HARD_LIMIT` 10,000, `REQUEST_SLEEP` 2,500 ms,
 *   `INITIAL_CONCURRENT` 10 in src/electrumx/server/env.py): past the soft limit every request sleeps up to
 *   REQUEST_SLEEP and concurrency shrinks, past the hard limit the session is closed; cost decays by
 *   hard / (10,000 + 5 × subscriptions) per second (src/electrumx/server/session.py `_recalc_concurrency`,
 *   aiorpcx 0.25 session.py `recalc_concurrency`); it closes a session whose first request is not server.version;
 *   it holds writes under 1 KB for up to a second (padding.ts).
 * - Fulcrum 2.1.1: polls bitcoind every 2 s (`polltime`) and sends notifications in batches; allows 345 batch
 *   items in flight per IP (`max_batch`, src/Options.h) and answers more with code 4 "Batch limit exceeded"
 *   (src/RPC.cpp); caps subscriptions per IP (`max_subs_per_ip`, 75,000, src/Options.h) with code 4
 *   "Subscription limit reached" (src/Servers.cpp).
 */
import { SERVER_VERSION } from './electrum-methods.ts';
import { ELECTRUMX_PADDING, type PaddingProfile } from './padding.ts';

export interface ServerProfile {
  /** 0: notify at once. Otherwise notifications, and the answers to subscribe requests, go out on this schedule. */
  notifyIntervalMs: number;
  /** Batch items in flight at once (all sessions: the sandbox's clients share one IP); 0: no cap. */
  maxBatchInFlight: number;
  /** Subscriptions at once over all sessions; 0: no cap. */
  maxSubs: number;
  /** ElectrumX-like cost metering, or null. */
  cost: { soft: number; hard: number; sleepMs: number; concurrency: number } | null;
  /** Announce a tip that moved backwards with no new block (Fulcrum does; ElectrumX does not). */
  notifyShorterTip: boolean;
  /** Close a session whose first request is not server.version. */
  versionFirst: boolean;
  protocolMax: '1.4.2' | '1.6';
  /** What server.version names: a client tells servers apart by it (Satdesk's sessions and padding filler do). */
  software: string;
  /** ElectrumX-like traffic-analysis padding (padding.ts), or null. */
  padding: PaddingProfile | null;
}

export const PROFILES: Record<'sandbox' | 'electrumx' | 'fulcrum', ServerProfile> = {
  sandbox: { notifyIntervalMs: 0, maxBatchInFlight: 345, maxSubs: 0, cost: null, notifyShorterTip: true, versionFirst: true, protocolMax: '1.6', software: SERVER_VERSION, padding: null },
  electrumx: {
    notifyIntervalMs: 5000,
    maxBatchInFlight: 0,
    maxSubs: 0,
    cost: { soft: 1000, hard: 10_000, sleepMs: 2500, concurrency: 10 },
    notifyShorterTip: false,
    versionFirst: true,
    protocolMax: '1.6',
    software: 'ElectrumX 1.20.0 (Satdesk sandbox)',
    padding: ELECTRUMX_PADDING,
  },
  fulcrum: {
    notifyIntervalMs: 2000,
    maxBatchInFlight: 345,
    maxSubs: 75_000,
    cost: null,
    notifyShorterTip: true,
    versionFirst: true,
    protocolMax: '1.6',
    software: 'Fulcrum 2.1.1 (Satdesk sandbox)',
    padding: null,
  },
};

/** Cost of one request, ElectrumX-style: a subscription or history ~0.2 plus bandwidth (bytes / 5,000). */
export function requestCost(method: string, bytes: number): number {
  const base = method === 'blockchain.scripthash.subscribe' || method === 'blockchain.scripthash.get_history' ? 0.2 : method === 'server.ping' ? 0 : 0.1;
  return base + bytes / 5000;
}

/** One session's cost, decaying over time; says how long an answer is delayed and whether to close. */
export class CostMeter {
  cost = 0;
  private at = Date.now();

  constructor(private readonly c: NonNullable<ServerProfile['cost']>) {}

  /** Adds `delta`; returns 'close' past the hard limit, else the delay (ms) before answering `n` requests. */
  charge(delta: number, subs: number, n: number): number | 'close' {
    const now = Date.now();
    const decay = (this.c.hard / (10_000 + 5 * subs)) * ((now - this.at) / 1000);
    this.at = now;
    this.cost = Math.max(0, this.cost - decay) + delta;
    if (this.cost > this.c.hard) return 'close';
    const fraction = Math.max(0, (this.cost - this.c.soft) / (this.c.hard - this.c.soft));
    if (fraction === 0) return 0;
    const concurrency = Math.max(1, Math.ceil((1 - fraction) * this.c.concurrency));
    return Math.ceil(n / concurrency) * fraction * this.c.sleepMs;
  }
}
