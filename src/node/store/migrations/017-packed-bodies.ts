/**
 * 017: callback bodies are kept packed (docs/decisions/0096-packed-callback-bodies.md). A payment notification's own
 * JSON (`notifications.body`) and the bytes each attempt sent (`sent_bodies.body`) become ANY instead of TEXT, so a body
 * written from now on is a BLOB deflated against a dictionary of what callbacks say (src/node/store/event-data.ts,
 * format 2): about half the bytes. Rows written before stay the text they are, are read as they are, and go with the
 * delivery log's retention. A STRICT column's type cannot change in place: both tables are rebuilt with every row,
 * their indexes and the references to them (src/node/store/migrations/rebuild.ts); the definitions are the ones
 * 001, 007 and 014 left but for the body column.
 */
import type { DB } from '../sqlite.ts';
import { rebuildTable } from './rebuild.ts';

export const foreignKeys = 'off' as const;

const notifications = (name: string): string => `CREATE TABLE ${name} (
  id         INTEGER PRIMARY KEY,
  agent_id   TEXT NOT NULL REFERENCES agents (id),
  payment_id INTEGER REFERENCES payments (id),
  threshold  INTEGER,
  event_id   INTEGER REFERENCES events (id),
  body       ANY,                           -- what is sent (signed at each attempt): packed, or text from before 017
  created_at INTEGER NOT NULL,
  public_id  ANY
) STRICT`;

const sentBodies = (name: string): string => `CREATE TABLE ${name} (
  id     INTEGER PRIMARY KEY,
  sha256 BLOB NOT NULL UNIQUE,              -- of the body's text
  body   ANY NOT NULL                       -- packed, or text from before 017
) STRICT`;

export function up(db: DB): void {
  rebuildTable(db, 'notifications', notifications);
  rebuildTable(db, 'sent_bodies', sentBodies);
}
