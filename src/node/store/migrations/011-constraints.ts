/**
 * 011: the database refuses what the code never writes (docs/decisions/0017-constraints-and-upgrade-tests.md) —
 * CHECK constraints on status and flag columns and foreign keys where a column names another table's row. SQLite
 * cannot add a constraint to an existing table, so each table is rebuilt: its current definition (whatever columns
 * earlier migrations added) plus the new constraints, every row copied, its indexes recreated. The runner turns
 * foreign keys off for this migration and checks them all before it commits.
 *
 * The word lists are written out here, not imported: a migration never changes once shipped. A test compares them
 * with src/core/vocabulary.ts, so a new status needs a new migration.
 */
import type { DB } from '../sqlite.ts';

export const foreignKeys = 'off' as const;

const INVOICE_STATUSES = "'unpaid', 'partial', 'paid', 'confirmed', 'expired', 'invalid', 'cancelled'";

/** Table → constraints added to it. */
export const CONSTRAINTS: Record<string, string[]> = {
  invoices: [
    `CHECK (status IN (${INVOICE_STATUSES}))`,
    "CHECK (manual_status IS NULL OR manual_status IN ('confirmed', 'invalid', 'cancelled'))",
    'CHECK (paid_sats >= 0 AND confirmed_sats >= 0)',
  ],
  addresses: [
    // pool.take points the address at the invoice before the invoice row exists: checked at commit.
    'FOREIGN KEY (invoice_id) REFERENCES invoices (id) DEFERRABLE INITIALLY DEFERRED',
  ],
  payments: [
    'FOREIGN KEY (invoice_id) REFERENCES invoices (id)',
    'CHECK (rbf IN (0, 1) AND verified IN (0, 1) AND plan_done IN (0, 1))',
    'CHECK (height >= 0)',
  ],
  events: ['FOREIGN KEY (invoice_id) REFERENCES invoices (id)', 'FOREIGN KEY (payment_id) REFERENCES payments (id)'],
  idempotency_keys: ['FOREIGN KEY (invoice_id) REFERENCES invoices (id)'],
  agents: ['CHECK (enabled IN (0, 1))'],
  deliveries: ['FOREIGN KEY (agent_id) REFERENCES agents (id)', 'CHECK (test IN (0, 1))', 'CHECK (attempts >= 0)'],
};

/** `CREATE TABLE name (...) STRICT` with `extra` appended inside the parentheses, under `newName`. */
function withConstraints(sql: string, name: string, newName: string, extra: string[]): string {
  const head = new RegExp(`^CREATE TABLE "?${name}"?\\s*\\(`, 'i');
  if (!head.test(sql)) throw new Error(`migration 011: unexpected definition of ${name}`);
  const close = sql.lastIndexOf(')');
  return `${sql.slice(0, close).replace(head, `CREATE TABLE ${newName} (`)},\n  ${extra.join(',\n  ')}\n${sql.slice(close)}`;
}

function rebuild(db: DB, table: string, extra: string[]): void {
  const def = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) as { sql: string } | undefined;
  if (!def) throw new Error(`migration 011: no table ${table}`);
  // Its indexes and triggers (migration 008's counters and search index) go with the old table: made again after.
  const attached = db.prepare("SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ? AND sql IS NOT NULL ORDER BY type").all(table) as { sql: string }[];
  const columns = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((c) => `"${c.name}"`).join(', ');
  const tmp = `${table}_011`;
  db.exec(withConstraints(def.sql, table, tmp, extra));
  db.exec(`INSERT INTO ${tmp} (${columns}) SELECT ${columns} FROM ${table}`);
  db.exec(`DROP TABLE ${table}`);
  db.exec(`ALTER TABLE ${tmp} RENAME TO ${table}`);
  for (const x of attached) db.exec(x.sql);
}

export function up(db: DB): void {
  // While a table is dropped, other tables' triggers name it: the rename must not re-check or rewrite them
  // (SQLite's procedure for rebuilding a table, https://sqlite.org/lang_altertable.html#otheralter).
  const legacy = db.pragma('legacy_alter_table', { simple: true }) as number;
  db.pragma('legacy_alter_table = ON');
  try {
    for (const [table, extra] of Object.entries(CONSTRAINTS)) rebuild(db, table, extra);
  } finally {
    db.pragma(`legacy_alter_table = ${legacy}`);
  }
}
