import { describe, expect, it } from 'vitest';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate, openDatabase } from '../../src/node/store/sqlite.ts';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { tempDir } from '../helpers/api.ts';
import { addressArgs, addressMatch, INVOICE_COLUMNS, invoiceSeqOf, PAYMENT_COLUMNS, scriptKey, scripthashArgs, scripthashMatch, scripthashOf, statusIs } from '../../src/node/store/chain-sql.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';

describe('store (real SQLite file)', () => {
  it('migrates a fresh file to the latest version with WAL, FULL sync and foreign keys', () => {
    const file = path.join(tempDir(), 's.sqlite');
    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    for (const t of ['settings', 'wallet_source', 'addresses', 'invoices', 'payments', 'events', 'agents', 'notifications', 'deliveries', 'attempts', 'refunds']) {
      expect(tables).toContain(t);
    }
    db.close();
    // Re-opening applies nothing twice.
    const again = openDatabase(file);
    expect(migrate(again)).toBe(MIGRATIONS.at(-1)!.version);
    again.close();
  });

  it('applies migrations in order, each exactly once, from any earlier version', () => {
    const file = path.join(tempDir(), 'm.sqlite');
    const raw = new Database(file);
    expect(raw.pragma('user_version', { simple: true })).toBe(0);
    expect(migrate(raw)).toBe(MIGRATIONS.length);
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    raw.close();
  });

  it('tells an existing store’s upgrade before and after, and says nothing for a new or a current one', () => {
    const lines: string[] = [];
    const log = (l: string): number => lines.push(l);
    const file = path.join(tempDir(), 'u.sqlite');
    const old = new Database(file);
    migrate(old, 19);
    old.close();
    openDatabase(file, { log }).close();
    const latest = MIGRATIONS.at(-1)!;
    const names = MIGRATIONS.filter((m) => m.version > 19).map((m) => m.name).join(', ');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`store: upgrading the database from schema 19 to ${latest.version} (${names}); a large store takes a while, and stopping it loses nothing`);
    expect(lines[1]).toMatch(new RegExp(`^store: upgraded to schema ${latest.version} in \\d+\\.\\d s$`));
    openDatabase(file, { log }).close(); // current: nothing to do
    openDatabase(path.join(tempDir(), 'new.sqlite'), { log }).close(); // made, not upgraded
    expect(lines).toHaveLength(2);
  });

  it('refuses a data dir written by a newer schema', () => {
    const file = path.join(tempDir(), 'n.sqlite');
    const raw = new Database(file);
    raw.pragma('user_version = 999');
    raw.close();
    expect(() => openDatabase(file)).toThrow(/newer Satdesk/);
  });

  it('money columns refuse non-integers (STRICT tables) and foreign keys hold', () => {
    const db = openDatabase(path.join(tempDir(), 'f.sqlite'));
    const made = madeUpAddress('store', 1);
    db.prepare("INSERT INTO addresses (address, script_key, state) VALUES (@address, satdesk_script_key(@address), 'free')").run({ address: made.address });
    expect(() =>
      db.prepare(`INSERT INTO invoices (id, status_code, amount_sats, address_id, created_at, expires_at, confirmations_required,
        tolerance_bp, monitoring_ms, updated_at) VALUES ('x', 2, 1.5, 1, 0, 0, 1, 0, 0, 0)`).run(),
    ).toThrow(/cannot store REAL value in INTEGER column/);
    expect(() => db.prepare("INSERT INTO refunds (invoice_id, sats, created_at) VALUES ('missing', 5, 0)").run()).toThrow(/FOREIGN KEY/);
    // An address's script hash is computed from its text, its key stored (docs/decisions/0099-address-key.md); a row
    // without a key is refused, and text that is no address has neither.
    expect(db.prepare(`SELECT ${scripthashOf('a')} AS sh, script_key AS key FROM addresses a WHERE id = 1`).get()).toEqual({ sh: made.scripthash, key: scriptKey(made.scripthash) });
    expect(() => db.prepare("INSERT INTO addresses (address, state) VALUES (?, 'free')").run(made.address)).toThrow(/NOT NULL constraint failed: addresses.script_key/);
    // A stored hash is a copy kept while the address is free or held, and must be one.
    expect(() => db.prepare("UPDATE addresses SET scripthash = x'11' WHERE id = 1").run()).toThrow(/CHECK constraint failed/);
    db.prepare('UPDATE addresses SET scripthash = unhex(?) WHERE id = 1').run(made.scripthash);
    db.prepare("UPDATE addresses SET state = 'used' WHERE id = 1").run();
    expect(db.prepare('SELECT scripthash FROM addresses WHERE id = 1').pluck().get()).toBeNull();
    expect(db.prepare(`SELECT ${scripthashOf('a')} FROM addresses a WHERE id = 1`).pluck().get()).toBe(made.scripthash);
    expect(db.prepare("SELECT satdesk_scripthash('no address') AS sh, satdesk_script_key('no address') AS key").get()).toEqual({ sh: null, key: null });
    db.close();
  });

  it('the hot queries use their indexes (query plans)', () => {
    const db = openDatabase(path.join(tempDir(), 'p.sqlite'));
    const plan = (sql: string, args: Record<string, unknown> = {}): string =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(args) as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan(`SELECT ${INVOICE_COLUMNS} FROM invoices i WHERE seq < 10 AND ${statusIs('status', "'unpaid'", 'unpaid')} ORDER BY seq DESC LIMIT 51`)).toMatch(/USING INDEX invoices_status/);
    expect(plan(`SELECT ${INVOICE_COLUMNS} FROM invoices i WHERE i.next_check_at IS NOT NULL AND i.next_check_at <= 5 ORDER BY i.next_check_at LIMIT 500`)).toMatch(/invoices_next_check/);
    // The address of an invoice or a payment is one rowid lookup; a script hash is looked up by its key's index.
    expect(plan(`SELECT ${INVOICE_COLUMNS} FROM invoices i WHERE i.id = 'x'`)).toMatch(/SEARCH ad USING INTEGER PRIMARY KEY/);
    expect(plan(`SELECT ${PAYMENT_COLUMNS} FROM payments p WHERE p.invoice_seq = ${invoiceSeqOf("'x'")}`)).toMatch(/payments_invoice.*SEARCH ad USING INTEGER PRIMARY KEY/);
    expect(plan(`SELECT id FROM addresses a WHERE ${scripthashMatch('a')}`, scripthashArgs('00'.repeat(32)))).toMatch(/SEARCH a USING INDEX addresses_script \(script_key=\?\)/);
    expect(plan(`SELECT id FROM addresses a WHERE ${addressMatch('a')}`, addressArgs('bcrt1q'))).toMatch(/SEARCH a USING INDEX addresses_script \(script_key=\?\)/);
    expect(plan("SELECT * FROM deliveries WHERE state IN ('PENDING','RETRY') AND next_attempt_at <= 5 ORDER BY next_attempt_at")).toMatch(/SEARCH deliveries USING INDEX deliveries_(due|state)/);
    expect(plan('SELECT * FROM payments WHERE invoice_seq = 1')).toMatch(/payments_invoice/);
    db.close();
  });
});
