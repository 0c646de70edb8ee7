/**
 * Migration 018 (src/node/store/migrations/018-retention-indexes.ts) drops the two partial indexes over
 * notifications that retention walked every hour before it checked only what it removed: every row, every other
 * index and every reference stays, and retention's statements find a notification by its id.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { migrate } from '../../src/node/store/sqlite.ts';
import { registerPackedText } from '../../src/node/store/event-data.ts';
import { tempDir } from '../helpers/api.ts';

const DROPPED = ['notifications_kept_body', 'notifications_not_payment'];
const indexes = (db: Database.Database): string[] =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notifications' ORDER BY name").pluck().all() as string[]);
const plan = (db: Database.Database, sql: string): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(1) as { detail: string }[]).map((r) => r.detail).join('\n');

describe('migration 018 (retention indexes)', () => {
  it('drops the two indexes and nothing else; retention finds notifications by id', () => {
    const db = new Database(path.join(tempDir(), 'v17.sqlite'));
    migrate(db, 17);
    registerPackedText(db);
    db.prepare(`INSERT INTO agents (id, name, url, token, thresholds, format, retry_delays, timeout_s, enabled_at, created_at)
      VALUES ('agt_p', 'p', 'http://x', 'tok-tok-tok', '[0]', 'bitcoinmonitor', '[1]', 10, 0, 0)`).run();
    const note = db.prepare('INSERT INTO notifications (agent_id, payment_id, threshold, event_id, body, created_at, public_id) VALUES (?, NULL, NULL, NULL, ?, ?, ?)');
    for (let i = 0; i < 5; i++) note.run('agt_p', `{"n":${i}}`, i, Buffer.alloc(12, i));
    const rows = db.prepare('SELECT * FROM notifications ORDER BY id').all();
    const before = indexes(db);
    expect(before).toEqual(expect.arrayContaining(DROPPED));

    expect(migrate(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(indexes(db)).toEqual(before.filter((n) => !DROPPED.includes(n)));
    expect(db.prepare('SELECT * FROM notifications ORDER BY id').all()).toEqual(rows);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const orphan = 'NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.notification_id = notifications.id)';
    expect(plan(db, `UPDATE notifications SET body = NULL WHERE id = ? AND payment_id IS NOT NULL AND body IS NOT NULL AND ${orphan}`)).toMatch(
      /SEARCH notifications USING INTEGER PRIMARY KEY \(rowid=\?\)/,
    );
    expect(plan(db, `DELETE FROM notifications WHERE id = ? AND payment_id IS NULL AND ${orphan}`)).toMatch(/SEARCH notifications USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    db.close();
  });
});
