/**
 * Migration 027 (src/node/store/migrations/027-payment-txid-key.ts, docs/decisions/0108-payment-txid-key.md): payments
 * are found by their txid through an index of its first eight bytes. The upgrade keeps every payment with its other
 * indexes and triggers; the index takes fewer bytes than the unique (txid, address) one it replaces; a second payment
 * of one transaction to one address is still refused, on insert and on update; reads by txid and by a txid's prefix
 * use the new index.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/node/store/sqlite.ts';
import { scriptKey, txidBetween, txidIs } from '../../src/node/store/chain-sql.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_760_000_000_000;
const N = 2000;

/** A version-26 store: one invoice on address 1, N payments spread over 4 addresses, two of them sharing a txid. */
function version26(): Database.Database {
  const db = new Database(path.join(tempDir(), 'v26.sqlite'));
  migrate(db, 26);
  const addr = db.prepare("INSERT INTO addresses (id, address, script_key, derivation_index, state) VALUES (?, ?, ?, ?, 'used')");
  for (let i = 1; i <= 4; i++) {
    const a = madeUpAddress('m027', i);
    addr.run(i, a.address, scriptKey(a.scripthash), i);
  }
  db.prepare(`INSERT INTO invoices (id, status, amount_sats, label, address_id, created_at, expires_at, confirmations_required, tolerance_bp,
    monitoring_ms, paid_sats, confirmed_sats, updated_at) VALUES ('inv1', 'paid', 1000, '', 1, ?, ?, 1, 0, 0, 0, 0, ?)`).run(T, T + 900_000, T);
  const pay = db.prepare("INSERT INTO payments (txid, address_id, sats, invoice_seq, height, first_seen, time, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  for (let i = 1; i <= N; i++) {
    const txid = Buffer.alloc(32, i % 251);
    txid.writeUInt32BE(i, 0);
    pay.run(txid, (i % 4) + 1, i, i % 4 === 0 ? 1 : null, i % 7, T + i, T + i, i % 9 === 0 ? 'gone' : 'active');
  }
  // One transaction paying two addresses: two rows with the same txid.
  pay.run(Buffer.alloc(32, 0xee), 1, 5, 1, 0, T, T, 'active');
  pay.run(Buffer.alloc(32, 0xee), 2, 6, null, 0, T, T, 'active');
  return db;
}

const plan = (db: Database.Database, sql: string, args: Record<string, string>): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(args) as { detail: string }[]).map((r) => r.detail).join(' | ');
const attached = (db: Database.Database): string[] =>
  db.prepare("SELECT type || ' ' || name || ' ' || sql FROM sqlite_master WHERE tbl_name = 'payments' AND type <> 'table' AND sql IS NOT NULL ORDER BY name").pluck().all() as string[];
const indexBytes = (db: Database.Database, name: string): number => db.prepare('SELECT SUM(payload) FROM dbstat WHERE name = ?').pluck().get(name) as number;

describe('migration 027 (payment txid key)', () => {
  it('keeps every payment, its indexes and triggers, in a smaller txid index', () => {
    const db = version26();
    const read = 'SELECT * FROM payments ORDER BY id';
    const before = db.prepare(read).all();
    const was = attached(db);
    const used = db.prepare('SELECT used_through FROM wallet_source').all();
    const oldIndex = indexBytes(db, 'sqlite_autoindex_payments_1');
    expect(migrate(db, 27)).toBe(27);
    expect(db.prepare(read).all()).toEqual(before);
    const now = attached(db);
    expect(now.filter((x) => !/payments_txid|payments_pair_/.test(x))).toEqual(was);
    expect(now.filter((x) => /payments_txid|payments_pair_/.test(x))).toHaveLength(3);
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_autoindex_payments_1'").pluck().get()).toBe(0);
    expect(db.prepare('SELECT used_through FROM wallet_source').all()).toEqual(used);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(indexBytes(db, 'payments_txid')).toBeLessThan(oldIndex * 0.6);
    db.close();
  });

  it('still refuses a second payment of one transaction to one address, on insert and on update', () => {
    const db = version26();
    migrate(db);
    const count = (): number => db.prepare('SELECT COUNT(*) FROM payments').pluck().get() as number;
    const n = count();
    const insert = db.prepare('INSERT INTO payments (txid, address_id, sats, first_seen) VALUES (?, ?, 1, 0)');
    expect(() => insert.run(Buffer.alloc(32, 0xee), 1)).toThrow(/UNIQUE constraint failed: payments\.txid, payments\.address_id/);
    expect(count()).toBe(n);
    // The same transaction to another address, and a txid that shares only its first eight bytes, are new payments.
    insert.run(Buffer.alloc(32, 0xee), 3);
    const near = Buffer.alloc(32, 0xee);
    near[31] = 0;
    insert.run(near, 1);
    expect(count()).toBe(n + 2);
    // An update that would make a pair twice is refused; one that changes nothing of the pair passes.
    const id = db.prepare('SELECT id FROM payments WHERE txid = ? AND address_id = 1').pluck().get(near) as number;
    expect(() => db.prepare('UPDATE payments SET txid = ? WHERE id = ?').run(Buffer.alloc(32, 0xee), id)).toThrow(/UNIQUE constraint failed/);
    expect(() => db.prepare('UPDATE payments SET address_id = 2 WHERE id = ?').run(id)).not.toThrow();
    expect(db.prepare('UPDATE payments SET txid = txid, sats = 7 WHERE id = ?').run(id).changes).toBe(1);
    db.close();
  });

  it('reads a payment by txid and by a prefix of it through the key', () => {
    const db = version26();
    migrate(db);
    const ee = 'ee'.repeat(32);
    const byTxid = `SELECT address_id FROM payments WHERE ${txidIs('payments', '@t')} ORDER BY address_id`;
    expect(plan(db, byTxid, { t: ee })).toMatch(/USING INDEX payments_txid \(<expr>=\?\)/);
    expect(db.prepare(byTxid).pluck().all({ t: ee })).toEqual([1, 2]);
    const prefix = `SELECT COUNT(*) FROM payments WHERE ${txidBetween('payments', '@low', '@high')}`;
    const range = (digits: string): Record<string, string> => ({ low: digits.padEnd(64, '0'), high: digits.padEnd(64, 'f') });
    expect(plan(db, prefix, range('000003'))).toMatch(/USING (COVERING )?INDEX payments_txid \(<expr>>\? AND <expr><\?\)/);
    // Txids 0x00000300.. to 0x000003ff..: payments 768 to 1023.
    expect(db.prepare(prefix).pluck().get(range('000003'))).toBe(256);
    expect(db.prepare(prefix).pluck().get(range('00000300'))).toBe(1);
    expect(db.prepare(prefix).pluck().get(range('ee'.repeat(20)))).toBe(2);
    db.close();
  });
});
