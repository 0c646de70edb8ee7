/**
 * A table rebuilt in place, for the migrations from 016 on that change what SQLite cannot alter (a STRICT column's
 * type, a constraint): the new definition is created under a temporary name, every row copied (a column's value
 * converted where `convert` names it), the old table dropped, the new one renamed, and the old table's indexes and
 * triggers made again. Migrations 013 and 015 did the same inline; they stay as they shipped.
 */
import type { DB } from '../sqlite.ts';

export function rebuildTable(db: DB, table: string, create: (tmp: string) => string, convert: Record<string, string> = {}): void {
  const tmp = `${table}_rebuilt`;
  const attached = db.prepare("SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ? AND sql IS NOT NULL ORDER BY type").all(table) as { sql: string }[];
  // Other tables' references and triggers name the table: the rename must leave them alone (https://sqlite.org/lang_altertable.html#otheralter).
  const legacy = db.pragma('legacy_alter_table', { simple: true }) as number;
  db.pragma('legacy_alter_table = ON');
  try {
    db.exec(create(tmp));
    const columns = (db.prepare('SELECT name FROM pragma_table_info(?)').all(tmp) as { name: string }[]).map((c) => c.name);
    const values = columns.map((c) => convert[c] ?? `"${c}"`);
    db.exec(`INSERT INTO ${tmp} (${columns.map((c) => `"${c}"`).join(', ')}) SELECT ${values.join(', ')} FROM ${table}`);
    db.exec(`DROP TABLE ${table}`);
    db.exec(`ALTER TABLE ${tmp} RENAME TO ${table}`);
    for (const x of attached) db.exec(x.sql);
  } finally {
    db.pragma(`legacy_alter_table = ${legacy}`);
  }
}
