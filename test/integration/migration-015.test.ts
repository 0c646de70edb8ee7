/**
 * Migration 015 (src/node/store/migrations/015-txid-bytes.ts) upgrades a database written by migrations 001–014:
 * every payment is kept with the txid the app reads (lowercase hex), the unique (txid, address_id) index, triggers
 * and references still hold, a search by txid prefix still walks that index, and a txid that is not one stops the
 * upgrade with its row named.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { migrate, openDatabase } from '../../src/node/store/sqlite.ts';
import { paymentsOf } from '../../src/node/invoices.ts';
import { searchInvoices } from '../../src/node/search.ts';
import { invoiceIdOf, txidBetween } from '../../src/node/store/chain-sql.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_760_000_000_000;
const TX = ['3a'.repeat(32), '3A7F'.repeat(16), 'c0ffee'.padEnd(64, '1')];

/** A version-14 store: two invoices, a mined, a mempool and an unattributed payment, a gone one. */
function version14(file: string): Database.Database {
  const db = new Database(file);
  migrate(db, 14);
  const addr = db.prepare("INSERT INTO addresses (id, address, scripthash, origin, state, created_at) VALUES (?, ?, unhex(?), 'static', ?, ?)");
  addr.run(1, 'bcrt1qone', '01'.repeat(32), 'used', T);
  addr.run(2, 'bcrt1qtwo', '02'.repeat(32), 'free', T);
  db.prepare(`INSERT INTO invoices (id, status, amount_sats, label, address_id, created_at, expires_at, confirmations_required, tolerance_bp,
      monitoring_ms, paid_sats, confirmed_sats, updated_at) VALUES ('inv1', 'confirmed', 1000, 'Espresso', 1, ?, ?, 1, 0, 0, 1000, 1000, ?)`).run(T, T + 900_000, T);
  const pay = db.prepare(`INSERT INTO payments (id, txid, address_id, sats, invoice_id, height, block_hash, first_seen, time, verified, state)
    VALUES (?, ?, ?, ?, ?, ?, unhex(?), ?, ?, ?, ?)`);
  pay.run(1, TX[0], 1, 600, 'inv1', 101, 'ab'.repeat(32), T + 1, T + 1, 1, 'active');
  pay.run(2, TX[1], 1, 400, 'inv1', 0, null, T + 2, T + 2, 0, 'active');
  pay.run(3, TX[2], 2, 50, null, 0, null, T + 3, T + 3, 0, 'gone');
  db.prepare("INSERT INTO events (type, invoice_id, payment_id, data, created_at) VALUES ('payment.unattributed', NULL, 3, '{}', ?)").run(T + 3);
  return db;
}

const plan = (db: Database.Database, sql: string): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');

describe('migration 015 (txids as bytes)', () => {
  it('upgrades a version-14 database and keeps every payment as the app reads it', () => {
    const file = path.join(tempDir(), 'v14.sqlite');
    const old = version14(file);
    // Later migrations' changes set aside: 021 names a payment's block by a key of its hash (migration-021.test.ts),
    // 023 its invoice by the invoice's row number, read here as the id (migration-023.test.ts).
    // 029 stores the state as a code, read as the word (docs/decisions/0109-invoice-codes.md).
    const blockless = (rows: unknown[]): unknown[] => (rows as Record<string, unknown>[]).map(({ block_hash: _h, block_key: _k, invoice_seq: _s, state_code: _c, time_own: _t, ...r }) => r);
    const before = blockless(old.prepare('SELECT *, lower(txid) AS txid FROM payments ORDER BY id').all());
    const attached = (d: Database.Database): string[] =>
      (d.prepare("SELECT type || ' ' || name AS n FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = 'payments' ORDER BY n").all() as { n: string }[]).map((r) => r.n);
    const objects = attached(old);
    old.close();

    const db = openDatabase(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
      expect(blockless(db.prepare(`SELECT *, lower(hex(txid)) AS txid, ${invoiceIdOf('payments')} AS invoice_id FROM payments ORDER BY id`).all())).toEqual(before);
      expect(db.prepare('SELECT DISTINCT typeof(txid) || length(txid) FROM payments').pluck().all()).toEqual(['blob32']);
      // Migration 027 finds payments by a txid key in place of the unique (txid, address) index (migration-027.test.ts).
      const later = /sqlite_autoindex_payments_1|payments_txid|payments_pair_/;
      expect(attached(db).filter((n) => !later.test(n))).toEqual(objects.filter((n) => !later.test(n)));
      expect(db.pragma('foreign_key_check')).toEqual([]);
      expect(paymentsOf(db, 'inv1').map((p) => p.txid)).toEqual([TX[0], TX[1]!.toLowerCase()]);

      // Still one payment per (txid, address); the events pointing at a payment still hold it.
      const insert = db.prepare("INSERT INTO payments (txid, address_id, sats, first_seen) VALUES (unhex(?), ?, 1, 0)");
      expect(() => insert.run(TX[0], 1)).toThrow(/UNIQUE constraint failed/);
      insert.run(TX[0], 2);
      expect(() => db.prepare('DELETE FROM payments WHERE id = 3').run()).toThrow(/FOREIGN KEY/);

      // A txid prefix finds its invoice through the txid key's index (migration 027), as a range over the bytes.
      const search = (term: string): string[] => searchInvoices(db, { term, before: Number.MAX_SAFE_INTEGER, limit: 10 }).map((r) => r.id);
      expect(search('3a3a3a3a')).toEqual(['inv1']);
      expect(search('3A7F3A7F3')).toEqual(['inv1']);
      expect(search('c0ffee11')).toEqual([]); // unattributed: no invoice
      expect(plan(db, `SELECT invoice_seq FROM payments WHERE ${txidBetween('payments', "'00'", "'ff'")}`)).toMatch(/INDEX payments_txid \(<expr>>\? AND <expr><\?\)/);
    } finally {
      db.close();
    }
  });

  it('stops with the row named when a stored txid is not one', () => {
    const file = path.join(tempDir(), 'bad.sqlite');
    const old = version14(file);
    old.prepare("UPDATE payments SET txid = 'tx-2' WHERE id = 2").run();
    old.close();
    expect(() => openDatabase(file)).toThrow(/migration 015: payments row 2 holds "tx-2"/);
    const again = new Database(file);
    expect(again.pragma('user_version', { simple: true })).toBe(14);
    again.close();
  });
});
