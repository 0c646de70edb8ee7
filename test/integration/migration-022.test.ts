/**
 * Migration 022 (src/node/store/migrations/022-live-indexes.ts, docs/decisions/0101-live-indexes.md): four indexes
 * over every invoice or address ever made give way. The upgrade keeps every row, counts the paid and confirmed invoices
 * per quarter hour as they were, and the triggers keep those counts equal to a count over the invoices through every
 * insert, change and delete. The lookups by address state and the watch window still run on indexes, now only over
 * the rows they can find.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/node/store/sqlite.ts';
import { addressInState, IN_WINDOW, scriptKey } from '../../src/node/store/chain-sql.ts';
import { settledCounts } from '../../src/node/books/report.ts';
import { WATCHED_SQL } from '../../src/node/watcher/watched.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';
import { tempDir } from '../helpers/api.ts';
import { statusCodeOf } from '../../src/node/store/codes.ts';

const DAY = 86_400_000;
const Q = 900_000;
const T = 1_760_000_400_000; // a quarter hour after midnight UTC
const STATES = ['free', 'in_use', 'used', 'removed', 'used'] as const;
/** [status, paid_at, confirmed_at] of the store's invoices, one per address. */
const INVOICES: [string, number | null, number | null][] = [
  ['unpaid', null, null],
  ['paid', T + 10, null],
  ['confirmed', T + 20, T + Q + 5],
  ['confirmed', T + Q - 1, T + DAY + 7],
  ['expired', null, null],
];

const objects = (db: Database.Database): string[] =>
  db.prepare("SELECT type || ' ' || name FROM sqlite_master WHERE tbl_name IN ('invoices', 'addresses', 'invoice_quarters') AND type <> 'table' ORDER BY 1").pluck().all() as string[];
const plan = (db: Database.Database, sql: string, args: Record<string, unknown> = {}): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(args) as { detail: string }[]).map((r) => r.detail).join(' | ');

/** A version-21 store: an address in each state and an invoice on each, some paid, some confirmed. */
function version21(): Database.Database {
  const db = new Database(path.join(tempDir(), 'v21.sqlite'));
  migrate(db, 21);
  const addr = db.prepare("INSERT INTO addresses (id, address, script_key, origin, state, created_at) VALUES (?, ?, ?, 'static', ?, ?)");
  const inv = db.prepare(`INSERT INTO invoices (id, status, amount_sats, label, address_id, created_at, expires_at, confirmations_required,
      tolerance_bp, monitoring_ms, paid_sats, confirmed_sats, updated_at, paid_at, confirmed_at) VALUES (?, ?, 1000, '', ?, ?, ?, 1, 0, ?, 0, 0, ?, ?, ?)`);
  STATES.forEach((state, i) => {
    const a = madeUpAddress('m022', i);
    addr.run(i + 1, a.address, scriptKey(a.scripthash), state, T);
    const [status, paid, confirmed] = INVOICES[i]!;
    inv.run(`inv${i}`, status, i + 1, T, T + Q, DAY, T, paid, confirmed);
  });
  return db;
}

/** The counts a walk over every invoice gives, for the ranges the report asks (whole days) and odd ones. */
function exact(db: Database.Database, start: number, end: number): { paid: number; confirmed: number } {
  const n = (col: string): number => db.prepare(`SELECT COUNT(*) FROM invoices WHERE ${col} >= ? AND ${col} < ?`).pluck().get(start, end) as number;
  return { paid: n('paid_at'), confirmed: n('confirmed_at') };
}
const RANGES: [number, number][] = [
  [T - Q, T + DAY],
  [T, T + Q],
  [T + Q, T + 2 * DAY],
  [T - 2 * DAY, T + 3 * DAY],
  [T + 5, T + Q + 6], // not on quarter hours: counted over the invoices
];
const agree = (db: Database.Database): void => {
  for (const [s, e] of RANGES) expect(settledCounts(db, s, e), `${s - T}..${e - T}`).toEqual(exact(db, s, e));
};

describe('migration 022 (live indexes)', () => {
  it('keeps every row, counts paid and confirmed invoices per quarter hour and swaps the four indexes', () => {
    const db = version21();
    const invoices = db.prepare('SELECT * FROM invoices ORDER BY seq').all();
    const addresses = db.prepare('SELECT * FROM addresses ORDER BY id').all();
    const was = objects(db);
    expect(migrate(db, 22)).toBe(22);
    expect(db.prepare('SELECT * FROM invoices ORDER BY seq').all()).toEqual(invoices);
    expect(db.prepare('SELECT * FROM addresses ORDER BY id').all()).toEqual(addresses);
    const gone = ['index addresses_state', 'index invoices_paid_at', 'index invoices_confirmed_at'];
    const added = ['index addresses_removed', ...['insert', 'paid', 'confirmed', 'delete'].map((t) => `trigger invoices_quarters_${t}`)];
    expect(objects(db)).toEqual([...was.filter((n) => !gone.includes(n)), ...added].sort());
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'invoices_watch_window'").pluck().get()).toMatch(/WHERE status NOT IN \('confirmed', 'cancelled'\)$/);
    expect(db.prepare('SELECT quarter - ? AS q, paid, confirmed FROM invoice_quarters ORDER BY quarter').all(T / Q)).toEqual([
      { q: 0, paid: 3, confirmed: 0 },
      { q: 1, paid: 0, confirmed: 1 },
      { q: DAY / Q, paid: 0, confirmed: 1 },
    ]);
    agree(db);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('keeps the counts equal to a count over the invoices through inserts, changes and deletes', () => {
    const db = version21();
    migrate(db);
    const a = madeUpAddress('m022', 9);
    db.prepare("INSERT INTO addresses (id, address, script_key, state) VALUES (10, ?, ?, 'used')").run(a.address, scriptKey(a.scripthash));
    db.prepare(`INSERT INTO invoices (id, status_code, amount_sats, label, address_id, created_at, expires_at, confirmations_required, tolerance_bp,
        monitoring_ms, paid_sats, confirmed_sats, updated_at, paid_at, confirmed_at) VALUES ('late', ${statusCodeOf("'confirmed'")}, 1, '', 10, ?, ?, 1, 0, 0, 0, 0, ?, ?, ?)`)
      .run(T, T, T, T + 3 * Q, T + 4 * Q);
    agree(db);
    const set = db.prepare('UPDATE invoices SET paid_at = ?, confirmed_at = ? WHERE id = ?');
    set.run(T + DAY, T + DAY + 1, 'inv1'); // paid again a day later (a reorg and a new payment), then confirmed
    agree(db);
    set.run(null, null, 'inv2'); // back to unpaid
    agree(db);
    set.run(T + 20, T + Q + 5, 'inv2'); // and paid as before: the same quarters again
    agree(db);
    db.prepare('UPDATE invoices SET label = ?, paid_at = paid_at WHERE id = ?').run('renamed', 'inv3'); // no change of time: no count moves
    agree(db);
    db.prepare("DELETE FROM invoices WHERE id IN ('inv3', 'late')").run();
    agree(db);
    expect(db.prepare('SELECT SUM(paid), SUM(confirmed) FROM invoice_quarters').raw().get()).toEqual([2, 2]); // inv1 and inv2 are left
    db.close();
  });

  it('finds addresses by state and open invoices on indexes that hold only what they can find', () => {
    const db = version21();
    migrate(db);
    for (const state of ['free', 'in_use'] as const) {
      expect(plan(db, `SELECT id FROM addresses WHERE origin = 'static' AND ${addressInState('addresses', state)} ORDER BY id LIMIT 1`)).toMatch(/INDEX addresses_watched \(state=\?\)/);
      expect(db.prepare(`SELECT id FROM addresses WHERE ${addressInState('addresses', state)}`).pluck().all()).toEqual([state === 'free' ? 1 : 2]);
    }
    expect(plan(db, `SELECT id FROM addresses WHERE id < 10 AND ${addressInState('addresses', 'removed')} ORDER BY id DESC`)).toMatch(/INDEX addresses_removed/);
    expect(db.prepare(`SELECT id FROM addresses WHERE ${addressInState('addresses', 'used')} ORDER BY id`).pluck().all()).toEqual([3, 5]);
    expect(() => addressInState('addresses', "free' OR 1 = 1 --" as 'free')).toThrow(/no address state/);
    expect(plan(db, `SELECT i.seq FROM invoices i WHERE ${IN_WINDOW}`, { now: T })).toMatch(/INDEX invoices_watch_window/);
    expect(WATCHED_SQL.some((sql) => sql.includes(IN_WINDOW))).toBe(true);
    // Inside its window: the unpaid, paid and expired invoice; the confirmed ones are not in the index at all.
    expect(db.prepare(`SELECT i.id FROM invoices i WHERE ${IN_WINDOW} ORDER BY seq`).pluck().all({ now: T })).toEqual(['inv0', 'inv1', 'inv4']);
    expect(db.prepare('SELECT COUNT(*) FROM invoices INDEXED BY invoices_watch_window WHERE status NOT IN (\'confirmed\', \'cancelled\') AND expires_at + monitoring_ms > 0').pluck().get()).toBe(3);
    expect(plan(db, 'SELECT SUM(paid) FROM invoice_quarters WHERE quarter >= 0 AND quarter < 96')).toMatch(/INTEGER PRIMARY KEY/);
    db.close();
  });
});
