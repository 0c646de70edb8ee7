/**
 * Migration 006 (the books) upgrades a version-5 database and keeps every row: paid and confirmed invoices get the
 * times of their events (or of the mark), refunds keep their sats and note, and the books' reads — exports by time,
 * the daily counts, the refund watch — run on indexes, never scanning invoices or payments (EXPLAIN QUERY PLAN).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { migrate } from '../../src/node/store/sqlite.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_700_000_000_000;

describe('migration 006 (books)', () => {
  it('upgrades a version-5 database, keeps its rows and backfills paid_at and confirmed_at', () => {
    const db = new Database(path.join(tempDir(), 'v5.sqlite'));
    migrate(db, 5);
    const addr = db.prepare("INSERT INTO addresses (id, address, scripthash, script_hex, origin, state, created_at) VALUES (?, ?, ?, '00', 'static', 'used', ?)");
    const inv = db.prepare(
      `INSERT INTO invoices (id, status, amount_sats, address_id, address, created_at, expires_at, confirmations_required, tolerance_bp,
         monitoring_ms, paid_sats, confirmed_sats, manual_status, manual_at, updated_at)
       VALUES (?, ?, 1000, ?, ?, ?, ?, 1, 0, 86400000, ?, ?, ?, ?, ?)`,
    );
    const ev = db.prepare("INSERT INTO events (type, invoice_id, data, created_at) VALUES (?, ?, '{}', ?)");
    for (let i = 1; i <= 4; i++) addr.run(i, `a${i}`, String(i).repeat(64), T);
    inv.run('conf', 'confirmed', 1, 'a1', T, T + 900_000, 1000, 1000, null, null, T);
    ev.run('invoice.paid', 'conf', T + 10);
    ev.run('invoice.confirmed', 'conf', T + 600_000);
    inv.run('paid', 'paid', 2, 'a2', T, T + 900_000, 1000, 0, null, null, T);
    ev.run('invoice.paid_late', 'paid', T + 20);
    inv.run('cash', 'confirmed', 3, 'a3', T, T + 900_000, 0, 0, 'confirmed', T + 30, T);
    inv.run('open', 'unpaid', 4, 'a4', T, T + 900_000, 0, 0, null, null, T);
    db.prepare("INSERT INTO refunds (invoice_id, sats, txid, note, created_at) VALUES ('conf', 400, NULL, 'back', ?)").run(T + 1);

    expect(migrate(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(db.prepare('SELECT id, paid_at, confirmed_at FROM invoices ORDER BY seq').all()).toEqual([
      { id: 'conf', paid_at: T + 10, confirmed_at: T + 600_000 },
      { id: 'paid', paid_at: T + 20, confirmed_at: null },
      { id: 'cash', paid_at: null, confirmed_at: T + 30 },
      { id: 'open', paid_at: null, confirmed_at: null },
    ]);
    expect(db.prepare('SELECT invoice_id, sats, note, address, height, verified, matched FROM refunds').all()).toEqual([
      { invoice_id: 'conf', sats: 400, note: 'back', address: null, height: null, verified: 0, matched: 0 },
    ]);
    db.close();
  });

  it('answers the books from indexes', () => {
    const db = new Database(path.join(tempDir(), 'plan.sqlite'));
    migrate(db);
    const plan = (sql: string): string =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('\n');
    expect(plan('SELECT COUNT(*) FROM invoices WHERE created_at >= 0 AND created_at < 1')).toMatch(/invoices_created/);
    // The daily counts of paid and confirmed invoices are kept per quarter hour since 022 (migration-022.test.ts).
    expect(plan('SELECT SUM(paid), SUM(confirmed) FROM invoice_quarters WHERE quarter >= 0 AND quarter < 96')).toMatch(/INTEGER PRIMARY KEY/);
    expect(plan('SELECT * FROM payments WHERE time >= 0 AND time < 1 ORDER BY time, id')).toMatch(/payments_time/);
    expect(plan('SELECT * FROM refunds WHERE created_at >= 0 AND created_at < 1 ORDER BY created_at, id')).toMatch(/refunds_created/);
    db.close();
  });
});
