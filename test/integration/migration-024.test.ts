/**
 * Migration 024 (src/node/store/migrations/024-sparse-status.ts, docs/decisions/0103-sparse-status-index.md):
 * invoices_status keeps only the statuses a store has few of. The upgrade keeps every row; a list by any status finds
 * the same invoices as before, newest first: the few through the index, confirmed and expired by walking row numbers.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/node/store/sqlite.ts';
import { scriptKey, statusIs } from '../../src/node/store/chain-sql.ts';
import { INVOICE_STATUSES } from '../../src/core/vocabulary.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_760_000_000_000;

const plan = (db: Database.Database, sql: string, args: unknown[]): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail).join(' | ');

/** A version-23 store: 7 × 40 invoices, the statuses in turn. */
function version23(): Database.Database {
  const db = new Database(path.join(tempDir(), 'v23.sqlite'));
  migrate(db, 23);
  const addr = db.prepare("INSERT INTO addresses (id, address, script_key, origin, state, created_at) VALUES (?, ?, ?, 'static', 'used', ?)");
  const inv = db.prepare(`INSERT INTO invoices (id, status, amount_sats, label, address_id, created_at, expires_at, confirmations_required,
      tolerance_bp, monitoring_ms, paid_sats, confirmed_sats, updated_at) VALUES (?, ?, 1000, '', ?, ?, ?, 1, 0, 0, 0, 0, ?)`);
  for (let i = 0; i < 7 * 40; i++) {
    const a = madeUpAddress('m024', i);
    addr.run(i + 1, a.address, scriptKey(a.scripthash), T);
    inv.run(`inv${i}`, INVOICE_STATUSES[i % 7], i + 1, T + i, T + i + 900_000, T + i);
  }
  return db;
}

describe('migration 024 (sparse status index)', () => {
  it('keeps every row, and a page by any status finds what a walk over every invoice finds', () => {
    const db = version23();
    const before = db.prepare('SELECT * FROM invoices ORDER BY seq').all();
    expect(migrate(db, 24)).toBe(24);
    expect(db.prepare('SELECT * FROM invoices ORDER BY seq').all()).toEqual(before);
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'invoices_status'").pluck().get()).toMatch(
      /ON invoices \(status\) WHERE status NOT IN \('confirmed', 'expired'\)$/,
    );
    expect(db.prepare("SELECT COUNT(*) FROM invoices INDEXED BY invoices_status WHERE status NOT IN ('confirmed', 'expired')").pluck().get()).toBe(5 * 40);
    for (const status of INVOICE_STATUSES) {
      const page = `SELECT seq FROM invoices WHERE seq < ? AND ${statusIs('status', '?', status)} ORDER BY seq DESC LIMIT 25`;
      const truth = db.prepare('SELECT seq FROM invoices NOT INDEXED WHERE seq < ? AND status = ? ORDER BY seq DESC LIMIT 25').pluck();
      for (const cursor of [1e9, 200, 13]) expect(db.prepare(page).pluck().all(cursor, status), `${status} < ${cursor}`).toEqual(truth.all(cursor, status));
      const how = plan(db, page, [1e9, status]);
      if (status === 'confirmed' || status === 'expired') expect(how, status).toMatch(/^SEARCH invoices USING INTEGER PRIMARY KEY \(rowid<\?\)$/);
      else expect(how, status).toMatch(/USING COVERING INDEX invoices_status \(status=\? AND rowid<\?\)/);
      expect(how, status).not.toMatch(/TEMP B-TREE/);
    }
    db.close();
  });
});
