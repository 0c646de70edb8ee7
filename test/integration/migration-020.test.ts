/**
 * Migration 020 (src/node/store/migrations/020-address-key.ts): a four-byte key of an address's script hash, stored
 * and indexed, finds its row, and the hash itself is kept only while the address is free or held; a used one's is
 * computed from its text (docs/decisions/0099-address-key.md). The upgrade keeps every address with the script hash it
 * had, swaps the unique index for the key's, and the lookups the code makes find each address on that index, also
 * when two scripts share a key.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/node/store/sqlite.ts';
import { addressArgs, addressMatch, scriptKey, scripthashArgs, scripthashMatch, scripthashOf } from '../../src/node/store/chain-sql.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_760_000_000_000;
// Two addresses whose script hashes begin with the same four bytes (bad9a9a2…): found by search over 20,000.
const SHARED = [madeUpAddress('shared-key', 4821), madeUpAddress('shared-key', 19127)] as const;
const OWN = [madeUpAddress('m020', 0), madeUpAddress('m020', 1)] as const;

/** A version-19 store: four static addresses (two sharing a key), one held by an invoice, one paid. */
function version19(): Database.Database {
  const db = new Database(path.join(tempDir(), 'v19.sqlite'));
  migrate(db, 19);
  const addr = db.prepare(`INSERT INTO addresses (id, address, scripthash, origin, state, invoice_id, electrum_status, created_at)
    VALUES (?, ?, unhex(?), 'static', ?, NULL, ?, ?)`);
  addr.run(1, OWN[0].address, OWN[0].scripthash, 'in_use', 'ab'.repeat(32), T);
  addr.run(2, SHARED[0].address, SHARED[0].scripthash, 'free', null, T + 1);
  addr.run(3, SHARED[1].address, SHARED[1].scripthash, 'used', 'cd'.repeat(32), T + 2);
  addr.run(4, OWN[1].address, OWN[1].scripthash, 'removed', null, T + 3);
  db.prepare(`INSERT INTO invoices (id, status, amount_sats, label, address_id, created_at, expires_at, confirmations_required, tolerance_bp,
      monitoring_ms, paid_sats, confirmed_sats, updated_at) VALUES ('inv1', 'unpaid', 1000, 'Espresso', 1, ?, ?, 1, 0, 0, 0, 0, ?)`).run(T, T + 900_000, T);
  db.prepare("UPDATE addresses SET invoice_id = 'inv1' WHERE id = 1").run();
  db.prepare("INSERT INTO payments (txid, address_id, sats, first_seen) VALUES (randomblob(32), 3, 500, ?)").run(T + 5);
  return db;
}

const rows = (db: Database.Database): unknown[] =>
  db.prepare(`SELECT id, address, ${scripthashOf('addresses')} AS scripthash, origin, derivation_index, state, invoice_id, electrum_status, created_at FROM addresses ORDER BY id`).all();
const stored = (db: Database.Database): (string | null)[] =>
  db.prepare('SELECT CASE WHEN scripthash IS NULL THEN NULL ELSE lower(hex(scripthash)) END FROM addresses ORDER BY id').pluck().all() as (string | null)[];
const objects = (db: Database.Database): string[] =>
  db.prepare("SELECT type || ' ' || name FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = 'addresses' ORDER BY 1").pluck().all() as string[];
const plan = (db: Database.Database, sql: string, args: Record<string, unknown>): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(args) as { detail: string }[]).map((r) => r.detail).join(' | ');

describe('migration 020 (the address key)', () => {
  it('keeps every address with its script hash and swaps the unique index for the key’s', () => {
    const db = version19();
    const before = db.prepare('SELECT id, address, lower(hex(scripthash)) AS scripthash, origin, derivation_index, state, invoice_id, electrum_status, created_at FROM addresses ORDER BY id').all();
    const was = objects(db);
    const counts = db.prepare('SELECT * FROM address_states ORDER BY state').all();
    expect(migrate(db, 20)).toBe(20); // its own changes; later ones have their tests
    expect(rows(db)).toEqual(before); // the hash computed from the text is the one stored
    // Kept for the free and the held address; the used and the removed one's went.
    expect(stored(db)).toEqual([OWN[0].scripthash, SHARED[0].scripthash, null, null]);
    expect(objects(db)).toEqual([...was.filter((n) => n !== 'index sqlite_autoindex_addresses_1'), 'index addresses_script', 'trigger addresses_hash_dropped'].sort());
    expect(db.prepare('SELECT * FROM address_states ORDER BY state').all()).toEqual(counts);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    // The schema names no function of ours: any SQLite tool can check, copy or vacuum the file.
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE sql LIKE '%satdesk_%'").pluck().get()).toBe(0);
    expect(db.prepare('SELECT script_key FROM addresses ORDER BY id').pluck().all()).toEqual([OWN[0], SHARED[0], SHARED[1], OWN[1]].map((a) => scriptKey(a.scripthash)));
    expect(scriptKey(SHARED[0].scripthash)).toBe(scriptKey(SHARED[1].scripthash));
    // The triggers of the rebuilt table still count states; an address that becomes used drops its hash, which is
    // then computed from its text.
    db.prepare("UPDATE addresses SET state = 'used' WHERE id = 2").run();
    expect(db.prepare("SELECT n FROM address_states WHERE state = 'free'").pluck().get()).toBe(0);
    expect(stored(db)).toEqual([OWN[0].scripthash, null, null, null]);
    expect(rows(db)).toEqual((before as { state: string }[]).map((r, i) => (i === 1 ? { ...r, state: 'used' } : r)));
    db.close();
  });

  it('finds each address by its text or its script hash on the key’s index, also when two share a key', () => {
    const db = version19();
    migrate(db);
    const byAddress = `SELECT id FROM addresses a WHERE ${addressMatch('a')}`;
    const byHash = `SELECT id FROM addresses a WHERE ${scripthashMatch('a')}`;
    [OWN[0], SHARED[0], SHARED[1], OWN[1]].forEach((a, i) => {
      expect(db.prepare(byAddress).pluck().all(addressArgs(a.address))).toEqual([i + 1]);
      expect(db.prepare(byHash).pluck().all(scripthashArgs(a.scripthash))).toEqual([i + 1]);
    });
    expect(plan(db, byAddress, addressArgs(SHARED[0].address))).toMatch(/SEARCH a USING INDEX addresses_script \(script_key=\?\)/);
    expect(plan(db, byHash, scripthashArgs(SHARED[0].scripthash))).toMatch(/SEARCH a USING INDEX addresses_script \(script_key=\?\)/);
    // Text that is no address binds no key and finds nothing; so does a hash that shares a key with a row but is not its.
    expect(db.prepare(byAddress).pluck().all(addressArgs('bcrt1qnotanaddress'))).toEqual([]);
    expect(db.prepare(byHash).pluck().all(scripthashArgs(SHARED[0].scripthash.slice(0, 8) + '0'.repeat(56)))).toEqual([]);
    // A new address's key, from its text.
    const fresh = madeUpAddress('m020', 2);
    db.prepare("INSERT INTO addresses (address, script_key, state) VALUES (@address, satdesk_script_key(@address), 'free')").run({ address: fresh.address });
    expect(db.prepare(byHash).get(scripthashArgs(fresh.scripthash))).toEqual({ id: 5 });
    db.close();
  });
});
