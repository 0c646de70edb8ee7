/**
 * 023: a payment names its invoice by the invoice's row number, `invoice_seq`, no longer by its 16-character public
 * id (docs/decisions/0102-payment-invoice-seq.md). The id cost 17 bytes in every payment and again in its index, about
 * 20 bytes per invoice at a million; the row number costs three or four. Every read that shows a payment's invoice
 * still reads its public id, through `invoiceIdOf` (src/node/store/chain-sql.ts). The table is rebuilt
 * (src/node/store/migrations/rebuild.ts) with every row, its triggers and the references to it; the two indexes over
 * the old column are made again over the new one.
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
  UNIQUE (txid, address_id),
  CHECK (rbf IN (0, 1) AND verified IN (0, 1) AND plan_done IN (0, 1)),
  CHECK (height >= 0)
) STRICT`;

export function up(db: DB): void {
  db.exec('DROP INDEX payments_invoice; DROP INDEX payments_unattributed;');
  rebuildTable(db, 'payments', payments, { invoice_seq: '(SELECT i.seq FROM invoices i WHERE i.id = payments.invoice_id)' });
  db.exec(`CREATE INDEX payments_invoice ON payments (invoice_seq);
    CREATE INDEX payments_unattributed ON payments (id) WHERE invoice_seq IS NULL;`);
}
