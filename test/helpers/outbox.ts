/**
 * What the outbox holds, read from the database. The planner runs inside every write that changes facts
 * (docs/spec/notifications.md#planning), so right after such a write returns these answers are final: a test proves
 * "nothing more will be sent" by showing nothing more is planned and nothing is left to send, not by sleeping.
 */
import type { DB } from '../../src/node/store/sqlite.ts';

/** The thresholds planned for one payment (and agent), in order. */
export function plannedThresholds(db: DB, agentId: string, paymentId?: number): number[] {
  const rows = db
    .prepare(`SELECT threshold FROM notifications WHERE agent_id = ? AND payment_id IS NOT NULL ${paymentId === undefined ? '' : 'AND payment_id = ?'} ORDER BY threshold`)
    .all(...(paymentId === undefined ? [agentId] : [agentId, paymentId])) as { threshold: number }[];
  return rows.map((r) => r.threshold);
}

/** How many notifications an agent has, of any kind. */
export function notificationCount(db: DB, agentId: string): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM notifications WHERE agent_id = ?').get(agentId) as { n: number }).n;
}

/** 1 once every threshold of every agent is planned for the payment (the planner stops looking at it), else 0. */
export function planDone(db: DB, paymentId: number): number {
  return (db.prepare('SELECT plan_done FROM payments WHERE id = ?').get(paymentId) as { plan_done: number }).plan_done;
}

/** Deliveries the sender may still attempt (PENDING or RETRY); 0 means it has nothing left to send. */
export function openDeliveries(db: DB, agentId?: string): number {
  const r = db
    .prepare(`SELECT COUNT(*) AS n FROM deliveries WHERE state IN ('PENDING', 'RETRY') ${agentId ? 'AND agent_id = ?' : ''}`)
    .get(...(agentId ? [agentId] : [])) as { n: number };
  return r.n;
}
