/**
 * Which addresses can still be paid, and so are watched — answered from indexes, so the work follows what is live,
 * never the shop's history (a store with a million settled invoices watches only its open ones):
 *  1. every address in state `in_use` or `free` (free pool addresses too: money sent to them is recorded as an
 *     unattributed payment, and they are handed out at any moment) — index addresses_watched;
 *  2. the address of any invoice still inside its monitoring window (expires_at + monitoring) and not final
 *     (confirmed/cancelled) — index invoices_watch_window, which holds only such invoices;
 *  3. any address with an active payment that is unconfirmed or unverified (so a double-spend or reorg is seen;
 *     not one mined below our checkpoint, which can never be verified) —
 *     index payments_unverified — or that has fewer confirmations than the highest threshold we care about
 *     (`maxConfirmations`) — index payments_climbing.
 * Everything else (derived addresses of settled invoices, removed pool addresses) is left alone and, when the
 * server supports it (protocol 1.4.2 and later), unsubscribed.
 */
import { prepared, type DB } from '../store/sqlite.ts';
import { refundWatchRows } from '../books/refund-watch.ts';
import { IN_WINDOW, scripthashOf } from '../store/chain-sql.ts';

export interface WatchedRow {
  id: number;
  scripthash: string;
  electrum_status: string | null;
}

/** The highest `confirmations_required` any invoice has had, 0 before the first: kept by migration 019's triggers. */
export function requiredConfirmationsMax(db: DB): number {
  const r = prepared(db, "SELECT value FROM invoice_maxima WHERE name = 'confirmations_required'").get() as { value: number } | undefined;
  return r?.value ?? 0;
}

/** The highest of 6, any invoice's required confirmations (one kept row) and any enabled agent's threshold. */
export function maxConfirmations(db: DB): number {
  let max = 6;
  const inv = requiredConfirmationsMax(db);
  if (inv > max) max = inv;
  try {
    const rows = prepared(db, 'SELECT thresholds FROM agents WHERE deleted_at IS NULL AND enabled = 1').all() as { thresholds: string }[];
    for (const r of rows) {
      const t = JSON.parse(r.thresholds) as unknown;
      if (Array.isArray(t)) for (const x of t) if (typeof x === 'number' && Number.isSafeInteger(x) && x > max) max = Math.min(x, 1000);
    }
  } catch {
    /* a malformed agent row must not stop the watcher */
  }
  return max;
}

/**
 * One query per reason, each on its own index (a UNION, or an id bound pushed through the join, lets SQLite pick a
 * walk over every invoice or payment in address order). The live sets are small: `after` is applied here in code.
 */
export const WATCHED_SQL = [
  `SELECT id, ${scripthashOf('addresses')} AS scripthash, electrum_status FROM addresses WHERE state IN ('in_use', 'free') AND id > @after`,
  `SELECT a.id, ${scripthashOf('a')} AS scripthash, a.electrum_status FROM invoices i JOIN addresses a ON a.id = i.address_id
   WHERE ${IN_WINDOW}`,
  `SELECT a.id, ${scripthashOf('a')} AS scripthash, a.electrum_status FROM payments p JOIN addresses a ON a.id = p.address_id
   WHERE p.state = 'active' AND p.verified = 0 AND p.below_anchor = 0`,
  `SELECT a.id, ${scripthashOf('a')} AS scripthash, a.electrum_status FROM payments p JOIN addresses a ON a.id = p.address_id
   WHERE p.state = 'active' AND p.height > @minHeight`,
];

/** Whether the address `a` is watched, for statements driven by address ids (the reasons above, by index lookups). */
export const WATCHED_REASONS = `a.state IN ('in_use', 'free')
    OR EXISTS (SELECT 1 FROM invoices i WHERE i.address_id = a.id AND ${IN_WINDOW})
    OR EXISTS (SELECT 1 FROM payments p WHERE p.address_id = a.id AND p.state = 'active' AND ((p.verified = 0 AND p.below_anchor = 0) OR p.height > @minHeight))`;

/**
 * The watched addresses among those added after `after` (a new invoice's, new pool addresses): driven by the
 * address ids, so a commit looks at what it added, not at every open invoice again.
 */
export const WATCHED_NEW_SQL = `SELECT a.id, ${scripthashOf('a')} AS scripthash, a.electrum_status FROM addresses a
  WHERE a.id > @after AND (${WATCHED_REASONS})
  ORDER BY a.id`;

export function watchedAddresses(db: DB, now: number, tipHeight: number, maxConf: number, afterId = 0): WatchedRow[] {
  // A payment at height h has tip − h + 1 confirmations: fewer than maxConf means h > tip − maxConf + 1.
  const params = { after: afterId, now, minHeight: tipHeight - maxConf + 1 };
  if (afterId > 0) return prepared(db, WATCHED_NEW_SQL).all(params) as WatchedRow[];
  const byId = new Map<number, WatchedRow>();
  for (const sql of WATCHED_SQL) {
    const st = prepared(db, sql);
    const used = sql.includes('@now') ? { now } : sql.includes('@minHeight') ? { minHeight: params.minHeight } : { after: params.after };
    for (const r of st.all(used) as WatchedRow[]) if (r.id > afterId) byId.set(r.id, r);
  }
  // A full pass also watches customers' refund addresses (negative ids, docs/decisions/0054-refund-address-watching.md).
  if (afterId === 0) for (const r of refundWatchRows(db, now, tipHeight)) byId.set(r.id, r);
  return [...byId.values()].sort((x, y) => x.id - y.id);
}
