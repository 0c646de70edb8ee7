/**
 * Migration 012 (src/node/store/migrations/012-lean-events.ts) upgrades a database written by migrations 001–011:
 * every event is kept with its text and its references; events written after it are packed (a fifth of the text)
 * and read back as the same bytes; the indexes made again without the rowid column still serve their queries; the
 * public ids of notifications are kept without their index.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { migrate, openDatabase } from '../../src/node/store/sqlite.ts';
import { addressInState, invoiceIdOf, statusIs } from '../../src/node/store/chain-sql.ts';
import { packEventData, unpackText } from '../../src/node/store/event-data.ts';
import { insertEvent, eventsAfter } from '../../src/node/events.ts';
import { tempDir } from '../helpers/api.ts';

const plan = (db: Database.Database, sql: string): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');

describe('migration 012 (lean events)', () => {
  it('upgrades a version-11 database: every event kept as it was, new ones packed and read back byte for byte', () => {
    const file = path.join(tempDir(), 'v11.sqlite');
    const old = new Database(file);
    migrate(old, 11);
    old.prepare("INSERT INTO addresses (id, address, scripthash, script_hex, origin, state, created_at) VALUES (1, 'a1', ?, '00', 'static', 'in_use', 1)").run('1'.repeat(64));
    old.prepare(`INSERT INTO invoices (id, status, amount_sats, address_id, address, created_at, expires_at, confirmations_required, tolerance_bp,
      monitoring_ms, updated_at) VALUES ('inv1', 'unpaid', 1000, 1, 'a1', 1, 2, 1, 0, 0, 1)`).run();
    old.prepare("INSERT INTO agents (id, name, url, token, thresholds, format, retry_delays, timeout_s, enabled_at, created_at) VALUES ('agt_e', 'e', 'http://x', 't', '[]', 'events', '[1]', 10, 0, 0)").run();
    const texts = [JSON.stringify({ invoice: { id: 'inv1', label: 'Café ☕' } }), JSON.stringify({ height: 7, hash: 'ab'.repeat(32) })];
    old.prepare("INSERT INTO events (id, type, invoice_id, data, created_at) VALUES (1, 'invoice.created', 'inv1', ?, 5)").run(texts[0]);
    old.prepare("INSERT INTO events (id, type, invoice_id, data, created_at) VALUES (2, 'chain.tip', NULL, ?, 6)").run(texts[1]);
    old.prepare("INSERT INTO notifications (id, agent_id, event_id, created_at, public_id) VALUES (1, 'agt_e', 1, 5, 'ntf_1')").run();
    const before = old.prepare('SELECT * FROM events ORDER BY id').all();
    // Events name their invoice by its row number since 033 (docs/decisions/0114-event-invoice-seq.md).
    const EVENTS = `SELECT id, type, ${invoiceIdOf('events')} AS invoice_id, payment_id, data, created_at FROM events ORDER BY id`;
    old.close();

    const db = openDatabase(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
      expect(db.prepare(EVENTS).all()).toEqual(before);
      expect(db.pragma('foreign_key_check')).toEqual([]);
      // The reference from a notification to its event still holds: the event cannot go while the notification names it.
      expect(() => db.prepare('DELETE FROM events WHERE id = 1').run()).toThrow(/FOREIGN KEY/);

      const id = insertEvent(db, 'invoice.created', 'inv1', null, { invoice: { id: 'inv1', label: 'Café ☕', amount_sats: 1000 } } as never, 7);
      const stored = db.prepare('SELECT data, typeof(data) AS t FROM events WHERE id = ?').get(id) as { data: Buffer; t: string };
      expect(stored.t).toBe('blob');
      const text = JSON.stringify({ invoice: { id: 'inv1', label: 'Café ☕', amount_sats: 1000 } });
      expect(unpackText(stored.data)).toBe(text);
      expect(db.prepare('SELECT event_json(data) FROM events WHERE id = ?').pluck().get(id)).toBe(text);
      expect(eventsAfter(db, 0).map((e) => e.data)).toEqual([JSON.parse(texts[0]!), JSON.parse(texts[1]!), JSON.parse(text)]);

      // Indexes without the rowid column order by it all the same (not covering since 028: the status is read from its code).
      expect(plan(db, `SELECT seq FROM invoices WHERE ${statusIs('status', "'unpaid'", 'unpaid')} AND seq < 10 ORDER BY seq DESC LIMIT 5`)).toMatch(/INDEX invoices_status \(status=\? AND rowid<\?\)/);
      expect(plan(db, 'SELECT seq FROM invoices WHERE address_id = 1 ORDER BY seq DESC')).toMatch(/COVERING INDEX invoices_address \(address_id=\?\)/);
      expect(plan(db, `SELECT id FROM addresses WHERE ${addressInState('addresses', 'free')} ORDER BY id LIMIT 1`)).toMatch(/INDEX addresses_watched/);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'notifications_public_id'").get()).toBeUndefined();
      expect(db.prepare('SELECT public_id FROM notifications').all()).toEqual([{ public_id: 'ntf_1' }]);
    } finally {
      db.close();
    }
  });

  it('packs a typical invoice event to well under half its text, and refuses a format it does not know', () => {
    const invoice = {
      id: 'x08vq10j7z4xrjv3', status: 'paid', flags: [], amount_sats: 15818, amount_btc: '0.00015818', fiat: null, label: 'Espresso', userdata: 'order-1099999',
      address: 'bcrt1q2zglce2a904vgwewer7akj5wzkc2lup7y6jm8s', bip21: 'bitcoin:bcrt1q2zglce2a904vgwewer7akj5wzkc2lup7y6jm8s?amount=0.00015818&label=Espresso',
      created_at: '2023-12-24T04:34:51.120Z', expires_at: '2023-12-24T04:49:51.120Z', confirmations_required: 1, confirmations_requested: 1,
      confirmations_note: null, tolerance_pct: 0, paid_sats: 15818, confirmed_sats: 0, missing_sats: 0, overpaid_sats: 0, due_sats: 15818,
      refunded_sats: 0, refundable_sats: 15818, net_sats: 15818, paid_at: '2023-12-24T04:39:10.203Z', confirmed_at: null, note: '', refund_policy: '',
      refunds: [], payments: [{ txid: '7f6c872e020f9bc6cc66b3faca4eb3cfa98bc300d1d6eb3a411bf4c9082569f8', sats: 15818, height: 0, confirmations: 0,
        time: '2023-12-24T04:39:10.203Z', rbf: false, counted: true, state: 'counted', fiat: null }],
      tip: null, items: null, till_id: null, desk_note: '',
    };
    const text = JSON.stringify({ invoice, from: 'unpaid', to: 'paid' });
    const packed = packEventData(text);
    expect(packed.length).toBeLessThan(text.length / 3);
    expect(unpackText(packed)).toBe(text);
    expect(() => unpackText(Buffer.from([9, 1, 2]))).toThrow(/unknown format/);
  });
});
