/**
 * 013: smaller chain tables (docs/decisions/0087-lean-chain-tables.md).
 * - addresses.script_hex goes: the script is the address's, and a payment's outputs are matched by script hash.
 * - addresses.scripthash and payments.block_hash are kept as their 32 bytes (BLOB) instead of 64 hex characters; the
 *   code reads and binds them as lowercase hex at the SQL boundary (src/node/store/chain-sql.ts).
 * - invoices.address and payments.address go: copies of addresses.address, read through address_id.
 * Each table is rebuilt (a STRICT column cannot change type or be dropped in place) with every row and its indexes and
 * triggers. The definitions are written out: a migration never changes once shipped, and after 012 they are fixed.
 */
import type { DB } from '../sqlite.ts';

export const foreignKeys = 'off' as const;

const ADDRESSES = `CREATE TABLE addresses_013 (
  id               INTEGER PRIMARY KEY,
  address          TEXT NOT NULL UNIQUE,
  scripthash       BLOB NOT NULL UNIQUE CHECK (length(scripthash) = 32),
  origin           TEXT NOT NULL CHECK (origin IN ('derived', 'static')),
  derivation_index INTEGER CHECK ((origin = 'derived') = (derivation_index IS NOT NULL)),
  state            TEXT NOT NULL CHECK (state IN ('free', 'in_use', 'used', 'removed')),
  invoice_id       TEXT,                    -- the invoice holding it now
  electrum_status  TEXT,                    -- last scripthash status accepted from the server
  created_at       INTEGER NOT NULL,
  FOREIGN KEY (invoice_id) REFERENCES invoices (id) DEFERRABLE INITIALLY DEFERRED
) STRICT`;

const INVOICES = `CREATE TABLE invoices_013 (
  seq                    INTEGER PRIMARY KEY,          -- creation order; list cursors page on it
  id                     TEXT NOT NULL UNIQUE,
  status                 TEXT NOT NULL,
  flags                  TEXT NOT NULL DEFAULT '',     -- comma-separated, sorted
  amount_sats            INTEGER NOT NULL CHECK (amount_sats > 0),
  fiat_amount            TEXT,
  fiat_currency          TEXT,
  fiat_rate              TEXT,
  label                  TEXT NOT NULL DEFAULT '',
  userdata               TEXT NOT NULL DEFAULT '',
  address_id             INTEGER NOT NULL REFERENCES addresses (id),
  created_at             INTEGER NOT NULL,
  expires_at             INTEGER NOT NULL,
  confirmations_required INTEGER NOT NULL CHECK (confirmations_required BETWEEN 0 AND 100),
  tolerance_bp           INTEGER NOT NULL CHECK (tolerance_bp BETWEEN 0 AND 10000),
  monitoring_ms          INTEGER NOT NULL,
  zero_conf_limit_sats   INTEGER NOT NULL DEFAULT 0,
  cancelled_at           INTEGER,
  manual_status          TEXT,
  manual_note            TEXT,
  manual_at              INTEGER,
  released_at            INTEGER,                      -- merchant released a held pool address
  note                   TEXT NOT NULL DEFAULT '',
  paid_sats              INTEGER NOT NULL DEFAULT 0,
  confirmed_sats         INTEGER NOT NULL DEFAULT 0,
  next_check_at          INTEGER,                      -- next time-driven re-evaluation (expiry, window, grace)
  updated_at             INTEGER NOT NULL,
  confirmations_requested INTEGER CHECK (confirmations_requested BETWEEN 0 AND 100),
  confirmations_note     TEXT,
  zero_conf_risk         TEXT NOT NULL DEFAULT 'refuse' CHECK (zero_conf_risk IN ('refuse', 'accept', 'accept_unconfirmed_parents')),
  taken_tip_height       INTEGER,
  paid_at                INTEGER,
  confirmed_at           INTEGER,
  fiat_rate_kind         TEXT CHECK (fiat_rate_kind IN ('live', 'manual')),
  fiat_rate_sources      TEXT,
  fiat_rate_at           INTEGER,
  fiat_market_rate       TEXT,
  fiat_spread_bp         INTEGER,
  CHECK (status IN ('unpaid', 'partial', 'paid', 'confirmed', 'expired', 'invalid', 'cancelled')),
  CHECK (manual_status IS NULL OR manual_status IN ('confirmed', 'invalid', 'cancelled')),
  CHECK (paid_sats >= 0 AND confirmed_sats >= 0)
) STRICT`;

const PAYMENTS = `CREATE TABLE payments_013 (
  id                 INTEGER PRIMARY KEY,
  txid               TEXT NOT NULL,
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

/** Table → its new definition and each new column's value from the old row (unlisted: copied as it is). */
const TABLES: { name: string; create: string; convert: Record<string, string> }[] = [
  { name: 'addresses', create: ADDRESSES, convert: { scripthash: 'unhex(scripthash)' } },
  { name: 'invoices', create: INVOICES, convert: {} },
  { name: 'payments', create: PAYMENTS, convert: { block_hash: 'unhex(block_hash)' } },
];

/** A stored hex value that does not convert would fail the copy with a bare constraint error: named here instead. */
function checkHex(db: DB): void {
  const bad = db.prepare(
    `SELECT 'addresses' AS t, id, scripthash AS v FROM addresses WHERE length(scripthash) <> 64 OR unhex(scripthash) IS NULL
     UNION ALL SELECT 'payments', id, block_hash FROM payments WHERE block_hash IS NOT NULL AND (length(block_hash) <> 64 OR unhex(block_hash) IS NULL)
     LIMIT 1`,
  ).get() as { t: string; id: number; v: string } | undefined;
  if (bad) throw new Error(`migration 013: ${bad.t} row ${bad.id} holds "${bad.v}", not a 32-byte hex hash`);
}

function rebuild(db: DB, t: (typeof TABLES)[number]): void {
  // Its indexes and triggers (008's counters and search index, 012's lean indexes) go with the old table: made again after.
  const attached = db.prepare("SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ? AND sql IS NOT NULL ORDER BY type").all(t.name) as { sql: string }[];
  const tmp = `${t.name}_013`;
  db.exec(t.create);
  const columns = (db.prepare('SELECT name FROM pragma_table_info(?)').all(tmp) as { name: string }[]).map((c) => c.name);
  const values = columns.map((c) => t.convert[c] ?? `"${c}"`);
  db.exec(`INSERT INTO ${tmp} (${columns.map((c) => `"${c}"`).join(', ')}) SELECT ${values.join(', ')} FROM ${t.name}`);
  db.exec(`DROP TABLE ${t.name}`);
  db.exec(`ALTER TABLE ${tmp} RENAME TO ${t.name}`);
  for (const x of attached) db.exec(x.sql);
}

export function up(db: DB): void {
  checkHex(db);
  // While a table is dropped, other tables' references and triggers name it: the rename must leave them alone
  // (https://sqlite.org/lang_altertable.html#otheralter).
  const legacy = db.pragma('legacy_alter_table', { simple: true }) as number;
  db.pragma('legacy_alter_table = ON');
  try {
    for (const t of TABLES) rebuild(db, t);
  } finally {
    db.pragma(`legacy_alter_table = ${legacy}`);
  }
}
