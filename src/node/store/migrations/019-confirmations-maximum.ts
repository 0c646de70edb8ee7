/**
 * 019: the highest `confirmations_required` of any invoice is kept, not looked up (docs/decisions/0098-maintained-maximum.md).
 * The watcher reads it at every tip (how far back a block can still confirm something: src/node/watcher/recorder.ts,
 * src/node/watcher/watched.ts). An index over every invoice's requirement (004's invoices_confirmations, about 10 bytes
 * per invoice at a million) answered it; a row kept by triggers does the same. It only grows: an invoice deleted
 * leaves it where it was, which makes the watcher look a little further back than needed, never less far.
 */
export const up = `
CREATE TABLE invoice_maxima (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO invoice_maxima (name, value) SELECT 'confirmations_required', COALESCE(MAX(confirmations_required), 0) FROM invoices;
CREATE TRIGGER invoices_maxima_insert AFTER INSERT ON invoices BEGIN
  UPDATE invoice_maxima SET value = NEW.confirmations_required WHERE name = 'confirmations_required' AND value < NEW.confirmations_required;
END;
CREATE TRIGGER invoices_maxima_update AFTER UPDATE OF confirmations_required ON invoices BEGIN
  UPDATE invoice_maxima SET value = NEW.confirmations_required WHERE name = 'confirmations_required' AND value < NEW.confirmations_required;
END;
DROP INDEX invoices_confirmations;
`;
