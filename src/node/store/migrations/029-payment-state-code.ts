/**
 * 029: a payment's state is stored as a code, 0 for 'active' and 1 for 'gone', and read as the word through a
 * generated column (docs/decisions/0109-invoice-codes.md, which 028 began for invoices). 'active' cost 7 bytes in
 * every payment; 0 costs none (SQLite keeps 0 and 1 in the row's header). Writers set `state_code`
 * (PAYMENT_STATE_CODE in src/node/store/codes.ts); readers, the partial indexes and the triggers keep the word. The
 * two triggers that fired on a change of `state` fire on a change of `state_code`, since a generated column is never
 * named in an UPDATE. The table is rebuilt (src/node/store/migrations/rebuild.ts) with every row, its indexes and
 * triggers; the codes below are this migration's, as shipped.
 */
import type { DB } from '../sqlite.ts';
import { rebuildTable } from './rebuild.ts';

export const foreignKeys = 'off' as const;

const payments = (name: string): string => `CREATE TABLE ${name} (
  id                 INTEGER PRIMARY KEY,
  txid               BLOB NOT NULL CHECK (length(txid) = 32),
  address_id         INTEGER NOT NULL REFERENCES addresses (id),
  sats               INTEGER NOT NULL CHECK (sats >= 0),
  invoice_seq        INTEGER REFERENCES invoices (seq), -- NULL: unattributed (seen before any invoice took the address)
  height             INTEGER NOT NULL DEFAULT 0,    -- 0 while in the mempool
  block_key          INTEGER,                       -- the block hash's last four bytes (NULL while in the mempool)
  block_time         INTEGER,
  first_seen         INTEGER NOT NULL,
  rbf                INTEGER NOT NULL DEFAULT 0,
  verified           INTEGER NOT NULL DEFAULT 0,    -- merkle proof checked against our header chain at this height
  state              TEXT GENERATED ALWAYS AS (CASE state_code WHEN 0 THEN 'active' WHEN 1 THEN 'gone' END) VIRTUAL,
  plan_done          INTEGER NOT NULL DEFAULT 0,
  time               INTEGER,
  unconfirmed_parent INTEGER NOT NULL DEFAULT 0,
  mempool_servers    INTEGER NOT NULL DEFAULT 1,
  below_anchor       INTEGER NOT NULL DEFAULT 0 CHECK (below_anchor IN (0, 1)),
  state_code         INTEGER NOT NULL DEFAULT 0 CHECK (state_code IN (0, 1)),
  CHECK (rbf IN (0, 1) AND verified IN (0, 1) AND plan_done IN (0, 1)),
  CHECK (height >= 0)
) STRICT`;

export function up(db: DB): void {
  rebuildTable(db, 'payments', payments, { state_code: "CASE state WHEN 'active' THEN 0 WHEN 'gone' THEN 1 END" });
  db.exec(`DROP TRIGGER payments_used_back;
    DROP TRIGGER payments_used_gone;
    CREATE TRIGGER payments_used_back AFTER UPDATE OF state_code ON payments WHEN NEW.state = 'active' AND OLD.state <> 'active' BEGIN
      UPDATE wallet_source SET used_through = (SELECT derivation_index FROM addresses WHERE id = NEW.address_id)
       WHERE id = 1 AND used_through < (SELECT derivation_index FROM addresses WHERE id = NEW.address_id);
    END;
    CREATE TRIGGER payments_used_gone AFTER UPDATE OF state_code ON payments WHEN OLD.state = 'active' AND NEW.state <> 'active' BEGIN
      UPDATE wallet_source SET used_through = COALESCE((
          SELECT a.derivation_index FROM addresses a
           WHERE a.derivation_index IS NOT NULL AND a.derivation_index <= wallet_source.used_through
             AND EXISTS (SELECT 1 FROM payments p WHERE p.address_id = a.id AND p.state = 'active')
           ORDER BY a.derivation_index DESC LIMIT 1), -1)
       WHERE id = 1 AND used_through = (SELECT derivation_index FROM addresses WHERE id = NEW.address_id);
    END;`);
}
