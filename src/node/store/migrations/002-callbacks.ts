/**
 * 002: the callback outbox, reshaped for the planner and the sender (docs/spec/notifications.md).
 * - payments.plan_done: 1 once every threshold of every agent covering the payment is planned, so the planner (run
 *   in every write transaction) only looks at the few payments still climbing (partial index).
 * - agents.threshold_meta: for thresholds added after the agent was enabled, the time and tip height when they were
 *   added (a later threshold applies only to payments that had not reached it then); agents.event_floor: events
 *   agents get events after this id only (no replay).
 * - deliveries.agent_id/order_key: one queue per agent; within an order key (a payment, or an invoice for events
 *   agents) a delivery waits until the earlier ones ended.
 * - outbox_state: the events watermark.
 */
export const up = `
ALTER TABLE payments ADD COLUMN plan_done INTEGER NOT NULL DEFAULT 0;
CREATE INDEX payments_plan ON payments (id) WHERE plan_done = 0 AND state = 'active';

ALTER TABLE agents ADD COLUMN threshold_meta TEXT NOT NULL DEFAULT '{}';
ALTER TABLE agents ADD COLUMN event_floor INTEGER NOT NULL DEFAULT 0;

ALTER TABLE deliveries ADD COLUMN agent_id TEXT;
ALTER TABLE deliveries ADD COLUMN order_key TEXT;
CREATE INDEX deliveries_agent_due ON deliveries (agent_id, next_attempt_at) WHERE state IN ('PENDING', 'RETRY');
CREATE INDEX deliveries_order ON deliveries (agent_id, order_key) WHERE state IN ('PENDING', 'RETRY') AND order_key IS NOT NULL;
CREATE INDEX deliveries_agent_list ON deliveries (agent_id, created_at);
CREATE INDEX deliveries_ended ON deliveries (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX deliveries_redelivery ON deliveries (redelivery_of) WHERE redelivery_of IS NOT NULL;

CREATE TABLE outbox_state (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
INSERT INTO outbox_state (key, value) VALUES ('events_watermark', (SELECT COALESCE(MAX(id), 0) FROM events));
`;
