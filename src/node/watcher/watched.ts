/**
 * Which addresses the watcher subscribes (kept in one query so it is easy to read and to test):
 *  1. every address in state `in_use` or `free` (free static pool addresses too: money sent to them is recorded as
 *     an unattributed payment);
 *  2. any address whose invoice is still inside its monitoring window (expires_at + monitoring) and not final
 *     (confirmed/cancelled), or whose invoice holds a payment that is not yet verified-confirmed;
 *  3. any address with an active payment that has fewer confirmations than the highest threshold we care about
 *     (`maxConfirmations`: the highest of 6, any invoice's required confirmations and any agent threshold), or
 *     that is still unconfirmed/unverified — so a reorg or a double-spend of it is still seen.
 * Everything else (used derived addresses of settled invoices, removed pool addresses) is left alone and, when the
 * server negotiated protocol 1.4.2, unsubscribed.
 */
import type { DB } from '../store/sqlite.ts';

export interface WatchedRow {
  id: number;
  scripthash: string;
  electrum_status: string | null;
}

export function maxConfirmations(db: DB): number {
  let max = 6;
  const inv = db.prepare('SELECT MAX(confirmations_required) AS m FROM invoices').get() as { m: number | null };
  if (inv.m !== null && inv.m > max) max = inv.m;
  try {
    const rows = db.prepare('SELECT thresholds FROM agents WHERE deleted_at IS NULL AND enabled = 1').all() as { thresholds: string }[];
    for (const r of rows) {
      const t = JSON.parse(r.thresholds) as unknown;
      if (Array.isArray(t)) for (const x of t) if (typeof x === 'number' && Number.isSafeInteger(x) && x > max) max = Math.min(x, 1000);
    }
  } catch {
    /* a malformed agent row must not stop the watcher */
  }
  return max;
}

export function watchedAddresses(db: DB, now: number, tipHeight: number, maxConf: number, afterId = 0): WatchedRow[] {
  return db
    .prepare(
      `SELECT a.id, a.scripthash, a.electrum_status FROM addresses a
       WHERE a.id > @after AND (
         a.state IN ('in_use', 'free')
         OR EXISTS (SELECT 1 FROM invoices i WHERE i.address_id = a.id AND (
              (i.status NOT IN ('confirmed', 'cancelled') AND i.expires_at + i.monitoring_ms > @now)
              OR EXISTS (SELECT 1 FROM payments q WHERE q.invoice_id = i.id AND q.state = 'active' AND (q.height = 0 OR q.verified = 0))))
         OR EXISTS (SELECT 1 FROM payments p WHERE p.address_id = a.id AND p.state = 'active'
              AND (p.height = 0 OR p.verified = 0 OR @tip - p.height + 1 < @maxConf)))
       ORDER BY a.id`,
    )
    .all({ after: afterId, now, tip: tipHeight, maxConf }) as WatchedRow[];
}
