/**
 * 022: four indexes that held a row for every invoice or address ever made, for questions about a few
 * (docs/decisions/0101-live-indexes.md):
 * - addresses_state goes. Free and held addresses are asked for by state, and addresses_watched (008) already holds
 *   exactly those, in state order; used addresses, nearly every row, are only listed, walking ids. Removed addresses
 *   (a static pool's, by hand, rare) get addresses_removed.
 * - invoices_watch_window keeps only the invoices the watcher can still be asked about: not confirmed, not cancelled
 *   (the terms of src/node/watcher/watched.ts, written out the same way so SQLite uses it).
 * - invoices_paid_at and invoices_confirmed_at go. Only the daily report counted over them (docs/books.md); counts per
 *   quarter hour, kept by triggers in invoice_quarters, answer it (src/node/books/report.ts). A quarter hour divides
 *   every local midnight in use since long before Bitcoin.
 */
export const up = `
CREATE TABLE invoice_quarters (
  quarter   INTEGER PRIMARY KEY,
  paid      INTEGER NOT NULL DEFAULT 0,
  confirmed INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO invoice_quarters (quarter, paid, confirmed)
  SELECT q, SUM(p), SUM(c) FROM (
    SELECT paid_at / 900000 AS q, 1 AS p, 0 AS c FROM invoices WHERE paid_at IS NOT NULL
    UNION ALL SELECT confirmed_at / 900000, 0, 1 FROM invoices WHERE confirmed_at IS NOT NULL
  ) GROUP BY q;
CREATE TRIGGER invoices_quarters_insert AFTER INSERT ON invoices
  WHEN NEW.paid_at IS NOT NULL OR NEW.confirmed_at IS NOT NULL BEGIN
  INSERT INTO invoice_quarters (quarter, paid) SELECT NEW.paid_at / 900000, 1 WHERE NEW.paid_at IS NOT NULL
    ON CONFLICT (quarter) DO UPDATE SET paid = paid + 1;
  INSERT INTO invoice_quarters (quarter, confirmed) SELECT NEW.confirmed_at / 900000, 1 WHERE NEW.confirmed_at IS NOT NULL
    ON CONFLICT (quarter) DO UPDATE SET confirmed = confirmed + 1;
END;
CREATE TRIGGER invoices_quarters_paid AFTER UPDATE OF paid_at ON invoices WHEN OLD.paid_at IS NOT NEW.paid_at BEGIN
  UPDATE invoice_quarters SET paid = paid - 1 WHERE quarter = OLD.paid_at / 900000;
  INSERT INTO invoice_quarters (quarter, paid) SELECT NEW.paid_at / 900000, 1 WHERE NEW.paid_at IS NOT NULL
    ON CONFLICT (quarter) DO UPDATE SET paid = paid + 1;
END;
CREATE TRIGGER invoices_quarters_confirmed AFTER UPDATE OF confirmed_at ON invoices WHEN OLD.confirmed_at IS NOT NEW.confirmed_at BEGIN
  UPDATE invoice_quarters SET confirmed = confirmed - 1 WHERE quarter = OLD.confirmed_at / 900000;
  INSERT INTO invoice_quarters (quarter, confirmed) SELECT NEW.confirmed_at / 900000, 1 WHERE NEW.confirmed_at IS NOT NULL
    ON CONFLICT (quarter) DO UPDATE SET confirmed = confirmed + 1;
END;
CREATE TRIGGER invoices_quarters_delete AFTER DELETE ON invoices
  WHEN OLD.paid_at IS NOT NULL OR OLD.confirmed_at IS NOT NULL BEGIN
  UPDATE invoice_quarters SET paid = paid - 1 WHERE quarter = OLD.paid_at / 900000;
  UPDATE invoice_quarters SET confirmed = confirmed - 1 WHERE quarter = OLD.confirmed_at / 900000;
END;
DROP INDEX invoices_paid_at;
DROP INDEX invoices_confirmed_at;
DROP INDEX invoices_watch_window;
CREATE INDEX invoices_watch_window ON invoices (expires_at + monitoring_ms) WHERE status NOT IN ('confirmed', 'cancelled');
DROP INDEX addresses_state;
CREATE INDEX addresses_removed ON addresses (id) WHERE state = 'removed';
`;
