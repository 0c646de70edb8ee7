/**
 * Migration 030 (src/node/store/migrations/030-short-userdata-index.ts, docs/decisions/0111-short-userdata-index.md):
 * the exact-match index of order references keeps only those of one or two characters, the only ones a search too
 * short for the trigram index can equal. After the upgrade such a search still finds them on the index, a longer
 * term still finds any reference through the trigram index, and the index is a small part of what it was.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/node/store/sqlite.ts';
import { searchInvoices } from '../../src/node/search.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_760_000_000_000;
const N = 900;
/** Order references of one and two characters (counted as SQLite and the search count them: code points). */
const SHORT = ['7', 'AB', 'ü€', '🙂'];

function version29(): Database.Database {
  const db = new Database(path.join(tempDir(), 'v29.sqlite'));
  migrate(db, 29);
  const addr = db.prepare("INSERT INTO addresses (id, address, script_key, state) VALUES (?, ?, 0, 'used')");
  const inv = db.prepare(`INSERT INTO invoices (id, status_code, amount_sats, label, userdata, address_id, created_at, expires_at, confirmations_required,
    tolerance_bp, monitoring_ms, updated_at) VALUES (?, 2, 1000, ?, ?, ?, ?, ?, 1, 0, 86400000, ?)`);
  for (let i = 1; i <= N; i++) {
    addr.run(i, `addr${i}`);
    const userdata = i % 100 === 0 ? SHORT[(i / 100) % SHORT.length]! : i % 3 === 0 ? '' : `order-${i}`;
    inv.run(`inv${i}`, `label ${i}`, userdata, i, T + i, T + i + 900_000, T + i);
  }
  return db;
}

const indexBytes = (db: Database.Database, name: string): number => db.prepare('SELECT SUM(payload) FROM dbstat WHERE name = ?').pluck().get(name) as number;
const found = (db: Database.Database, term: string): string[] =>
  searchInvoices(db as never, { term, before: Number.MAX_SAFE_INTEGER, limit: 50 }).map((r) => r.id);

describe('migration 030 (short userdata index)', () => {
  it('keeps only references of one or two characters, and a short search still finds them on the index', () => {
    const db = version29();
    const expected = new Map(SHORT.map((s) => [s, found(db, s)]));
    expect([...expected.values()].flat().length).toBe(N / 100);
    const before = indexBytes(db, 'invoices_userdata');
    expect(migrate(db)).toBeGreaterThanOrEqual(30);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'invoices' AND type = 'index' AND name LIKE 'invoices_userdata%'").pluck().all();
    expect(indexes).toEqual(['invoices_userdata_short']);
    expect(db.prepare("SELECT COUNT(*) FROM invoices INDEXED BY invoices_userdata_short WHERE length(userdata) BETWEEN 1 AND 2").pluck().get()).toBe(N / 100);
    expect(indexBytes(db, 'invoices_userdata_short')).toBeLessThan(before / 4);
    for (const [term, ids] of expected) expect(found(db, term)).toEqual(ids);
    // A longer reference is found through the trigram index, as before.
    expect(found(db, 'order-451')).toEqual(['inv451']);
    expect(found(db, 'x')).toEqual([]);
    // The short search reads the index, not the table.
    const plan = db
      .prepare("EXPLAIN QUERY PLAN SELECT seq FROM invoices i WHERE i.userdata = ? AND length(i.userdata) BETWEEN 1 AND 2 AND i.seq < ? ORDER BY i.seq DESC")
      .all('7', 1e9) as { detail: string }[];
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING (COVERING )?INDEX invoices_userdata_short/);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});
