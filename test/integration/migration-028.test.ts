/**
 * Migration 028 (src/node/store/migrations/028-invoice-codes.ts, docs/decisions/0109-invoice-codes.md): an invoice's
 * status and zero-confirmation risk are stored as codes and read under their names. The upgrade keeps every invoice
 * as the app reads it, with its indexes, triggers and references, in fewer bytes; the writers' codes
 * (src/node/store/codes.ts) read back as the words they stand for; a code outside the list is refused.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/node/store/sqlite.ts';
import { INVOICE_COLUMNS, statusIs } from '../../src/node/store/chain-sql.ts';
import { STATUS_CODE, statusCode, statusCodeOf, ZERO_CONF_CODE, zeroConfCode } from '../../src/node/store/codes.ts';
import { INVOICE_STATUSES } from '../../src/core/vocabulary.ts';
import { ZERO_CONF_RISKS } from '../../src/core/zeroconf.ts';
import { trigramQuery } from '../../src/node/search.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_760_000_000_000;
const N = 700;

/** A version-27 store: N invoices in every status and risk, with a payment each and the search index over them. */
function version27(): Database.Database {
  const db = new Database(path.join(tempDir(), 'v27.sqlite'));
  migrate(db, 27);
  const addr = db.prepare("INSERT INTO addresses (id, address, script_key, state) VALUES (?, ?, 0, 'used')");
  const inv = db.prepare(`INSERT INTO invoices (id, status, amount_sats, label, userdata, address_id, created_at, expires_at, confirmations_required,
    tolerance_bp, monitoring_ms, paid_sats, confirmed_sats, updated_at, zero_conf_risk, paid_at, confirmed_at)
    VALUES (?, ?, 1000, ?, ?, ?, ?, ?, ?, 0, 86400000, 0, 0, ?, ?, ?, ?)`);
  for (let i = 1; i <= N; i++) {
    addr.run(i, `addr${i}`);
    const status = INVOICE_STATUSES[i % INVOICE_STATUSES.length]!;
    inv.run(`inv${i}`, status, `label ${i % 13}`, `order-${i}`, i, T + i, T + i + 900_000, (i % 6) + 1, T + i, ZERO_CONF_RISKS[i % ZERO_CONF_RISKS.length]!,
      i % 2 ? T + i : null, i % 4 === 1 ? T + i + 1 : null);
  }
  return db;
}

const attached = (db: Database.Database): string[] =>
  db.prepare("SELECT type || ' ' || name || ' ' || sql FROM sqlite_master WHERE tbl_name = 'invoices' AND type <> 'table' AND sql IS NOT NULL ORDER BY name").pluck().all() as string[];
const tableBytes = (db: Database.Database): number => db.prepare("SELECT SUM(payload) FROM dbstat WHERE name = 'invoices'").pluck().get() as number;
const read = (db: Database.Database): Record<string, unknown>[] =>
  (db.prepare(`SELECT ${INVOICE_COLUMNS} FROM invoices i ORDER BY seq`).all() as Record<string, unknown>[]).map(({ status_code: _s, zero_conf_code: _z, ...r }) => r);

describe('migration 028 (invoice codes)', () => {
  it('keeps every invoice as read, with its indexes, triggers and references, in fewer bytes', () => {
    const db = version27();
    const before = read(db);
    const was = attached(db);
    const counts = { maxima: db.prepare('SELECT * FROM invoice_maxima').all(), quarters: db.prepare('SELECT * FROM invoice_quarters ORDER BY quarter').all() };
    const bytes = tableBytes(db);
    expect(migrate(db, 28)).toBe(28);
    expect(read(db)).toEqual(before);
    expect(attached(db)).toEqual(was);
    expect({ maxima: db.prepare('SELECT * FROM invoice_maxima').all(), quarters: db.prepare('SELECT * FROM invoice_quarters ORDER BY quarter').all() }).toEqual(counts);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare("SELECT name, hidden FROM pragma_table_xinfo('invoices') WHERE name IN ('status', 'zero_conf_risk') ORDER BY name").all()).toEqual([
      { name: 'status', hidden: 2 },
      { name: 'zero_conf_risk', hidden: 2 },
    ]);
    // Every row's words of 6 to 9 bytes became codes of at most one byte.
    expect(tableBytes(db)).toBeLessThan(bytes - N * 10);
    // The search index and the status index still answer.
    const match = trigramQuery('order-697')!;
    expect(db.prepare('SELECT s.rowid FROM invoices_search s WHERE invoices_search MATCH ?').pluck().all(match)).toEqual([697]);
    const unpaid = db.prepare(`SELECT COUNT(*) FROM invoices WHERE ${statusIs('status', "'unpaid'", 'unpaid')}`).pluck().get();
    expect(unpaid).toBe(before.filter((r) => r.status === 'unpaid').length);
    db.close();
  });

  it("reads each writer's code back as its word, and refuses a code outside the list", () => {
    const db = version27();
    migrate(db);
    const insert = db.prepare(`INSERT INTO invoices (id, status_code, zero_conf_code, amount_sats, address_id, created_at, expires_at,
      confirmations_required, tolerance_bp, monitoring_ms, updated_at) VALUES (?, ?, ?, 1, 1, 0, 0, 1, 0, 0, 0)`);
    for (const s of INVOICE_STATUSES) {
      insert.run(`s-${s}`, statusCode(s), 0);
      expect(db.prepare('SELECT status FROM invoices WHERE id = ?').pluck().get(`s-${s}`)).toBe(s);
      expect(db.prepare(`SELECT ${statusCodeOf('?')}`).pluck().get(s)).toBe(STATUS_CODE[s]);
    }
    for (const r of ZERO_CONF_RISKS) {
      insert.run(`r-${r}`, 2, zeroConfCode(r));
      expect(db.prepare('SELECT zero_conf_risk FROM invoices WHERE id = ?').pluck().get(`r-${r}`)).toBe(r);
    }
    expect(Object.keys(STATUS_CODE).sort()).toEqual([...INVOICE_STATUSES].sort());
    expect(Object.keys(ZERO_CONF_CODE).sort()).toEqual([...ZERO_CONF_RISKS].sort());
    const n = db.prepare('SELECT COUNT(*) FROM invoices').pluck().get();
    expect(() => insert.run('bad-status', INVOICE_STATUSES.length, 0)).toThrow(/CHECK constraint failed/);
    expect(() => insert.run('bad-risk', 2, ZERO_CONF_RISKS.length)).toThrow(/CHECK constraint failed/);
    expect(() => db.prepare("UPDATE invoices SET status = 'paid' WHERE id = 's-unpaid'").run()).toThrow(/generated column/);
    expect(() => statusCode('bogus')).toThrow(/not an invoice status/);
    expect(() => zeroConfCode('maybe')).toThrow(/not a zero-confirmation risk/);
    expect(db.prepare('SELECT COUNT(*) FROM invoices').pluck().get()).toBe(n);
    db.close();
  });
});
