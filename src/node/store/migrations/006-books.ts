/**
 * 006: the books (docs/books.md).
 * - invoices.paid_at / confirmed_at: when the invoice reached its due amount (the time of the payment that completed
 *   it) and when it became confirmed, kept by every re-evaluation beside paid_sats; the daily report counts by them.
 *   Existing rows take the time of their last invoice.paid/paid_late and invoice.confirmed events (or the mark).
 * - Indexes for ranges: invoices by creation time, payments by payment time, refunds by the time they were recorded,
 *   and the daily counts of paid and confirmed invoices.
 * - refunds: the customer's refund address (with its script, so Satdesk can watch it) and what the chain showed of
 *   the refund's transaction: its height (NULL: not seen; 0: mempool), whether its merkle proof was verified, when it
 *   was first seen, whether Satdesk found the txid itself (`matched`), and the last Electrum status of the address.
 */
export const up = `
ALTER TABLE invoices ADD COLUMN paid_at INTEGER;
ALTER TABLE invoices ADD COLUMN confirmed_at INTEGER;
UPDATE invoices SET paid_at = (
  SELECT MAX(e.created_at) FROM events e WHERE e.invoice_id = invoices.id AND e.type IN ('invoice.paid', 'invoice.paid_late')
) WHERE status IN ('paid', 'confirmed', 'invalid') AND paid_sats > 0;
UPDATE invoices SET confirmed_at = CASE WHEN manual_status = 'confirmed' THEN manual_at ELSE (
  SELECT MAX(e.created_at) FROM events e WHERE e.invoice_id = invoices.id AND e.type = 'invoice.confirmed'
) END WHERE status = 'confirmed';
CREATE INDEX invoices_created ON invoices (created_at);
CREATE INDEX invoices_paid_at ON invoices (paid_at) WHERE paid_at IS NOT NULL;
CREATE INDEX invoices_confirmed_at ON invoices (confirmed_at) WHERE confirmed_at IS NOT NULL;
CREATE INDEX payments_time ON payments (time);

ALTER TABLE refunds ADD COLUMN address TEXT;
ALTER TABLE refunds ADD COLUMN scripthash TEXT;
ALTER TABLE refunds ADD COLUMN script_hex TEXT;
ALTER TABLE refunds ADD COLUMN height INTEGER;
ALTER TABLE refunds ADD COLUMN block_hash TEXT;
ALTER TABLE refunds ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN seen_at INTEGER;
ALTER TABLE refunds ADD COLUMN matched INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN electrum_status TEXT;
CREATE INDEX refunds_created ON refunds (created_at);
CREATE INDEX refunds_watched ON refunds (scripthash) WHERE scripthash IS NOT NULL;
`;
