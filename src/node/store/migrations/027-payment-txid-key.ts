/**
 * 027: payments are found by their txid through an index of its first eight bytes, no longer through the whole
 * 32-byte txid with the address (docs/decisions/0108-payment-txid-key.md). The unique (txid, address_id) index held
 * 32 bytes of every txid a second time, about 36 bytes per invoice at a million; an eight-byte key costs about 14.
 * Two payments of one transaction to one address stay impossible: a trigger refuses the row, as the constraint did,
 * after looking it up through the key. Reads by txid name the key (`txidIs` and `txidPrefix` in
 * src/node/store/chain-sql.ts), so SQLite uses the index. The table is rebuilt (src/node/store/migrations/rebuild.ts)
 * with every row, its indexes and triggers.
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
  state              TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'gone')),
  plan_done          INTEGER NOT NULL DEFAULT 0,
  time               INTEGER,
  unconfirmed_parent INTEGER NOT NULL DEFAULT 0,
  mempool_servers    INTEGER NOT NULL DEFAULT 1,
  below_anchor       INTEGER NOT NULL DEFAULT 0 CHECK (below_anchor IN (0, 1)),
  CHECK (rbf IN (0, 1) AND verified IN (0, 1) AND plan_done IN (0, 1)),
  CHECK (height >= 0)
) STRICT`;

/** The (txid, address) pair is unique: what the dropped constraint said, checked through the key's index. */
const UNIQUE_PAIR = `EXISTS (SELECT 1 FROM payments o WHERE substr(o.txid, 1, 8) = substr(NEW.txid, 1, 8) AND o.txid = NEW.txid
      AND o.address_id = NEW.address_id AND o.id IS NOT NEW.id)`;

export function up(db: DB): void {
  rebuildTable(db, 'payments', payments);
  db.exec(`CREATE INDEX payments_txid ON payments (substr(txid, 1, 8));
    CREATE TRIGGER payments_pair_insert BEFORE INSERT ON payments WHEN ${UNIQUE_PAIR} BEGIN
      SELECT RAISE(ABORT, 'UNIQUE constraint failed: payments.txid, payments.address_id');
    END;
    CREATE TRIGGER payments_pair_update BEFORE UPDATE OF txid, address_id ON payments WHEN ${UNIQUE_PAIR} BEGIN
      SELECT RAISE(ABORT, 'UNIQUE constraint failed: payments.txid, payments.address_id');
    END;`);
}
