/**
 * Migration 008 upgrades a database written by migrations 1–7: the gap's inputs (the highest used derivation index,
 * the gap last seen), the address counts per state and the search index are filled from the rows already there,
 * and the triggers keep them right afterwards.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { migrate, type DB } from '../../src/node/store/sqlite.ts';
import { searchInvoices } from '../../src/node/search.ts';
import { WATCHED_NEW_SQL, WATCHED_SQL } from '../../src/node/watcher/watched.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_700_000_000_000;

function v7(): DB {
  const db = new Database(path.join(tempDir(), 'v7.sqlite'));
  migrate(db, 7);
  db.prepare("INSERT INTO wallet_source (id, kind, network, script, source, next_index, created_at) VALUES (1, 'xpub', 'regtest', 'p2wpkh', 'k', 10, ?)").run(T);
  const addr = db.prepare("INSERT INTO addresses (id, address, scripthash, script_hex, origin, derivation_index, state, created_at) VALUES (?, ?, ?, '00', 'derived', ?, ?, ?)");
  for (let i = 0; i < 10; i++) addr.run(i + 1, `a${i}`, String(i).repeat(64).slice(0, 64), i, i < 8 ? 'used' : 'in_use', T);
  const inv = db.prepare(
    `INSERT INTO invoices (id, status, amount_sats, label, userdata, address_id, address, created_at, expires_at, confirmations_required,
       tolerance_bp, monitoring_ms, updated_at) VALUES (?, 'confirmed', 1000, ?, ?, ?, ?, ?, ?, 1, 0, 0, ?)`,
  );
  for (let i = 0; i < 10; i++) inv.run(`inv${i}`, i % 2 ? 'Flat white' : 'Espresso', `order-${i}`, i + 1, `a${i}`, T, T, T);
  const pay = db.prepare("INSERT INTO payments (txid, address_id, address, sats, invoice_id, first_seen, state) VALUES (?, ?, ?, 1000, ?, ?, ?)");
  pay.run('3333333333333333333333333333333333333333333333333333333333333333', 4, 'a3', 'inv3', T, 'active');
  pay.run('6666666666666666666666666666666666666666666666666666666666666666', 7, 'a6', 'inv6', T, 'gone'); // left the chain: index 6 does not count as used
  return db;
}

const wallet = (db: DB) => db.prepare('SELECT next_index, used_through, gap_seen FROM wallet_source').get() as { next_index: number; used_through: number; gap_seen: number };
const states = (db: DB) => Object.fromEntries((db.prepare('SELECT state, n FROM address_states WHERE n > 0 ORDER BY state').all() as { state: string; n: number }[]).map((r) => [r.state, r.n]));

describe('migration 008 (years)', () => {
  it('fills the gap inputs, the address counts and the search index from the rows already there', () => {
    const db = v7();
    expect(migrate(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(wallet(db)).toEqual({ next_index: 10, used_through: 3, gap_seen: 6 });
    expect(states(db)).toEqual({ in_use: 2, used: 8 });
    const found = searchInvoices(db, { term: 'flat wh', before: Number.MAX_SAFE_INTEGER, limit: 10 }).map((r) => r.id);
    expect(found).toEqual(['inv9', 'inv7', 'inv5', 'inv3', 'inv1']);
    db.close();
  });

  it('keeps them right as payments, addresses and invoices change', () => {
    const db = v7();
    // Up to this migration: a later one (011) refuses deleting an invoice that payments point at.
    migrate(db, 8);
    const pay = db.prepare("INSERT INTO payments (txid, address_id, address, sats, invoice_id, first_seen, state) VALUES (?, ?, ?, 1000, ?, ?, 'active')");
    pay.run('8888888888888888888888888888888888888888888888888888888888888888', 9, 'a8', 'inv8', T);
    expect(wallet(db).used_through).toBe(8);
    pay.run('5555555555555555555555555555555555555555555555555555555555555555', 6, 'a5', 'inv5', T); // below the top: no change
    expect(wallet(db).used_through).toBe(8);
    db.prepare("UPDATE payments SET state = 'gone' WHERE txid = '8888888888888888888888888888888888888888888888888888888888888888'").run(); // the top one leaves: down to the next used
    expect(wallet(db).used_through).toBe(5);
    db.prepare("UPDATE payments SET state = 'active' WHERE txid = '6666666666666666666666666666666666666666666666666666666666666666'").run(); // back on the chain
    expect(wallet(db).used_through).toBe(6);
    db.prepare("UPDATE payments SET state = 'gone' WHERE txid IN ('3333333333333333333333333333333333333333333333333333333333333333', '5555555555555555555555555555555555555555555555555555555555555555', '6666666666666666666666666666666666666666666666666666666666666666')").run();
    expect(wallet(db).used_through).toBe(-1);

    db.prepare("UPDATE addresses SET state = 'used', invoice_id = NULL WHERE id = 9").run();
    db.prepare("INSERT INTO addresses (address, scripthash, script_hex, origin, state, created_at) VALUES ('s1', 's1', '00', 'static', 'free', 0)").run();
    db.prepare("DELETE FROM addresses WHERE address = 's1'").run();
    db.prepare("INSERT INTO addresses (address, scripthash, script_hex, origin, state, created_at) VALUES ('s2', 's2', '00', 'static', 'removed', 0)").run();
    const counted = Object.fromEntries((db.prepare('SELECT state, COUNT(*) AS n FROM addresses GROUP BY state').all() as { state: string; n: number }[]).map((r) => [r.state, r.n]));
    expect(states(db)).toEqual(counted);

    db.prepare("UPDATE invoices SET label = 'Cortado' WHERE id = 'inv0'").run();
    const q = (term: string) => searchInvoices(db, { term, before: Number.MAX_SAFE_INTEGER, limit: 10 }).map((r) => r.id);
    expect(q('cortado')).toEqual(['inv0']);
    expect(q('espresso')).toEqual(['inv8', 'inv6', 'inv4', 'inv2']);
    db.prepare("DELETE FROM invoices WHERE id = 'inv8'").run();
    expect(q('espresso')).toEqual(['inv6', 'inv4', 'inv2']);
    db.close();
  });

  it('the maintained state is read by key and the new addresses by id range (query plans)', () => {
    const db = v7();
    migrate(db);
    const plan = (sql: string, params: unknown = {}): string =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params as never) as { detail: string }[]).map((r) => r.detail).join('\n');
    expect(plan('SELECT MAX(0, next_index - 1 - used_through) AS gap FROM wallet_source WHERE id = 1')).toMatch(/SEARCH wallet_source USING INTEGER PRIMARY KEY/);
    expect(plan('SELECT state, n FROM address_states')).not.toMatch(/addresses/);
    // The addresses still payable come from one small covering index, not a page per held address.
    expect(plan(WATCHED_SQL[0]!, { after: 0 })).toMatch(/SEARCH addresses USING COVERING INDEX addresses_watched/);
    // (008's two indexes for retention's hourly walk over notifications went in 018: test/integration/migration-018.test.ts.)
    const fresh = plan(WATCHED_NEW_SQL, { after: 5, now: T, minHeight: 0 });
    expect(fresh).toMatch(/SEARCH a USING INTEGER PRIMARY KEY \(rowid>\?\)/);
    expect(fresh).toMatch(/SEARCH i USING INDEX invoices_address \(address_id=\?\)/);
    expect(fresh).toMatch(/SEARCH p USING INDEX payments_address \(address_id=\?\)/);
    db.close();
  });
});
