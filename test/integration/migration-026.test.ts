/**
 * Migration 026 (src/node/store/migrations/026-events-unindexed.ts, docs/decisions/0105-events-by-id.md): the index
 * of events by invoice goes. The upgrade keeps every event; the reads of events, all by id, still search by row
 * number; an event's reference to its invoice still holds both ways.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/node/store/sqlite.ts';
import { scriptKey } from '../../src/node/store/chain-sql.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_760_000_000_000;
const plan = (db: Database.Database, sql: string): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');

describe('migration 026 (events by id only)', () => {
  it('keeps every event, reads them by id, and keeps their reference to the invoice', () => {
    const db = new Database(path.join(tempDir(), 'v25.sqlite'));
    migrate(db, 25);
    const a = madeUpAddress('m026', 1);
    db.prepare("INSERT INTO addresses (id, address, script_key, state) VALUES (1, ?, ?, 'used')").run(a.address, scriptKey(a.scripthash));
    db.prepare(`INSERT INTO invoices (id, status, amount_sats, label, address_id, created_at, expires_at, confirmations_required, tolerance_bp,
      monitoring_ms, paid_sats, confirmed_sats, updated_at) VALUES ('inv1', 'unpaid', 1000, '', 1, ?, ?, 1, 0, 0, 0, 0, ?)`).run(T, T + 900_000, T);
    const ev = db.prepare("INSERT INTO events (type, invoice_id, payment_id, data, created_at) VALUES (?, ?, NULL, '{}', ?)");
    for (let i = 0; i < 50; i++) ev.run(i % 2 ? 'chain.tip' : 'invoice.created', i % 2 ? null : 'inv1', T + i);
    const before = db.prepare('SELECT * FROM events ORDER BY id').all();

    expect(migrate(db, 26)).toBe(26);
    expect(db.prepare('SELECT * FROM events ORDER BY id').all()).toEqual(before);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'events' AND type = 'index'").pluck().all()).toEqual([]);
    // The stream, the planner and retention read by id (src/node/events.ts, src/node/callbacks/planner.ts).
    expect(plan(db, 'SELECT id, type, invoice_id, payment_id, data, created_at FROM events WHERE id > 7 ORDER BY id LIMIT 1000')).toMatch(
      /^SEARCH events USING INTEGER PRIMARY KEY \(rowid>\?\)$/,
    );
    expect(() => ev.run('invoice.created', 'nope', T)).toThrow(/FOREIGN KEY/);
    db.pragma('foreign_keys = ON');
    expect(() => db.prepare("DELETE FROM invoices WHERE id = 'inv1'").run()).toThrow(/FOREIGN KEY/);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });
});
