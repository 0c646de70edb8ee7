/**
 * 014: a smaller outbox (docs/decisions/0090-settled-planning-markers.md, 0091-outbox-ids-as-bytes.md).
 * - notifications.public_id: ANY instead of TEXT, and the 12 random bytes themselves instead of `ntf_` + 24 hex
 *   digits (28 bytes of text). The wire format is unchanged: `ntf_` + hex is rendered when a delivery is sent or
 *   shown (src/node/callbacks/wire.ts, `publicId`). Every id the app made converts exactly; anything else (only a
 *   hand-made row could hold one) stays the text it was, and is sent as it was.
 * - sent_bodies.sha256: the 32 bytes of the digest instead of 64 hex digits (in the table and its unique index).
 * - notifications_marker: the payment notifications left without a delivery (their body went with the log), which
 *   retention looks at every hour to prune the settled ones (src/node/callbacks/markers.ts).
 * A STRICT column's type cannot change in place: each table is rebuilt with every row, its indexes and the
 * references to it.
 */
import crypto from 'node:crypto';
import type { DB } from '../sqlite.ts';

export const foreignKeys = 'off' as const;

/** `ntf_` + 24 lowercase hex digits: what newNotificationId and migration 007 wrote. */
const CANONICAL_ID = "length(public_id) = 28 AND substr(public_id, 1, 4) = 'ntf_' AND lower(hex(unhex(substr(public_id, 5)))) IS substr(public_id, 5)";

/** Rebuilds `table` with `column` of type `type`, each row's value of it made by `value` (SQL over the old row). */
function retype(db: DB, table: string, column: string, type: string, value: string): void {
  const def = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) as { sql: string } | undefined;
  if (!def) throw new Error(`migration 014: no table ${table}`);
  const typed = new RegExp(`(\\b${column}\\s+)TEXT\\b`);
  if (!typed.test(def.sql)) throw new Error(`migration 014: unexpected definition of ${table}.${column}`);
  const attached = db.prepare("SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ? AND sql IS NOT NULL").all(table) as { sql: string }[];
  const names = (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).map((c) => c.name);
  const columns = names.map((c) => `"${c}"`).join(', ');
  const values = names.map((c) => (c === column ? value : `"${c}"`)).join(', ');
  // Other tables' references name this one: the rename must leave them alone (https://sqlite.org/lang_altertable.html#otheralter).
  const legacy = db.pragma('legacy_alter_table', { simple: true }) as number;
  db.pragma('legacy_alter_table = ON');
  try {
    db.exec(def.sql.replace(new RegExp(`^CREATE TABLE "?${table}"?`, 'i'), `CREATE TABLE ${table}_014`).replace(typed, `$1${type}`));
    db.exec(`INSERT INTO ${table}_014 (${columns}) SELECT ${values} FROM ${table} ORDER BY rowid`);
    db.exec(`DROP TABLE ${table}`);
    db.exec(`ALTER TABLE ${table}_014 RENAME TO ${table}`);
    for (const x of attached) db.exec(x.sql);
  } finally {
    db.pragma(`legacy_alter_table = ${legacy}`);
  }
}

export function up(db: DB): void {
  retype(db, 'notifications', 'public_id', 'ANY', `CASE WHEN ${CANONICAL_ID} THEN unhex(substr(public_id, 5)) ELSE public_id END`);
  // The app wrote every digest as 64 lowercase hex digits; one that is not is computed again from its body.
  const odd = db.prepare("SELECT id, body FROM sent_bodies WHERE length(sha256) <> 64 OR lower(hex(unhex(sha256))) IS NOT sha256").all() as { id: number; body: string }[];
  const fix = db.prepare('UPDATE sent_bodies SET sha256 = ? WHERE id = ?');
  for (const r of odd) fix.run(crypto.createHash('sha256').update(r.body).digest('hex'), r.id);
  retype(db, 'sent_bodies', 'sha256', 'BLOB', 'unhex(sha256)');
  db.exec('CREATE INDEX notifications_marker ON notifications (id) WHERE payment_id IS NOT NULL AND body IS NULL');
}
