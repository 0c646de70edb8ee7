/**
 * 008: what the hot paths need kept up to date instead of counted, so a store with a million invoices answers as
 * fast as a new one (docs/decisions/0080-maintained-state.md, docs/decisions/0081-search-index.md).
 * - wallet_source.used_through: the highest derivation index that ever received anything still standing (an active
 *   payment); the wallet's gap is then next_index − 1 − used_through (docs/spec/wallet.md#the-gap). Kept by triggers
 *   on payments; a payment leaving the chain at the top index walks down to the next used address.
 * - wallet_source.gap_seen: the gap when it was last looked at, so an alert fires once per threshold crossing.
 * - address_states: how many addresses are in each state (sysinfo), kept by triggers on addresses.
 * - invoices_search: a trigram index over label and userdata for `GET /invoices?q=` (SQLite FTS5, external content,
 *   no positions: the candidates it finds are checked against the invoice row).
 * - addresses_watched: the addresses that can still be paid (in use or free) with what the watcher reads of them, in
 *   a few contiguous pages: after every block the watcher reads them all, and held addresses of years-old partial
 *   payments lie scattered over a million rows otherwise (one page read each).
 * - notifications_kept_body, notifications_not_payment: the notifications retention looks at every hour (a payment
 *   notification still holding its body, an event or test notification), which only the last days have; without
 *   them each run walked every notification ever planned (1.6 s at a million invoices, in a write).
 */
export const up = `
ALTER TABLE wallet_source ADD COLUMN used_through INTEGER NOT NULL DEFAULT -1;
ALTER TABLE wallet_source ADD COLUMN gap_seen INTEGER NOT NULL DEFAULT 0;
UPDATE wallet_source SET used_through = COALESCE((
  SELECT MAX(a.derivation_index) FROM payments p JOIN addresses a ON a.id = p.address_id
  WHERE p.state = 'active' AND a.derivation_index IS NOT NULL), -1);
UPDATE wallet_source SET gap_seen = MAX(0, next_index - 1 - used_through);

CREATE TRIGGER payments_used_insert AFTER INSERT ON payments WHEN NEW.state = 'active' BEGIN
  UPDATE wallet_source SET used_through = (SELECT derivation_index FROM addresses WHERE id = NEW.address_id)
   WHERE id = 1 AND used_through < (SELECT derivation_index FROM addresses WHERE id = NEW.address_id);
END;
CREATE TRIGGER payments_used_back AFTER UPDATE OF state ON payments WHEN NEW.state = 'active' AND OLD.state <> 'active' BEGIN
  UPDATE wallet_source SET used_through = (SELECT derivation_index FROM addresses WHERE id = NEW.address_id)
   WHERE id = 1 AND used_through < (SELECT derivation_index FROM addresses WHERE id = NEW.address_id);
END;
CREATE TRIGGER payments_used_gone AFTER UPDATE OF state ON payments WHEN OLD.state = 'active' AND NEW.state <> 'active' BEGIN
  UPDATE wallet_source SET used_through = COALESCE((
      SELECT a.derivation_index FROM addresses a
       WHERE a.derivation_index IS NOT NULL AND a.derivation_index <= wallet_source.used_through
         AND EXISTS (SELECT 1 FROM payments p WHERE p.address_id = a.id AND p.state = 'active')
       ORDER BY a.derivation_index DESC LIMIT 1), -1)
   WHERE id = 1 AND used_through = (SELECT derivation_index FROM addresses WHERE id = NEW.address_id);
END;

CREATE INDEX addresses_watched ON addresses (state, id, scripthash, electrum_status) WHERE state IN ('in_use', 'free');

CREATE INDEX notifications_kept_body ON notifications (id) WHERE payment_id IS NOT NULL AND body IS NOT NULL;
CREATE INDEX notifications_not_payment ON notifications (id) WHERE payment_id IS NULL;

CREATE TABLE address_states (
  state TEXT PRIMARY KEY,
  n     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO address_states (state, n) SELECT state, COUNT(*) FROM addresses GROUP BY state;
CREATE TRIGGER addresses_count_insert AFTER INSERT ON addresses BEGIN
  INSERT INTO address_states (state, n) VALUES (NEW.state, 1) ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER addresses_count_update AFTER UPDATE OF state ON addresses WHEN OLD.state <> NEW.state BEGIN
  UPDATE address_states SET n = n - 1 WHERE state = OLD.state;
  INSERT INTO address_states (state, n) VALUES (NEW.state, 1) ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER addresses_count_delete AFTER DELETE ON addresses BEGIN
  UPDATE address_states SET n = n - 1 WHERE state = OLD.state;
END;

CREATE VIRTUAL TABLE invoices_search USING fts5(
  label, userdata, content = 'invoices', content_rowid = 'seq', tokenize = 'trigram', detail = 'none', columnsize = 0
);
INSERT INTO invoices_search (invoices_search) VALUES ('rebuild');
CREATE TRIGGER invoices_search_insert AFTER INSERT ON invoices BEGIN
  INSERT INTO invoices_search (rowid, label, userdata) VALUES (NEW.seq, NEW.label, NEW.userdata);
END;
CREATE TRIGGER invoices_search_delete AFTER DELETE ON invoices BEGIN
  INSERT INTO invoices_search (invoices_search, rowid, label, userdata) VALUES ('delete', OLD.seq, OLD.label, OLD.userdata);
END;
CREATE TRIGGER invoices_search_update AFTER UPDATE OF label, userdata ON invoices BEGIN
  INSERT INTO invoices_search (invoices_search, rowid, label, userdata) VALUES ('delete', OLD.seq, OLD.label, OLD.userdata);
  INSERT INTO invoices_search (rowid, label, userdata) VALUES (NEW.seq, NEW.label, NEW.userdata);
END;
`;
