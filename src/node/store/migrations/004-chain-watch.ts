/**
 * 004: the chain watcher's state, kept so that work follows what is live, not history.
 * - payments.time: the payment's time, set once when it is first recorded (src/core/payment-time.ts); existing rows
 *   get the rule they were shown with (the earlier of first seen and block time).
 * - Indexes that answer "which addresses are still watched" without scanning every invoice and payment: the
 *   confirmation horizon (MAX over an index), invoices still inside their monitoring window, payments still
 *   unconfirmed or unverified, and payments still climbing towards the horizon.
 */
export const up = `
ALTER TABLE payments ADD COLUMN time INTEGER;
UPDATE payments SET time = CASE WHEN block_time IS NOT NULL AND block_time < first_seen THEN block_time ELSE first_seen END;
CREATE INDEX invoices_confirmations ON invoices (confirmations_required);
CREATE INDEX invoices_watch_window ON invoices (expires_at + monitoring_ms);
CREATE INDEX payments_unverified ON payments (address_id) WHERE state = 'active' AND verified = 0;
CREATE INDEX payments_climbing ON payments (height) WHERE state = 'active';
`;
