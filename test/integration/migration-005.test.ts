/**
 * Migration 005 (src/node/store/migrations/005-chain-trust.ts) upgrades a database written by migrations 001–004:
 * every row kept, open invoices that asked for 0 confirmations under the old "0 = no cap" meaning now need 1 and
 * say why, settled ones untouched, and the new columns have their defaults.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { migrate } from '../../src/node/store/sqlite.ts';
import { tempDir } from '../helpers/api.ts';

describe('migration 005 (chain trust)', () => {
  it('upgrades a version-4 database', () => {
    const db = new Database(path.join(tempDir(), 'v4.sqlite'));
    migrate(db, 4);
    const now = 1_750_000_000_000;
    const addr = db.prepare(
      `INSERT INTO addresses (address, scripthash, script_hex, origin, state, created_at) VALUES (?, ?, '00', 'static', 'in_use', ?)`,
    );
    const inv = db.prepare(
      `INSERT INTO invoices (id, status, amount_sats, address_id, address, created_at, expires_at, confirmations_required, tolerance_bp,
         monitoring_ms, zero_conf_limit_sats, updated_at) VALUES (?, ?, 1000, ?, ?, ?, ?, ?, 0, 0, 0, ?)`,
    );
    const rows: [string, string, number][] = [
      ['open0', 'unpaid', 0],
      ['paid0', 'paid', 0],
      ['done0', 'confirmed', 0],
      ['open2', 'unpaid', 2],
    ];
    rows.forEach(([id, status, conf], i) => {
      const a = Number(addr.run(`addr${i}`, String(i).padStart(64, "0"), now).lastInsertRowid);
      inv.run(id, status, a, `addr${i}`, now, now + 900_000, conf, now);
    });
    db.prepare(
      `INSERT INTO payments (txid, address_id, address, sats, invoice_id, first_seen) VALUES ('1111111111111111111111111111111111111111111111111111111111111111', 1, 'addr0', 1000, 'open0', ?)`,
    ).run(now);

    expect(migrate(db)).toBe(MIGRATIONS.at(-1)!.version);

    const got = db
      .prepare('SELECT id, confirmations_required AS req, confirmations_requested AS asked, confirmations_note AS note, zero_conf_risk AS risk, taken_tip_height AS tip FROM invoices ORDER BY seq')
      .all() as { id: string; req: number; asked: number; note: string | null; risk: string; tip: number | null }[];
    expect(got.map((r) => [r.id, r.req, r.asked, r.note !== null, r.risk, r.tip])).toEqual([
      ['open0', 1, 0, true, 'refuse', null],
      ['paid0', 1, 0, true, 'refuse', null],
      ['done0', 0, 0, false, 'refuse', null],
      ['open2', 2, 2, false, 'refuse', null],
    ]);
    expect(got[0]!.note).toMatch(/needs 1 confirmation/);
    expect(db.prepare('SELECT unconfirmed_parent, mempool_servers FROM payments').get()).toEqual({ unconfirmed_parent: 0, mempool_servers: 1 });
    // Stored as a code since migration 028 (src/node/store/codes.ts): one outside the list is refused.
    expect(() => db.prepare("UPDATE invoices SET zero_conf_code = 3 WHERE id = 'open0'").run()).toThrow(/CHECK constraint/);
    db.close();
  });
});
