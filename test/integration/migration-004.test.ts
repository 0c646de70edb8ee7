/**
 * Migration 004 upgrades a database written by migrations 1–3 and keeps every row: payments get their payment time
 * (the earlier of first seen and block time, as they were shown), and the watched-address query runs on indexes —
 * no full scan of invoices or payments (EXPLAIN QUERY PLAN).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { migrate } from '../../src/node/store/sqlite.ts';
import { WATCHED_SQL, watchedAddresses } from '../../src/node/watcher/watched.ts';
import { tempDir } from '../helpers/api.ts';

describe('migration 004 (chain watch)', () => {
  it('upgrades a version-3 database, keeps its rows and sets payment times', () => {
    const db = new Database(path.join(tempDir(), 'v3.sqlite'));
    migrate(db, 3);
    const T = 1_700_000_000_000;
    db.prepare("INSERT INTO addresses (id, address, scripthash, script_hex, origin, state, created_at) VALUES (1, 'a1', ?, '00', 'static', 'in_use', ?)").run('1'.repeat(64), T);
    db.prepare("INSERT INTO addresses (id, address, scripthash, script_hex, origin, state, created_at) VALUES (2, 'a2', ?, '00', 'static', 'used', ?)").run('2'.repeat(64), T);
    db.prepare(
      `INSERT INTO payments (txid, address_id, address, sats, height, block_time, first_seen, verified, state) VALUES
       ('1111111111111111111111111111111111111111111111111111111111111111', 1, 'a1', 5, 0, NULL, ?, 0, 'active'), ('2222222222222222222222222222222222222222222222222222222222222222', 2, 'a2', 6, 10, ?, ?, 1, 'active'),
       ('3333333333333333333333333333333333333333333333333333333333333333', 2, 'a2', 7, 11, ?, ?, 1, 'active')`,
    ).run(T, T - 1000, T, T + 1000, T);
    expect(migrate(db)).toBe(MIGRATIONS.at(-1)!.version);
    const rows = db.prepare('SELECT lower(hex(txid)) AS txid, time FROM payments ORDER BY txid').all();
    expect(rows).toEqual([{ txid: '1'.repeat(64), time: T }, { txid: '2'.repeat(64), time: T - 1000 }, { txid: '3'.repeat(64), time: T }]);
    // tip 20, horizon 6: t3 (10 confirmations) is settled; the in_use address and nothing else is watched.
    expect(watchedAddresses(db, T, 20, 6).map((r) => r.id)).toEqual([1]);
    expect(watchedAddresses(db, T, 13, 6).map((r) => r.id)).toEqual([1, 2]);
    db.close();
  });

  it('answers the watched set from indexes, never scanning invoices or payments', () => {
    const db = new Database(path.join(tempDir(), 'plan.sqlite'));
    migrate(db);
    const plan = WATCHED_SQL.flatMap((sql) => {
      const params = sql.includes('@now') ? { now: 0 } : sql.includes('@minHeight') ? { minHeight: 0 } : { after: 0 };
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail);
    });
    // A scan of the partial index payments_unverified visits only unconfirmed payments: proportional to what is live.
    const scans = plan.filter((d) => /^SCAN /.test(d) && !/payments_unverified/.test(d));
    expect(scans, plan.join('\n')).toEqual([]);
    expect(plan.join('\n')).toMatch(/invoices_watch_window/);
    expect(plan.join('\n')).toMatch(/payments_unverified/);
    expect(plan.join('\n')).toMatch(/payments_climbing/);
    // The highest required confirmations is a kept row since 019 (test/integration/migration-019.test.ts).
    db.close();
  });
});
