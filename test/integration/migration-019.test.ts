/**
 * Migration 019 (src/node/store/migrations/019-confirmations-maximum.ts): the highest `confirmations_required` of any
 * invoice is a kept row instead of an index over every invoice. The upgrade starts it at the store's maximum, keeps
 * every invoice, drops only that index; triggers raise it on every insert and change, and never lower it.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/node/store/sqlite.ts';
import { maxConfirmations, requiredConfirmationsMax } from '../../src/node/watcher/watched.ts';
import { tempDir } from '../helpers/api.ts';
import { statusCodeOf } from '../../src/node/store/codes.ts';

const T = 1_760_000_000_000;
const indexes = (db: Database.Database): string[] =>
  db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'invoices' ORDER BY name").pluck().all() as string[];

/** A version-18 store: three invoices requiring 1, 9 and 3 confirmations. */
function version18(): Database.Database {
  const db = new Database(path.join(tempDir(), 'v18.sqlite'));
  migrate(db, 18);
  const addr = db.prepare("INSERT INTO addresses (id, address, scripthash, origin, state, created_at) VALUES (?, ?, randomblob(32), 'static', 'used', ?)");
  const inv = db.prepare(`INSERT INTO invoices (id, status, amount_sats, label, address_id, created_at, expires_at, confirmations_required, tolerance_bp,
      monitoring_ms, paid_sats, confirmed_sats, updated_at) VALUES (?, 'expired', 1000, 'Espresso', ?, ?, ?, ?, 0, 0, 0, 0, ?)`);
  [1, 9, 3].forEach((c, i) => {
    addr.run(i + 1, `addr${i}`, T);
    inv.run(`inv${i}`, i + 1, T, T + 900_000, c, T);
  });
  return db;
}

describe('migration 019 (the highest required confirmations, kept)', () => {
  it('starts at the store’s maximum, keeps every invoice and drops only the index over them', () => {
    const db = version18();
    const rows = db.prepare('SELECT * FROM invoices ORDER BY seq').all();
    const before = indexes(db);
    expect(before).toContain('invoices_confirmations');
    expect(migrate(db, 19)).toBe(19); // its own changes; later ones have their tests
    expect(db.prepare('SELECT * FROM invoices ORDER BY seq').all()).toEqual(rows);
    expect(indexes(db)).toEqual(before.filter((n) => n !== 'invoices_confirmations'));
    expect(requiredConfirmationsMax(db)).toBe(9);
    expect(maxConfirmations(db)).toBe(9);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('rises with a new invoice or a changed requirement, never falls', () => {
    const fresh = new Database(path.join(tempDir(), 'fresh.sqlite'));
    migrate(fresh);
    expect(requiredConfirmationsMax(fresh)).toBe(0);
    expect(maxConfirmations(fresh)).toBe(6); // never below 6
    fresh.close();

    const db = version18();
    migrate(db);
    const addr = db.prepare("INSERT INTO addresses (id, address, script_key, state) VALUES (?, ?, 0, 'used')");
    const inv = db.prepare(`INSERT INTO invoices (id, status_code, amount_sats, label, address_id, created_at, expires_at, confirmations_required, tolerance_bp,
        monitoring_ms, paid_sats, confirmed_sats, updated_at) VALUES (?, ${statusCodeOf("'unpaid'")}, 1000, 'Espresso', ?, ?, ?, ?, 0, 0, 0, 0, ?)`);
    addr.run(10, 'addr10');
    inv.run('inv10', 10, T, T + 900_000, 2, T);
    expect(requiredConfirmationsMax(db)).toBe(9);
    addr.run(11, 'addr11');
    inv.run('inv11', 11, T, T + 900_000, 12, T);
    expect(requiredConfirmationsMax(db)).toBe(12);
    db.prepare("UPDATE invoices SET confirmations_required = 20 WHERE id = 'inv0'").run();
    expect(requiredConfirmationsMax(db)).toBe(20);
    db.prepare("UPDATE invoices SET confirmations_required = 1 WHERE id = 'inv0'").run();
    expect(requiredConfirmationsMax(db)).toBe(20);
    db.close();
  });
});
