/**
 * Migration 016 (src/node/store/migrations/016-address-by-script.ts) upgrades a database written by migrations
 * 001–015: every address row is kept as it was, the address text loses its own unique index, and an address is still
 * found — through the script hash it encodes, on the scripthash index — by search, the static pool and the books'
 * filter, while a same-script address of another network is not (docs/decisions/0094-address-by-script-hash.md).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { migrate } from '../../src/node/store/sqlite.ts';
import { searchInvoices } from '../../src/node/search.ts';
import { addressScripthash, validateAddress } from '../../src/core/wallet/address.ts';
import { addressArgs, addressMatch } from '../../src/node/store/chain-sql.ts';
import { invoiceWhere } from '../../src/node/books/filter.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_760_000_000_000;
// The same 20-byte program on regtest and on mainnet: one script, two addresses.
const REGTEST = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const MAINNET = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';
const OTHER = 'bcrt1qfqdz6tmuqep73tye6ljeq954fnju54mr4vq390';

/** A version-15 store: two static addresses, one held by an invoice. */
function version15(file: string): Database.Database {
  const db = new Database(file);
  migrate(db, 15);
  const addr = db.prepare("INSERT INTO addresses (id, address, scripthash, origin, state, electrum_status, created_at) VALUES (?, ?, unhex(?), 'static', ?, ?, ?)");
  addr.run(1, REGTEST, addressScripthash(REGTEST), 'in_use', 'ab'.repeat(32), T);
  addr.run(2, OTHER, addressScripthash(OTHER), 'free', null, T + 1);
  db.prepare(`INSERT INTO invoices (id, status, amount_sats, label, address_id, created_at, expires_at, confirmations_required, tolerance_bp,
      monitoring_ms, paid_sats, confirmed_sats, updated_at) VALUES ('inv1', 'unpaid', 1000, 'Espresso', 1, ?, ?, 1, 0, 0, 0, 0, ?)`).run(T, T + 900_000, T);
  db.prepare("UPDATE addresses SET invoice_id = 'inv1' WHERE id = 1").run();
  return db;
}

const plan = (db: Database.Database, sql: string, args: Record<string, unknown>): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(args) as { detail: string }[]).map((r) => r.detail).join(' | ');
const objects = (d: Database.Database): string[] =>
  (d.prepare("SELECT type || ' ' || name AS n FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = 'addresses' ORDER BY n").all() as { n: string }[]).map((r) => r.n);

describe('migration 016 (addresses found by script hash)', () => {
  it('upgrades a version-15 database, keeps every address and finds them by script hash', () => {
    const file = path.join(tempDir(), 'v15.sqlite');
    const old = version15(file);
    const before = old.prepare('SELECT * FROM addresses ORDER BY id').all();
    const was = objects(old);
    old.close();

    // 016's own changes, before later migrations (020 computes the script hash from the text: 0099-address-key.md).
    const db = new Database(file);
    migrate(db, 16);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(16);
      expect(db.prepare('SELECT * FROM addresses ORDER BY id').all()).toEqual(before);
      // The address text's unique index (the first autoindex) is gone; the script hash's is the only one left.
      expect(was).toContain('index sqlite_autoindex_addresses_2');
      expect(objects(db)).toEqual(was.filter((n) => n !== 'index sqlite_autoindex_addresses_2'));
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);

      // One row per script still: a second row for the same script is refused.
      const insert = db.prepare("INSERT INTO addresses (address, scripthash, origin, state, created_at) VALUES (?, unhex(?), 'static', 'free', 0)");
      expect(() => insert.run(MAINNET, addressScripthash(MAINNET))).toThrow(/UNIQUE constraint failed: addresses.scripthash/);

      // A lookup by address walks the scripthash index and compares the text on the row it finds.
      const at16 = 'SELECT id FROM addresses a WHERE a.scripthash = unhex(@sh) AND a.address = @address';
      expect(plan(db, at16, { address: REGTEST, sh: addressScripthash(REGTEST)! })).toMatch(/SEARCH a USING INDEX sqlite_autoindex_addresses_1 \(scripthash=\?\)/);

      // At the latest schema, the lookups the code makes find the address, and only on its own network.
      migrate(db);
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
      const find = `SELECT id FROM addresses a WHERE ${addressMatch('a')}`;
      expect(db.prepare(find).pluck().all(addressArgs(REGTEST))).toEqual([1]);
      expect(db.prepare(find).pluck().all(addressArgs(MAINNET))).toEqual([]); // same script, another network
      expect(db.prepare(find).pluck().all(addressArgs('not-an-address'))).toEqual([]);

      // Search and the books' filter find the invoice by its address, and only by its own network's.
      const search = (term: string): string[] => searchInvoices(db, { term, before: Number.MAX_SAFE_INTEGER, limit: 10 }).map((r) => r.id);
      expect(search(REGTEST)).toEqual(['inv1']);
      expect(search(REGTEST.toUpperCase())).toEqual(['inv1']);
      expect(search(MAINNET)).toEqual([]);
      const books = (q: string): string[] => {
        const f = invoiceWhere({ q }, 'i');
        return db.prepare(`SELECT i.id FROM invoices i WHERE ${f.sql}`).pluck().all(f.args) as string[];
      };
      expect(books(REGTEST)).toEqual(['inv1']);
      expect(books(MAINNET)).toEqual([]);
      expect(validateAddress(MAINNET, 'mainnet').address).toBe(MAINNET);
    } finally {
      db.close();
    }
  });
});
