/**
 * Migration 021 (src/node/store/migrations/021-block-key.ts): a payment names its block by height and a four-byte key
 * of the block's hash (docs/decisions/0100-block-key.md). The upgrade keeps every payment, its indexes, triggers and
 * references, and gives each mined one the key of the hash it stored; the watcher's reorg reset and its check of a
 * verified payment's block use the key.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { migrate } from '../../src/node/store/sqlite.ts';
import { blockKey, invoiceIdOf, PAYMENT_COLUMNS } from '../../src/node/store/chain-sql.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_760_000_000_000;
// A mainnet-like hash (the proof of work's zeros in front) and a regtest one.
const HASHES = ['00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054', '6c8e0a12f0b1d2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091'];

/** A version-20 store: one invoice with two mined payments and one in the mempool. */
function version20(): Database.Database {
  const db = new Database(path.join(tempDir(), 'v20.sqlite'));
  migrate(db, 20);
  const a = madeUpAddress('m021', 0);
  db.prepare("INSERT INTO addresses (id, address, script_key, origin, state, created_at) VALUES (1, ?, satdesk_script_key(?), 'static', 'used', ?)").run(a.address, a.address, T);
  db.prepare(`INSERT INTO invoices (id, status, amount_sats, label, address_id, created_at, expires_at, confirmations_required, tolerance_bp,
      monitoring_ms, paid_sats, confirmed_sats, updated_at) VALUES ('inv1', 'paid', 3000, 'Espresso', 1, ?, ?, 1, 0, 0, 3000, 2000, ?)`).run(T, T + 900_000, T);
  const pay = db.prepare(`INSERT INTO payments (id, txid, address_id, sats, invoice_id, height, block_hash, block_time, first_seen, time, verified, state, plan_done)
    VALUES (?, randomblob(32), 1, 1000, 'inv1', ?, unhex(?), ?, ?, ?, ?, 'active', 1)`);
  pay.run(1, 101, HASHES[0], T + 10, T + 1, T + 1, 1);
  pay.run(2, 102, HASHES[1], T + 20, T + 2, T + 2, 1);
  pay.run(3, 0, null, null, T + 3, T + 3, 0);
  return db;
}

const attached = (db: Database.Database): string[] =>
  db.prepare("SELECT type || ' ' || name FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = 'payments' ORDER BY 1").pluck().all() as string[];
/** A payment's other columns; its invoice read as the id also after 023, which names it by the invoice's row number. */
const rest = (db: Database.Database, bySeq = false): unknown[] =>
  db.prepare(`SELECT id, txid, address_id, sats, ${bySeq ? invoiceIdOf('payments') : 'invoice_id'} AS invoice_id, height, block_time, first_seen, time, verified, state, plan_done FROM payments ORDER BY id`).all();

describe('migration 021 (the block key)', () => {
  it('keeps every payment, gives a mined one its block hash’s key and keeps indexes, triggers and references', () => {
    const db = version20();
    const before = rest(db);
    const objects = attached(db);
    expect(migrate(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(rest(db, true)).toEqual(before);
    // The last four bytes, not the first (zeros on mainnet).
    expect(db.prepare('SELECT block_key FROM payments ORDER BY id').pluck().all()).toEqual([blockKey(HASHES[0]!), blockKey(HASHES[1]!), null]);
    expect(blockKey(HASHES[0]!)).toBe(0x2728a054);
    expect(blockKey(HASHES[1]!)).toBe(0x6e7f8091);
    expect(db.prepare("SELECT name FROM pragma_table_info('payments')").pluck().all()).not.toContain('block_hash');
    // Migration 027 finds payments by a txid key in place of the unique (txid, address) index (migration-027.test.ts).
    const later = /sqlite_autoindex_payments_1|payments_txid|payments_pair_/;
    expect(attached(db).filter((n) => !later.test(n))).toEqual(objects.filter((n) => !later.test(n)));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.prepare(`SELECT ${PAYMENT_COLUMNS} FROM payments p WHERE p.id = 1`).get()).toMatchObject({ block_key: blockKey(HASHES[0]!), height: 101 });
    // References still hold both ways; the wallet's used mark still follows a new payment.
    expect(() => db.prepare("DELETE FROM invoices WHERE id = 'inv1'").run()).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare('INSERT INTO payments (txid, address_id, sats, first_seen) VALUES (randomblob(32), 99, 1, 0)').run()).toThrow(/FOREIGN KEY/);
    db.close();
  });
});
