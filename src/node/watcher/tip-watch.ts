/**
 * What a new tip changes in the watch set (docs/decisions/0086-tip-work-follows-the-horizon.md). A block moves the
 * confirmation horizon by one: the addresses whose payments it passes may leave the set, and nothing else changes
 * because of the tip. So a plain new block looks at those payments only (index payments_climbing) — not at every
 * watched address, which a shop with years of partly paid, abandoned carts holds by the thousand.
 *
 * The full pass over the watch set (subscribe what is missing, unsubscribe what left) runs when a connection starts
 * (it catches up with what changed while away: the blocks after it go on from the tip it read), after a reorg
 * (payments may climb again), when the horizon itself changed, and at most every FULL_PASS_MS otherwise: for
 * addresses that leave as time passes or as writes settle them, and the rare one that is watched again without being
 * new. A reorg among tips it did not follow (recorded while a pass ran, or a part of a long sync) makes the next
 * tip's work a full pass too.
 */
import type { ElectrumClient } from '../electrum/index.ts';
import { prepared, type DB } from '../store/sqlite.ts';
import { scriptKey, scripthashOf } from '../store/chain-sql.ts';
import type { TipPlan } from './header-sync.ts';
import type { Subscriptions } from './subscriptions.ts';
import { maxConfirmations, WATCHED_REASONS } from './watched.ts';

/** Longest time between two full passes while blocks come (a full pass also runs whenever a connection starts). */
export const FULL_PASS_MS = 30 * 60_000;

/** Addresses of active payments the horizon passed between two tips: heights in (@low, @high] (index payments_climbing). */
const CROSSED_SQL = `SELECT DISTINCT ${scripthashOf('a')} AS scripthash FROM payments p JOIN addresses a ON a.id = p.address_id
  WHERE p.state = 'active' AND p.height > @low AND p.height <= @high`;

/** Of the script hashes @shs (a JSON array; @keys theirs, src/node/store/chain-sql.ts), whether each is still watched. */
const STILL_WATCHED_SQL = `SELECT ${scripthashOf('a')} AS scripthash, (${WATCHED_REASONS}) AS watched FROM addresses a
  WHERE a.script_key IN (SELECT value FROM json_each(@keys)) AND ${scripthashOf('a')} IN (SELECT value FROM json_each(@shs))`;

export class TipWatch {
  private lastTip: number | null = null;
  private lastHorizon: number | null = null;
  private lastFull = 0;
  /** A reorg was recorded where afterTip did not follow it: the next tip runs the full pass. */
  private reorgUnseen = false;
  /** Addresses whose history was recorded since the last tip: a payment may have settled there meanwhile. */
  private readonly recorded = new Set<string>();

  constructor(
    private readonly db: DB,
    private readonly now: () => number,
    private readonly subs: Subscriptions,
    private readonly fullPassMs = FULL_PASS_MS,
  ) {}

  /** A new connection: its first tip runs the full pass. */
  reset(): void {
    this.lastTip = null;
    this.reorgUnseen = false;
    this.recorded.clear();
  }

  /**
   * The connection's first pass over the watch set, run by `pass`. It read the set at `tip` or later, so the next
   * tip need only look at what crossed the horizon since `tip` (a store without a tip yet leaves that to a full pass).
   */
  async firstPass(tip: number, pass: () => Promise<void>): Promise<void> {
    const horizon = maxConfirmations(this.db);
    const now = this.now();
    await pass();
    if (tip <= 0) return;
    this.lastTip = tip;
    this.lastHorizon = horizon;
    this.lastFull = now;
  }

  /** A history of `sh` was recorded (a payment seen, mined, verified or gone). */
  touched(sh: string): void {
    this.recorded.add(sh);
  }

  /** After a tip was recorded; `follow`: the connection's first pass ended, no pass runs, and the sync is complete. */
  async afterTip(client: ElectrumClient, live: () => boolean, plan: TipPlan, follow = true): Promise<void> {
    if (!follow) {
      if (plan.reorg) this.reorgUnseen = true;
      return;
    }
    const tip = plan.newTip.height;
    const horizon = maxConfirmations(this.db);
    const now = this.now();
    const from = this.lastTip;
    const full =
      from === null || plan.reorg || this.reorgUnseen || tip <= from || horizon !== this.lastHorizon || now - this.lastFull >= this.fullPassMs;
    this.lastTip = tip;
    this.lastHorizon = horizon;
    const candidates = new Set(this.recorded);
    this.recorded.clear();
    if (full) {
      this.lastFull = now;
      this.reorgUnseen = false;
      return this.subs.subscribeWatched(client, live, true);
    }
    // Watched while a payment has fewer than `horizon` confirmations: height > tip − horizon + 1 (watched.ts).
    const minHeight = tip - horizon + 1;
    const crossed = prepared(this.db, CROSSED_SQL).all({ low: from - horizon + 1, high: minHeight }) as { scripthash: string }[];
    for (const r of crossed) candidates.add(r.scripthash);
    if (!candidates.size) return;
    const rows = prepared(this.db, STILL_WATCHED_SQL).all({ shs: JSON.stringify([...candidates]), keys: JSON.stringify([...candidates].map(scriptKey)), now, minHeight }) as { scripthash: string; watched: number }[];
    const left = rows.filter((r) => !r.watched).map((r) => r.scripthash);
    if (left.length) await this.subs.drop(client, live, left);
  }
}
