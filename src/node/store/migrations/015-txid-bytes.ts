/**
 * 015: `payments.txid` as its 32 bytes (docs/decisions/0088-txid-bytes.md), like the script and block hashes of 013
 * (docs/decisions/0087-lean-chain-tables.md): the column and its unique (txid, address_id) index hold half as much.
 * The code reads and binds it as lowercase hex at the SQL boundary (src/node/store/chain-sql.ts). The table is
 * rebuilt with every row, its indexes, triggers and the references to it; the definition is 013's but for txid.
 */
import type { DB } from '../sqlite.ts';

export const foreignKeys = 'off' as const;

const PAYMENTS = `CREATE TABLE payments_015 (
  id                 INTEGER PRIMARY KEY,
  txid               BLOB NOT NULL CHECK (length(txid) = 32),
  address_id         INTEGER NOT NULL REFERENCES addresses (id),
  sats               INTEGER NOT NULL CHECK (sats >= 0),
  invoice_id         TEXT,                          -- NULL: unattributed (seen before any invoice took the address)
  height             INTEGER NOT NULL DEFAULT 0,    -- 0 while in the mempool
  block_hash         BLOB CHECK (block_hash IS NULL OR length(block_hash) = 32),
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
  FOREIGN KEY (invoice_id) REFERENCES invoices (id),
  CHECK (rbf IN (0, 1) AND verified IN (0, 1) AND plan_done IN (0, 1)),
  CHECK (height >= 0)
) STRICT`;

export function up(db: DB): void {
  // A stored txid that does not convert would fail the copy with a bare constraint error: named here instead.
  const bad = db.prepare('SELECT id, txid FROM payments WHERE length(txid) <> 64 OR unhex(txid) IS NULL LIMIT 1').get() as { id: number; txid: string } | undefined;
  if (bad) throw new Error(`migration 015: payments row ${bad.id} holds "${bad.txid}", not a 32-byte hex txid`);
  const attached = db.prepare("SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = 'payments' AND sql IS NOT NULL ORDER BY type").all() as { sql: string }[];
  // Other tables' references and triggers name `payments`: the rename must leave them alone (https://sqlite.org/lang_altertable.html#otheralter).
  const legacy = db.pragma('legacy_alter_table', { simple: true }) as number;
  db.pragma('legacy_alter_table = ON');
  try {
    db.exec(PAYMENTS);
    const columns = (db.prepare("SELECT name FROM pragma_table_info('payments_015')").all() as { name: string }[]).map((c) => c.name);
    const values = columns.map((c) => (c === 'txid' ? 'unhex(txid)' : `"${c}"`));
    db.exec(`INSERT INTO payments_015 (${columns.map((c) => `"${c}"`).join(', ')}) SELECT ${values.join(', ')} FROM payments`);
    db.exec('DROP TABLE payments');
    db.exec('ALTER TABLE payments_015 RENAME TO payments');
    for (const x of attached) db.exec(x.sql);
  } finally {
    db.pragma(`legacy_alter_table = ${legacy}`);
  }
}
