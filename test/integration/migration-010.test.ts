/**
 * Migration 010 (src/node/store/migrations/010-below-anchor.ts) upgrades a database written by migrations 001–009:
 * every payment is kept and marked as above the anchor; the flag takes only 0 or 1; the watched-address query that
 * skips below-anchor payments still runs on its partial index.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { migrate } from '../../src/node/store/sqlite.ts';
import { WATCHED_SQL } from '../../src/node/watcher/watched.ts';
import { tempDir } from '../helpers/api.ts';

describe('migration 010 (below anchor)', () => {
  it('upgrades a version-9 database and keeps its payments', () => {
    const db = new Database(path.join(tempDir(), 'v9.sqlite'));
    migrate(db, 9);
    db.prepare("INSERT INTO addresses (id, address, scripthash, script_hex, origin, state, created_at) VALUES (1, 'a1', ?, '00', 'static', 'free', 1)").run('1'.repeat(64));
    db.prepare("INSERT INTO payments (txid, address_id, address, sats, first_seen, time, height) VALUES ('1111111111111111111111111111111111111111111111111111111111111111', 1, 'a1', 500, 1, 1, 7)").run();
    expect(migrate(db)).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
    expect(db.prepare('SELECT lower(hex(txid)) AS txid, sats, below_anchor FROM payments').all()).toEqual([{ txid: '1'.repeat(64), sats: 500, below_anchor: 0 }]);
    expect(() => db.prepare('UPDATE payments SET below_anchor = 2').run()).toThrow(/CHECK constraint/);
    const unverified = WATCHED_SQL.find((s) => s.includes('p.verified = 0'))!;
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${unverified}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan).toMatch(/payments_unverified_live/);
    db.close();
  });
});
