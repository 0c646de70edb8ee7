/**
 * 012: a smaller store (docs/decisions/0085-packed-event-data.md).
 * - events.data: ANY instead of TEXT, so an event written from now on keeps its JSON packed (src/node/store/event-data.ts,
 *   about a fifth of the text; each invoice event holds the invoice as it stood, the largest part of a store). Rows
 *   already written stay as their text and are read as before; retention drops them with time. The table is rebuilt
 *   (a STRICT column's type cannot change in place) with every row, its constraints and the references to it.
 * - Indexes that named the table's rowid as their last column (`(status, seq)` and the like) hold it twice: SQLite
 *   appends the rowid to every index entry, and orders and covers by it the same way. Made again without it.
 * - notifications_public_id goes: nothing looks a notification up by its public id, which is unique by construction
 *   (96 random bits, docs/decisions/0043-signed-callback-identity.md); the index was 60 bytes per invoice.
 */
import type { DB } from '../sqlite.ts';

export const foreignKeys = 'off' as const;

const INDEXES = `
DROP INDEX invoices_status;
CREATE INDEX invoices_status ON invoices (status);
DROP INDEX invoices_address;
CREATE INDEX invoices_address ON invoices (address_id);
DROP INDEX addresses_state;
CREATE INDEX addresses_state ON addresses (state);
DROP INDEX events_invoice;
CREATE INDEX events_invoice ON events (invoice_id);
DROP INDEX notifications_public_id;
`;

export function up(db: DB): void {
  const def = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'").get() as { sql: string } | undefined;
  if (!def) throw new Error('migration 012: no table events');
  const typed = /(\n\s*data\s+)TEXT(\s+NOT NULL)/;
  if (!typed.test(def.sql)) throw new Error('migration 012: unexpected definition of events.data');
  const attached = db.prepare("SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = 'events' AND sql IS NOT NULL").all() as { sql: string }[];
  const columns = (db.prepare("SELECT name FROM pragma_table_info('events')").all() as { name: string }[]).map((c) => `"${c.name}"`).join(', ');
  // Other tables' references name `events`: the rename must leave them alone (https://sqlite.org/lang_altertable.html#otheralter).
  const legacy = db.pragma('legacy_alter_table', { simple: true }) as number;
  db.pragma('legacy_alter_table = ON');
  try {
    db.exec(def.sql.replace(/^CREATE TABLE "?events"?/i, 'CREATE TABLE events_012').replace(typed, '$1ANY$2'));
    db.exec(`INSERT INTO events_012 (${columns}) SELECT ${columns} FROM events`);
    db.exec('DROP TABLE events');
    db.exec('ALTER TABLE events_012 RENAME TO events');
    for (const x of attached) db.exec(x.sql);
  } finally {
    db.pragma(`legacy_alter_table = ${legacy}`);
  }
  db.exec(INDEXES);
}
