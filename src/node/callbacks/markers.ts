/**
 * Planning markers (docs/decisions/0090-settled-planning-markers.md). A payment notification keeps its row after the
 * delivery log was pruned: the planner's probe on (agent, payment, threshold) is what keeps a payment from being
 * planned twice when something makes the planner look at it again. The planner only looks at payments with
 * `plan_done = 0`; once a payment is done, only `replan` (agents.ts) sets it back. So a marker matters only while a
 * replan can still reach its payment, and a settled payment's markers can go:
 *  - its payment is done (`plan_done = 1`), active, verified and buried at least SETTLE_MARGIN blocks deeper than the
 *    highest threshold of any agent (no threshold is still climbing; deeper than any reorg the chain has seen, and
 *    far past the depth at which the watcher stops following the address — src/node/watcher/watched.ts);
 *  - no delivery is left for it (the delivery log was pruned: docs/security.md, "Retention");
 * and the floor `outbox_state.markers_pruned_through` (the highest payment id whose markers went) keeps every
 * replan away from payments at or below it. Payment ids only grow, and a reorg cannot move one, so the floor holds
 * whatever the chain does later. Markers of a deleted agent go once their deliveries went: it is never planned again.
 */
import type { DB } from '../store/sqlite.ts';

/** Confirmations beyond the highest threshold before a done payment's markers may go. */
export const SETTLE_MARGIN = 100;
export const FLOOR_KEY = 'markers_pruned_through';

/** The highest payment id whose planning markers were pruned (0: none): replans never reach it or anything below. */
export function markerFloor(db: DB): number {
  const r = db.prepare('SELECT value FROM outbox_state WHERE key = ?').get(FLOOR_KEY) as { value: number } | undefined;
  return r?.value ?? 0;
}

/** Confirmations a done payment needs before its markers may go: the highest threshold of any agent + the margin. */
export function settleDepth(db: DB): number {
  let max = 0;
  for (const r of db.prepare('SELECT thresholds FROM agents WHERE deleted_at IS NULL').all() as { thresholds: string }[]) {
    for (const t of JSON.parse(r.thresholds) as number[]) if (t > max) max = t;
  }
  return max + SETTLE_MARGIN;
}

// A payment notification's body goes when its last delivery goes (retention.ts): body NULL is a marker left without
// a delivery, and the partial index notifications_marker (migration 014) holds just those.
const MARKER = 'payment_id IS NOT NULL AND body IS NULL';
const ORPHAN = 'NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.notification_id = notifications.id)';

/** Statements for the retention loop (src/node/retention.ts): markers left without a delivery, a batch at a time. */
export function markerPruning(db: DB, batch: number): {
  /** The id range of the next `batch` markers left without a delivery from `after` on, or null. */
  next(after: number): { lo: number; hi: number } | null;
  /** Deletes the prunable markers with ids in [lo, hi]; returns how many went. */
  run(lo: number, hi: number, tip: number, depth: number): number;
} {
  const page = db.prepare(
    `SELECT MIN(id) AS lo, MAX(id) AS hi FROM (SELECT id FROM notifications WHERE ${MARKER} AND id > ? ORDER BY id LIMIT ${batch})`,
  );
  const settled = db.prepare(
    `DELETE FROM notifications WHERE ${MARKER} AND id BETWEEN @lo AND @hi AND ${ORPHAN}
       AND EXISTS (SELECT 1 FROM payments p WHERE p.id = notifications.payment_id AND p.plan_done = 1 AND p.state = 'active'
         AND p.verified = 1 AND p.below_anchor = 0 AND p.height BETWEEN 1 AND @deepest)
     RETURNING payment_id`,
  );
  const ofDeleted = db.prepare(
    `DELETE FROM notifications WHERE ${MARKER} AND id BETWEEN @lo AND @hi AND ${ORPHAN}
       AND agent_id IN (SELECT id FROM agents WHERE deleted_at IS NOT NULL)`,
  );
  const raise = db.prepare(
    'INSERT INTO outbox_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = MAX(value, excluded.value)',
  );
  return {
    next(after) {
      const r = page.get(after) as { lo: number | null; hi: number | null };
      return r.lo === null || r.hi === null ? null : { lo: r.lo, hi: r.hi };
    },
    run(lo, hi, tip, depth) {
      let n = ofDeleted.run({ lo, hi }).changes;
      // A payment at height h has tip − h + 1 confirmations: at least `depth` means h ≤ tip − depth + 1.
      const deepest = tip - depth + 1;
      if (deepest < 1) return n;
      const gone = settled.all({ lo, hi, deepest }) as { payment_id: number }[];
      if (gone.length) {
        let top = 0;
        for (const r of gone) if (r.payment_id > top) top = r.payment_id;
        raise.run(FLOOR_KEY, top);
        n += gone.length;
      }
      return n;
    },
  };
}
