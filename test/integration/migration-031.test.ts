/**
 * Migration 031 (src/node/store/migrations/031-payment-time-seen.ts, docs/decisions/0112-payment-time-seen.md): a
 * payment's time is stored only where it is not its first-seen moment, and read as before through a generated
 * column. The upgrade keeps every payment as read (a row without a time gets the fallback migration 004 gave), with
 * its indexes and triggers, in fewer bytes; the books' range over payments still walks the time index; a write of
 * `time` itself is refused.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/node/store/sqlite.ts';
import { PAYMENT_COLUMNS } from '../../src/node/store/chain-sql.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_760_000_000_000;
const N = 900;

/** A version-30 store: N payments; most timed when first seen, every 10th by an earlier block, every 97th without a time. */
function version30(): Database.Database {
  const db = new Database(path.join(tempDir(), 'v30.sqlite'));
  migrate(db, 30);
  const addr = db.prepare("INSERT INTO addresses (id, address, script_key, state) VALUES (?, ?, 0, 'used')");
  const pay = db.prepare('INSERT INTO payments (txid, address_id, sats, height, block_time, first_seen, time, state_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  for (let i = 1; i <= N; i++) {
    addr.run(i, `addr${i}`);
    const txid = Buffer.alloc(32, 9);
    txid.writeUInt32BE(i * 2654435761 % 2 ** 32, 0);
    const seen = T + i * 60_000;
    const block = i % 2 ? seen - 3_600_000 : null;
    const time = i % 97 === 0 ? null : i % 10 === 0 ? block ?? seen - 1 : seen;
    pay.run(txid, i, 1000 + i, block === null ? 0 : 100 + i, block, seen, time, i % 7 === 0 ? 1 : 0);
  }
  return db;
}

const attached = (db: Database.Database): string[] =>
  db.prepare("SELECT type || ' ' || name || ' ' || sql FROM sqlite_master WHERE tbl_name = 'payments' AND type <> 'table' AND sql IS NOT NULL ORDER BY name").pluck().all() as string[];
const tableBytes = (db: Database.Database): number => db.prepare("SELECT SUM(payload) FROM dbstat WHERE name = 'payments'").pluck().get() as number;
const read = (db: Database.Database): Record<string, unknown>[] => db.prepare(`SELECT ${PAYMENT_COLUMNS} FROM payments p ORDER BY p.id`).all() as Record<string, unknown>[];
/** The books' range over payments (src/node/books/rows.ts), in time order. */
const RANGE = 'SELECT p.id, p.time FROM payments p WHERE p.time >= @lo AND p.time < @end ORDER BY p.time, p.id';

describe('migration 031 (payment time seen)', () => {
  it('keeps every payment as read, with its indexes and triggers, in fewer bytes', () => {
    const db = version30();
    const before = read(db).map((r) => {
      if (r.time !== null) return r;
      const b = r.block_time as number | null;
      return { ...r, time: b !== null && b < (r.first_seen as number) ? b : r.first_seen };
    });
    expect(before.filter((r) => r.time !== r.first_seen).length).toBeGreaterThan(N / 20);
    const was = attached(db);
    const [lo, end] = [T + 100 * 60_000, T + 700 * 60_000];
    const range = before
      .filter((r) => (r.time as number) >= lo && (r.time as number) < end)
      .map((r) => ({ id: r.id, time: r.time }))
      .sort((a, b) => (a.time as number) - (b.time as number) || (a.id as number) - (b.id as number));
    const bytes = tableBytes(db);
    expect(migrate(db)).toBeGreaterThanOrEqual(31);
    expect(read(db)).toEqual(before);
    expect(attached(db)).toEqual(was);
    expect(db.prepare(RANGE).all({ lo, end })).toEqual(range);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${RANGE}`).all({ lo: 0, end: 1 }) as { detail: string }[]).map((p) => p.detail).join('\n');
    expect(plan).toMatch(/USING INDEX payments_time/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
    // Only the times that differ from first_seen are stored.
    expect(db.prepare('SELECT COUNT(*) FROM payments WHERE time_own IS NOT NULL').pluck().get()).toBe(before.filter((r) => r.time !== r.first_seen).length);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare("SELECT hidden FROM pragma_table_xinfo('payments') WHERE name = 'time'").pluck().get()).toBe(2);
    expect(tableBytes(db)).toBeLessThan(bytes - N * 4);
    db.close();
  });

  it('reads a new payment\'s time from first_seen or its own, and refuses a write of time itself', () => {
    const db = version30();
    migrate(db);
    db.prepare("INSERT INTO addresses (id, address, script_key, state) VALUES (?, 'addr-new', 0, 'used')").run(N + 1);
    const insert = db.prepare('INSERT INTO payments (txid, address_id, sats, first_seen, time_own) VALUES (randomblob(32), ?, 1, ?, ?) RETURNING time');
    expect(insert.get(N + 1, T, null)).toEqual({ time: T });
    expect(insert.get(N + 1, T, T - 5)).toEqual({ time: T - 5 });
    const n = db.prepare('SELECT COUNT(*) FROM payments').pluck().get();
    expect(() => db.prepare('INSERT INTO payments (txid, address_id, sats, first_seen, time) VALUES (randomblob(32), ?, 1, ?, ?)').run(N + 1, T, T)).toThrow(/generated column/);
    expect(db.prepare('SELECT COUNT(*) FROM payments').pluck().get()).toBe(n);
    db.close();
  });
});
