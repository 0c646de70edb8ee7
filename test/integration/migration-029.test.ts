/**
 * Migration 029 (src/node/store/migrations/029-payment-state-code.ts, docs/decisions/0109-invoice-codes.md): a
 * payment's state is stored as a code and read as its word. The upgrade keeps every payment as read, with its indexes
 * and triggers, in fewer bytes; the wallet's used mark still follows a payment leaving the chain and coming back, now
 * on the code; a code outside the list, or a write of the word, is refused.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/node/store/sqlite.ts';
import { PAYMENT_COLUMNS } from '../../src/node/store/chain-sql.ts';
import { PAYMENT_STATE_CODE } from '../../src/node/store/codes.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_760_000_000_000;
const N = 600;

/** A version-28 store: N derived addresses, a payment on each, every fifth one gone; the wallet used through N - 1. */
function version28(): Database.Database {
  const db = new Database(path.join(tempDir(), 'v28.sqlite'));
  migrate(db, 28);
  db.prepare("INSERT INTO wallet_source (id, kind, network, script, source, next_index, created_at) VALUES (1, 'xpub', 'regtest', 'p2wpkh', 'k', ?, ?)").run(N, T);
  const addr = db.prepare("INSERT INTO addresses (id, address, script_key, derivation_index, state) VALUES (?, ?, 0, ?, 'used')");
  const pay = db.prepare('INSERT INTO payments (txid, address_id, sats, height, first_seen, time, state) VALUES (?, ?, ?, ?, ?, ?, ?)');
  for (let i = 1; i <= N; i++) {
    addr.run(i, `addr${i}`, i - 1);
    const txid = Buffer.alloc(32, 7);
    txid.writeUInt32BE(i, 0);
    pay.run(txid, i, 1000 + i, i % 3, T + i, T + i, i % 5 === 0 && i !== N ? 'gone' : 'active');
  }
  return db;
}

const attached = (db: Database.Database): string[] =>
  db.prepare("SELECT type || ' ' || name FROM sqlite_master WHERE tbl_name = 'payments' AND type <> 'table' AND sql IS NOT NULL ORDER BY name").pluck().all() as string[];
const tableBytes = (db: Database.Database): number => db.prepare("SELECT SUM(payload) FROM dbstat WHERE name = 'payments'").pluck().get() as number;
const read = (db: Database.Database): Record<string, unknown>[] => db.prepare(`SELECT ${PAYMENT_COLUMNS} FROM payments p ORDER BY p.id`).all() as Record<string, unknown>[];
const usedThrough = (db: Database.Database): number => db.prepare('SELECT used_through FROM wallet_source').pluck().get() as number;

describe('migration 029 (payment state code)', () => {
  it('keeps every payment as read, with its indexes and triggers, in fewer bytes', () => {
    const db = version28();
    const before = read(db);
    const was = attached(db);
    const used = usedThrough(db);
    const live = db.prepare("SELECT COUNT(*) FROM payments INDEXED BY payments_climbing WHERE state = 'active' AND height > 0").pluck().get();
    const bytes = tableBytes(db);
    expect(migrate(db, 29)).toBe(29);
    expect(read(db)).toEqual(before);
    expect(attached(db)).toEqual(was);
    expect(usedThrough(db)).toBe(used);
    expect(db.prepare("SELECT COUNT(*) FROM payments INDEXED BY payments_climbing WHERE state = 'active' AND height > 0").pluck().get()).toBe(live);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare("SELECT hidden FROM pragma_table_xinfo('payments') WHERE name = 'state'").pluck().get()).toBe(2);
    expect(tableBytes(db)).toBeLessThan(bytes - N * 5);
    db.close();
  });

  it('moves the used mark on the code, and refuses a code outside the list or a write of the word', () => {
    const db = version28();
    migrate(db);
    expect(usedThrough(db)).toBe(N - 1);
    const setState = db.prepare('UPDATE payments SET state_code = ? WHERE address_id = ?');
    // The top payment leaves the chain: used down to the next address with an active payment (index N - 2).
    setState.run(PAYMENT_STATE_CODE.gone, N);
    expect(db.prepare('SELECT state FROM payments WHERE address_id = ?').pluck().get(N)).toBe('gone');
    expect(usedThrough(db)).toBe(N - 2);
    // A gone payment further down coming back does not move it; the top one coming back does.
    setState.run(PAYMENT_STATE_CODE.active, 5);
    expect(usedThrough(db)).toBe(N - 2);
    setState.run(PAYMENT_STATE_CODE.active, N);
    expect(usedThrough(db)).toBe(N - 1);
    // A new active payment past the mark raises it, as the insert trigger always did.
    db.prepare("INSERT INTO addresses (id, address, script_key, derivation_index, state) VALUES (?, 'addr-new', 0, ?, 'used')").run(N + 1, N + 4);
    db.prepare('INSERT INTO payments (txid, address_id, sats, first_seen) VALUES (randomblob(32), ?, 1, 0)').run(N + 1);
    expect(usedThrough(db)).toBe(N + 4);
    const n = db.prepare('SELECT COUNT(*) FROM payments').pluck().get();
    expect(() => setState.run(2, 1)).toThrow(/CHECK constraint failed/);
    expect(() => db.prepare("UPDATE payments SET state = 'gone' WHERE address_id = 1").run()).toThrow(/generated column/);
    expect(() => db.prepare("INSERT INTO payments (txid, address_id, sats, first_seen, state) VALUES (randomblob(32), 1, 1, 0, 'active')").run()).toThrow(/generated column/);
    expect(db.prepare('SELECT COUNT(*) FROM payments').pluck().get()).toBe(n);
    db.close();
  });
});
