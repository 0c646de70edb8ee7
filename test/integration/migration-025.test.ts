/**
 * Migration 025 (src/node/store/migrations/025-address-origin.ts, docs/decisions/0104-address-origin.md): an address's
 * origin is read from its derivation index, and its unread creation time goes. The upgrade keeps every address as the
 * app reads it, with its indexes, its triggers (the counts per state, the dropped script hash) and the references to
 * it; a row takes fewer bytes; a write that names the origin is refused.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/node/store/sqlite.ts';
import { scriptKey } from '../../src/node/store/chain-sql.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_760_000_000_000;
const N = 400;
const STATES = ['free', 'in_use', 'used', 'removed'] as const;

/** A version-24 store: N addresses, derived and static in turn, in every state, one held by an invoice with a payment. */
function version24(): Database.Database {
  const db = new Database(path.join(tempDir(), 'v24.sqlite'));
  migrate(db, 24);
  const addr = db.prepare(`INSERT INTO addresses (id, address, script_key, scripthash, origin, derivation_index, state, electrum_status, created_at)
    VALUES (?, ?, ?, unhex(?), ?, ?, ?, ?, ?)`);
  for (let i = 1; i <= N; i++) {
    const a = madeUpAddress('m025', i);
    const derived = i % 2 === 0;
    const state = STATES[i % 4]!;
    addr.run(i, a.address, scriptKey(a.scripthash), state === 'free' || state === 'in_use' ? a.scripthash : null, derived ? 'derived' : 'static',
      derived ? i / 2 : null, state, i % 3 === 0 ? 'ab'.repeat(32) : null, T + i);
  }
  db.prepare(`INSERT INTO invoices (id, status, amount_sats, label, address_id, created_at, expires_at, confirmations_required, tolerance_bp,
    monitoring_ms, paid_sats, confirmed_sats, updated_at) VALUES ('inv1', 'unpaid', 1000, '', 2, ?, ?, 1, 0, 0, 0, 0, ?)`).run(T, T + 900_000, T);
  db.prepare("UPDATE addresses SET invoice_id = 'inv1' WHERE id = 2").run();
  db.prepare("INSERT INTO payments (txid, address_id, sats, invoice_seq, first_seen, state) VALUES (randomblob(32), 2, 10, 1, ?, 'active')").run(T);
  return db;
}

const attached = (db: Database.Database): string[] =>
  db.prepare("SELECT type || ' ' || name || ' ' || sql FROM sqlite_master WHERE tbl_name = 'addresses' AND type <> 'table' ORDER BY name").pluck().all() as string[];
const tableBytes = (db: Database.Database): number => db.prepare("SELECT SUM(payload) FROM dbstat WHERE name = 'addresses'").pluck().get() as number;

describe('migration 025 (address origin)', () => {
  it('keeps every address as read, with its indexes, triggers and references, in fewer bytes', () => {
    const db = version24();
    const read = 'SELECT id, address, script_key, scripthash, origin, derivation_index, state, invoice_id, electrum_status FROM addresses ORDER BY id';
    const before = db.prepare(read).all();
    const was = attached(db);
    const counts = db.prepare('SELECT * FROM address_states ORDER BY state').all();
    const bytes = tableBytes(db);
    expect(migrate(db, 25)).toBe(25);
    expect(db.prepare(read).all()).toEqual(before);
    expect(attached(db)).toEqual(was);
    expect(db.prepare('SELECT * FROM address_states ORDER BY state').all()).toEqual(counts);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.prepare("SELECT name FROM pragma_table_info('addresses') WHERE name IN ('origin', 'created_at')").pluck().all()).toEqual([]);
    expect(db.prepare("SELECT hidden FROM pragma_table_xinfo('addresses') WHERE name = 'origin'").pluck().get()).toBe(2); // VIRTUAL
    expect(tableBytes(db)).toBeLessThan(bytes - N * 13);

    // The references hold both ways, and the triggers still run on the rebuilt table.
    expect(() => db.prepare('DELETE FROM addresses WHERE id = 2').run()).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare("UPDATE addresses SET invoice_id = 'nope' WHERE id = 4").run()).toThrow(/FOREIGN KEY/);
    db.prepare("UPDATE addresses SET state = 'used' WHERE id = 1").run(); // free → used: the script hash goes, the counts move
    expect(db.prepare('SELECT scripthash FROM addresses WHERE id = 1').pluck().get()).toBeNull();
    expect(db.prepare("SELECT n FROM address_states WHERE state = 'used'").pluck().get()).toBe((counts as { state: string; n: number }[]).find((c) => c.state === 'used')!.n + 1);

    // A write names the index only; one that names the origin, or claims an index twice, is refused.
    const fresh = madeUpAddress('m025', N + 1);
    db.prepare("INSERT INTO addresses (address, script_key, derivation_index, state) VALUES (?, ?, ?, 'free')").run(fresh.address, scriptKey(fresh.scripthash), N);
    expect(db.prepare('SELECT origin FROM addresses WHERE derivation_index = ?').pluck().get(N)).toBe('derived');
    expect(() => db.prepare("INSERT INTO addresses (address, script_key, origin, state) VALUES ('x', 0, 'static', 'free')").run()).toThrow(/generated column/);
    expect(() => db.prepare("INSERT INTO addresses (address, script_key, derivation_index, state) VALUES ('y', 0, 2, 'free')").run()).toThrow(/UNIQUE/);
    db.close();
  });
});
