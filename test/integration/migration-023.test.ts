/**
 * Migration 023 (src/node/store/migrations/023-payment-invoice-seq.ts, docs/decisions/0102-payment-invoice-seq.md):
 * a payment names its invoice by the invoice's row number. The upgrade keeps every payment as the app reads it (its
 * invoice still read as the public id), the reference to the invoice still holds both ways, and the reads by invoice,
 * of unattributed payments and by txid run on indexes.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/node/store/sqlite.ts';
import { invoiceIdOf, invoiceSeqOf, PAYMENT_COLUMNS, txidIs } from '../../src/node/store/chain-sql.ts';
import { paymentsOf } from '../../src/node/invoices.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_760_000_000_000;

/** A version-22 store: two invoices (the second made first, so row numbers and ids differ in order), three payments. */
function version22(): Database.Database {
  const db = new Database(path.join(tempDir(), 'v22.sqlite'));
  migrate(db, 22);
  const addr = db.prepare("INSERT INTO addresses (id, address, script_key, origin, state, created_at) VALUES (?, ?, satdesk_script_key(?), 'static', 'used', ?)");
  const inv = db.prepare(`INSERT INTO invoices (seq, id, status, amount_sats, label, address_id, created_at, expires_at, confirmations_required,
      tolerance_bp, monitoring_ms, paid_sats, confirmed_sats, updated_at) VALUES (?, ?, 'paid', 3000, '', ?, ?, ?, 1, 0, 0, 3000, 0, ?)`);
  for (let i = 0; i < 3; i++) {
    const a = madeUpAddress('m023', i);
    addr.run(i + 1, a.address, a.address, T);
  }
  inv.run(7, 'zzzz', 1, T, T + 900_000, T);
  inv.run(9, 'aaaa', 2, T, T + 900_000, T);
  const pay = db.prepare(`INSERT INTO payments (id, txid, address_id, sats, invoice_id, height, first_seen, time, state)
    VALUES (?, randomblob(32), ?, 1000, ?, 0, ?, ?, 'active')`);
  pay.run(1, 1, 'zzzz', T + 1, T + 1);
  pay.run(2, 2, 'aaaa', T + 2, T + 2);
  pay.run(3, 3, null, T + 3, T + 3); // unattributed
  return db;
}

const plan = (db: Database.Database, sql: string, ...args: unknown[]): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail).join(' | ');
const attached = (db: Database.Database): string[] =>
  db.prepare("SELECT type || ' ' || name FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = 'payments' ORDER BY 1").pluck().all() as string[];

describe('migration 023 (a payment names its invoice by row number)', () => {
  it('keeps every payment as the app reads it, with its indexes, triggers and references', () => {
    const db = version22();
    const before = db.prepare('SELECT id, lower(hex(txid)) AS txid, address_id, sats, invoice_id, time FROM payments ORDER BY id').all();
    const objects = attached(db);
    expect(migrate(db, 23)).toBe(23);
    expect(db.prepare(`SELECT id, lower(hex(txid)) AS txid, address_id, sats, ${invoiceIdOf('payments')} AS invoice_id, time FROM payments ORDER BY id`).all()).toEqual(before);
    expect(db.prepare('SELECT invoice_seq FROM payments ORDER BY id').pluck().all()).toEqual([7, 9, null]);
    expect(db.prepare("SELECT name FROM pragma_table_info('payments')").pluck().all()).not.toContain('invoice_id');
    expect(attached(db)).toEqual(objects);
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'payments_unattributed'").pluck().get()).toMatch(/WHERE invoice_seq IS NULL/);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);

    expect(paymentsOf(db, 'aaaa').map((p) => [p.id, p.invoice_id])).toEqual([[2, 'aaaa']]);
    expect(db.prepare(`SELECT ${PAYMENT_COLUMNS} FROM payments p WHERE p.id = 3`).get()).toMatchObject({ invoice_id: null, address_id: 3 });
    // References hold both ways: no payment of an invoice that does not exist, no invoice deleted under its payments.
    expect(() => db.prepare('INSERT INTO payments (txid, address_id, sats, invoice_seq, first_seen) VALUES (randomblob(32), 3, 1, 8, 0)').run()).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare("DELETE FROM invoices WHERE id = 'zzzz'").run()).toThrow(/FOREIGN KEY/);
    // A payment written by the id of its invoice, as the recorder writes it, and one of an unknown id, unattributed.
    db.prepare(`INSERT INTO payments (txid, address_id, sats, invoice_seq, first_seen) VALUES (randomblob(32), 1, 5, ${invoiceSeqOf('?')}, 0)`).run('zzzz');
    expect(paymentsOf(db, 'zzzz').map((p) => p.sats)).toEqual([1000, 5]);
    db.close();
  });

  it('reads payments by invoice, unattributed ones and an invoice by txid on indexes', () => {
    const db = version22();
    migrate(db);
    expect(plan(db, `SELECT ${PAYMENT_COLUMNS} FROM payments p WHERE p.invoice_seq = ${invoiceSeqOf('?')} ORDER BY p.id`, 'aaaa')).toMatch(/SEARCH p USING INDEX payments_invoice \(invoice_seq=\?\)/);
    // A list page binds its invoices' row numbers (src/node/service/invoices.ts).
    expect(plan(db, 'SELECT p.id FROM payments p WHERE p.invoice_seq IN (?, ?) ORDER BY p.id', 7, 9)).toMatch(/payments_invoice \(invoice_seq=\?\)/);
    expect(plan(db, 'SELECT p.id FROM payments p WHERE p.invoice_seq IS NULL AND p.id < ? ORDER BY p.id DESC', 10)).toMatch(/INDEX payments_(unattributed|invoice) /);
    expect(plan(db, `SELECT i.id FROM invoices i WHERE i.seq IN (SELECT invoice_seq FROM payments WHERE ${txidIs('payments', "'00'")})`)).toMatch(/payments_txid \(<expr>=\?\)/);
    db.close();
  });
});
