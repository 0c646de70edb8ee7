/**
 * Migration 013 (src/node/store/migrations/013-lean-chain.ts) upgrades a database written by migrations 001–012:
 * every address, invoice, payment and refund is kept with the values the app reads (script hashes and block hashes
 * as lowercase hex, an invoice's and a payment's address through address_id), the indexes, triggers, references and
 * search index of the rebuilt tables still work, and a value that is not a hash stops the upgrade with its row named.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { migrate, openDatabase } from '../../src/node/store/sqlite.ts';
import { getInvoiceRow, paymentsOf } from '../../src/node/invoices.ts';
import { searchInvoices } from '../../src/node/search.ts';
import { addressOf, blockKey, invoiceIdOf, invoiceSeqOf, scripthashArgs, scripthashMatch, scripthashOf, shOf } from '../../src/node/store/chain-sql.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';
import { tempDir } from '../helpers/api.ts';

const LATEST = MIGRATIONS.at(-1)!.version;
const T = 1_760_000_000_000;
const sh = (i: number): string => (i * 0x1111).toString(16).padStart(4, '0').repeat(16);
// Real addresses with the script hashes the app stored for them (since migration 020 the store computes it from the text).
const A = Object.fromEntries(['derived0', 'derived1', 'derived2', 'static0', 'static1'].map((k, i) => [k, madeUpAddress('m013', i)])) as Record<
  'derived0' | 'derived1' | 'derived2' | 'static0' | 'static1',
  { address: string; scripthash: string }
>;

/** A version-12 store: derived and static addresses, invoices, mined and mempool payments, an unattributed one, refunds. */
function version12(file: string): Database.Database {
  const db = new Database(file);
  migrate(db, 12);
  const run = (sql: string, ...args: unknown[]): void => void db.prepare(sql).run(...args);
  run("INSERT INTO wallet_source (id, kind, network, script, source, next_index, created_at) VALUES (1, 'xpub', 'regtest', 'p2wpkh', 'tpub', 3, ?)", T);
  const addr = db.prepare(`INSERT INTO addresses (id, address, scripthash, script_hex, origin, derivation_index, state, invoice_id, electrum_status, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`);
  addr.run(1, A.derived0.address, A.derived0.scripthash, '0014' + '01'.repeat(20), 'derived', 0, 'used', 'e'.repeat(64), T);
  addr.run(2, A.derived1.address, A.derived1.scripthash, '0014' + '02'.repeat(20), 'derived', 1, 'in_use', null, T + 1);
  addr.run(3, A.derived2.address, A.derived2.scripthash.toUpperCase(), '0014' + '03'.repeat(20), 'derived', 2, 'used', null, T + 2);
  addr.run(4, A.static0.address, A.static0.scripthash, '0014' + '04'.repeat(20), 'static', null, 'free', null, T + 3);
  addr.run(5, A.static1.address, A.static1.scripthash, '0014' + '05'.repeat(20), 'static', null, 'removed', null, T + 4);
  const inv = db.prepare(`INSERT INTO invoices (seq, id, status, amount_sats, label, userdata, address_id, address, created_at, expires_at,
      confirmations_required, tolerance_bp, monitoring_ms, paid_sats, confirmed_sats, paid_at, confirmed_at, updated_at)
    VALUES (?, ?, ?, 1000, ?, ?, ?, ?, ?, ?, 1, 0, 86400000, ?, ?, ?, ?, ?)`);
  inv.run(1, 'inv1', 'confirmed', 'Espresso', 'order-1', 1, A.derived0.address, T, T + 900_000, 1000, 1000, T + 10, T + 20, T + 20);
  inv.run(2, 'inv2', 'paid', 'Croissant au beurre', 'order-2', 2, A.derived1.address, T + 1, T + 900_001, 1000, 0, T + 11, null, T + 11);
  inv.run(3, 'inv3', 'expired', 'Tea', '', 3, A.derived2.address, T + 2, T + 900_002, 0, 0, null, null, T + 2);
  run("UPDATE addresses SET invoice_id = 'inv2' WHERE id = 2");
  const pay = db.prepare(`INSERT INTO payments (id, txid, address_id, address, sats, invoice_id, height, block_hash, block_time, first_seen, time,
      rbf, verified, state, plan_done) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`);
  pay.run(1, 'a'.repeat(64), 1, A.derived0.address, 1000, 'inv1', 101, '0f'.repeat(32), T + 15, T + 10, T + 10, 0, 1, 'active');
  pay.run(2, 'b'.repeat(64), 2, A.derived1.address, 1000, 'inv2', 0, null, null, T + 11, T + 11, 1, 0, 'active');
  pay.run(3, 'c'.repeat(64), 2, A.derived1.address, 300, 'inv2', 0, null, null, T + 12, T + 12, 1, 0, 'gone');
  pay.run(4, 'd'.repeat(64), 4, A.static0.address, 500, null, 102, 'AB'.repeat(32), T + 16, T + 13, T + 13, 0, 1, 'active');
  run(`INSERT INTO refunds (invoice_id, sats, txid, note, created_at, address, scripthash, script_hex, height, block_hash, verified)
       VALUES ('inv1', 200, ?, 'sorry', ?, 'bcrt1qcustomer', ?, '0014aa', 103, ?, 1)`, '9'.repeat(64), T + 30, sh(9), '1'.repeat(64));
  run("INSERT INTO refunds (invoice_id, sats, note, created_at) VALUES ('inv2', 100, '', ?)", T + 31);
  run("INSERT INTO events (id, type, invoice_id, payment_id, data, created_at) VALUES (1, 'invoice.paid', 'inv2', 2, '{}', ?)", T + 11);
  return db;
}

/** What the app reads of the chain tables, in a stable order. */
function appView(db: Database.Database, v13: boolean): unknown {
  const shCol = v13 ? scripthashOf('addresses') : 'lower(scripthash)'; // computed from the text since 020
  return {
    addresses: db.prepare(`SELECT id, address, ${shCol} AS scripthash, origin, derivation_index, state, invoice_id, electrum_status FROM addresses ORDER BY id`).all(),
    // The status and zero-confirmation risk are read from their codes since 028 (docs/decisions/0109-invoice-codes.md).
    invoices: (db.prepare(`SELECT *, ${v13 ? addressOf('invoices') : 'address'} AS address FROM invoices ORDER BY seq`).all() as Record<string, unknown>[]).map(
      ({ status_code: _s, zero_conf_code: _z, ...r }) => r,
    ),
    // A payment's block by its key since 021 (docs/decisions/0100-block-key.md): the old rows' hashes as their keys.
    // Its invoice by the invoice's row number since 023 (docs/decisions/0102-payment-invoice-seq.md), read as the id.
    payments: (
      db.prepare(`SELECT *, ${v13 ? shOf('txid') : 'lower(txid)'} AS txid, ${v13 ? addressOf('payments') : 'address'} AS address${v13 ? `, ${invoiceIdOf('payments')} AS invoice_id` : ', lower(block_hash) AS block_hash'} FROM payments ORDER BY id`).all() as Record<string, unknown>[]
    ).map(({ block_hash, block_key, invoice_seq: _seq, state_code: _code, time_own: _t, ...r }) => ({ ...r, block: v13 ? block_key : typeof block_hash === 'string' ? blockKey(block_hash) : null })),
    refunds: db.prepare('SELECT * FROM refunds ORDER BY id').all(),
    counts: db.prepare('SELECT * FROM address_states ORDER BY state').all(),
  };
}

const plan = (db: Database.Database, sql: string, args: Record<string, unknown> = {}): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(args) as { detail: string }[]).map((r) => r.detail).join(' | ');

describe('migration 013 (lean chain tables)', () => {
  it('upgrades a version-12 database and keeps every row as the app reads it', () => {
    const file = path.join(tempDir(), 'v12.sqlite');
    const old = version12(file);
    const before = appView(old, false);
    const attached = (d: Database.Database): string[] =>
      (d.prepare("SELECT type || ' ' || name AS n FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY n").all() as { n: string }[]).map((r) => r.n);
    const objects = attached(old);
    old.close();

    const db = openDatabase(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(LATEST);
      expect(appView(db, true)).toEqual(before);
      // Every index and trigger kept (migration 014 adds one, the markers retention walks; 016 drops the address
      // text's unique index, the first of addresses' two).
      // Later migrations' own changes aside: 014 adds notifications_marker, 018 and 019 drop three indexes and add
      // triggers, 020 replaces the script hash's unique index by the key's and drops used addresses' hashes, 022 keeps
      // quarter-hour counts in place of two indexes and swaps addresses_state for addresses_removed, 026 drops events_invoice,
      // 027 finds payments by a txid key in place of the unique (txid, address) index, kept by two triggers; 030 keeps
      // only short order references in their index; 032 drops attempts_at.
      const later = /attempts_at|invoices_userdata|notifications_marker|notifications_kept_body|notifications_not_payment|invoices_confirmations|invoice_maxima|invoices_maxima_|sqlite_autoindex_addresses_|addresses_script|addresses_hash_dropped|invoice_quarters|invoices_quarters_|invoices_paid_at|invoices_confirmed_at|addresses_state\b|addresses_removed|events_invoice|sqlite_autoindex_payments_1|payments_txid|payments_pair_/;
      expect(attached(db).filter((n) => !later.test(n))).toEqual(objects.filter((n) => n !== 'index sqlite_autoindex_addresses_2' && !later.test(n)));
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      // The copies and the script are gone; the hashes are their 32 bytes (an address's, since 020, computed from its text).
      const cols = (t: string): string[] => (db.prepare('SELECT name FROM pragma_table_info(?)').all(t) as { name: string }[]).map((c) => c.name);
      expect(cols('addresses')).not.toContain('script_hex');
      expect(cols('invoices')).not.toContain('address');
      expect(cols('payments')).not.toContain('address');
      expect(db.prepare('SELECT typeof(block_key) FROM payments ORDER BY id').pluck().all()).toEqual(['integer', 'null', 'null', 'integer']);

      // The app's own readers give the rows it wrote.
      expect(getInvoiceRow(db, 'inv2')).toMatchObject({ id: 'inv2', address: A.derived1.address, address_id: 2 });
      expect(paymentsOf(db, 'inv1')).toEqual([expect.objectContaining({ txid: 'a'.repeat(64), address: A.derived0.address, block_key: blockKey('0f'.repeat(32)) })]);
      expect(paymentsOf(db, 'inv2').map((p) => [p.block_key, p.state])).toEqual([[null, 'active'], [null, 'gone']]);
      const search = (term: string): string[] => searchInvoices(db, { term, before: Number.MAX_SAFE_INTEGER, limit: 10 }).map((r) => r.id);
      expect(search('croissant')).toEqual(['inv2']); // the FTS index over the rebuilt invoices
      // The address through its own row, by the invoice's address_id.
      expect(db.prepare(`SELECT ${addressOf('i')} FROM invoices i WHERE id = 'inv3'`).pluck().get()).toBe(A.derived2.address);

      // The triggers of the rebuilt tables still run: address counts, the search index, the wallet's used mark.
      db.prepare("UPDATE addresses SET state = 'used' WHERE id = 2").run();
      expect(db.prepare("SELECT n FROM address_states WHERE state = 'in_use'").pluck().get()).toBe(0);
      db.prepare("UPDATE invoices SET label = 'Flat white' WHERE id = 'inv3'").run();
      expect(search('flat white')).toEqual(['inv3']);
      db.prepare(`INSERT INTO payments (txid, address_id, sats, invoice_seq, first_seen) VALUES (unhex(?), 3, 10, ${invoiceSeqOf("'inv3'")}, ?)`).run('f'.repeat(64), T + 40);
      expect(db.prepare('SELECT used_through FROM wallet_source').pluck().get()).toBe(2);
      // References still hold both ways.
      expect(() => db.prepare("DELETE FROM invoices WHERE id = 'inv1'").run()).toThrow(/FOREIGN KEY/);
      expect(() => db.prepare("INSERT INTO payments (txid, address_id, sats, first_seen) VALUES (zeroblob(32), 99, 1, 0)").run()).toThrow(/FOREIGN KEY/);

      // Lookups by script hash, the watched set and a payment by (txid, address) stay on indexes.
      expect(plan(db, `SELECT id FROM addresses a WHERE ${scripthashMatch('a')}`, scripthashArgs(A.derived0.scripthash))).toMatch(/INDEX addresses_script \(script_key=\?\)/);
      expect(db.prepare(`SELECT id FROM addresses a WHERE ${scripthashMatch('a')}`).pluck().all(scripthashArgs(A.derived0.scripthash))).toEqual([1]);
      expect(plan(db, "SELECT id, electrum_status FROM addresses WHERE state IN ('in_use', 'free') AND id > 0")).toMatch(/INDEX addresses_watched/);
      expect(plan(db, `SELECT 1 FROM payments WHERE txid = unhex('${'a'.repeat(64)}') AND address_id = 1`)).toMatch(/INDEX payments_address/);
    } finally {
      db.close();
    }
  });

  it('stops with the row named when a stored hash is not one', () => {
    const file = path.join(tempDir(), 'bad.sqlite');
    const old = version12(file);
    old.prepare("UPDATE payments SET block_hash = 'not-a-hash' WHERE id = 1").run();
    old.close();
    expect(() => openDatabase(file)).toThrow(/migration 013: payments row 1 holds "not-a-hash"/);
    const again = new Database(file);
    expect(again.pragma('user_version', { simple: true })).toBe(12); // nothing half-done: the migration rolled back
    again.close();
  });
});
