/**
 * Migration 014 (src/node/store/migrations/014-lean-outbox.ts) upgrades a database written by migrations 001–013
 * (rows written at 012 and carried through 013):
 * every notification is kept with its references; the public id a receiver saw before the upgrade is the one it
 * sees after, byte for byte, now stored as its 12 bytes; an id the app did not make stays the text it was; the
 * rebuilt table keeps its indexes and gains the one retention walks; stored request bodies keep their ids and are
 * found by their digest, now its 32 bytes.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { migrate, openDatabase } from '../../src/node/store/sqlite.ts';
import { deliveryView, type DeliveryRow } from '../../src/node/callbacks/deliveries.ts';
import { bodyStore, publicId } from '../../src/node/callbacks/wire.ts';
import { tempDir } from '../helpers/api.ts';

const plan = (db: Database.Database, sql: string): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');

describe('migration 014 (lean outbox)', () => {
  it('upgrades a version-13 database: every notification kept, every public id sent as before', () => {
    const file = path.join(tempDir(), 'v13.sqlite');
    const version = MIGRATIONS.find((m) => m.name === 'lean-outbox')!.version;
    const old = new Database(file);
    migrate(old, 12);
    old.prepare("INSERT INTO addresses (id, address, scripthash, script_hex, origin, state, created_at) VALUES (1, 'a1', ?, '00', 'static', 'in_use', 1)").run('1'.repeat(64));
    old.prepare(`INSERT INTO invoices (id, status, amount_sats, address_id, address, created_at, expires_at, confirmations_required, tolerance_bp,
      monitoring_ms, updated_at) VALUES ('inv1', 'paid', 1000, 1, 'a1', 1, 2, 1, 0, 0, 1)`).run();
    old.prepare("INSERT INTO payments (id, txid, address_id, address, sats, invoice_id, height, first_seen, verified, plan_done) VALUES (1, ?, 1, 'a1', 1000, 'inv1', 100, 5, 1, 1)").run('a'.repeat(64));
    old.prepare(`INSERT INTO agents (id, name, url, token, thresholds, format, retry_delays, timeout_s, enabled_at, created_at)
      VALUES ('agt_p', 'p', 'http://x', 'tok-tok-tok', '[0, 6]', 'bitcoinmonitor', '[1]', 10, 0, 0), ('agt_e', 'e', 'http://x', 'tok-tok-tok', '[]', 'events', '[1]', 10, 0, 0)`).run();
    old.prepare("INSERT INTO events (id, type, invoice_id, data, created_at) VALUES (1, 'invoice.paid', 'inv1', ?, 5)").run(JSON.stringify({ invoice: { id: 'inv1' } }));
    const signed = JSON.stringify({ amount: 1000, userdata: '', confirmations: 0, amount_btc: '0.00001000', address: 'a1', created: '1970-01-01 00:00:00.005000', txhash: 'a'.repeat(64), agent: 'p' });
    const note = old.prepare('INSERT INTO notifications (id, agent_id, payment_id, threshold, event_id, body, created_at, public_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const ids = Array.from({ length: 4 }, () => `ntf_${crypto.randomBytes(12).toString('hex')}`);
    note.run(1, 'agt_p', 1, 0, null, signed, 5, ids[0]); // delivered, in the log
    note.run(2, 'agt_p', 1, 6, null, null, 6, ids[1]); // a planning marker whose log was pruned
    note.run(3, 'agt_e', null, null, 1, null, 7, ids[2]); // an event notification
    note.run(4, 'agt_p', null, null, null, '{"test":1}', 8, ids[3]); // a test callback
    note.run(5, 'agt_e', null, null, null, '{"x":1}', 9, 'ntf_1'); // not an id the app makes: kept as it is
    note.run(6, 'agt_e', null, null, null, '{"x":2}', 9, 'ntf_ABCDEF0123456789ABCDEF01'); // upper case: not ours either
    const dl = old.prepare("INSERT INTO deliveries (id, notification_id, state, attempts, created_at, ended_at, agent_id) VALUES (?, ?, 'SUCCESS', 1, 5, 6, ?)");
    dl.run('dlv_' + '1'.repeat(24), 1, 'agt_p');
    dl.run('dlv_' + '3'.repeat(24), 3, 'agt_e');
    dl.run('dlv_' + '4'.repeat(24), 4, 'agt_p');
    // The bytes sent, stored once per distinct body by digest; one digest written by hand, not as the app writes it.
    const bodies = ['{"signed_data": 1}', '{"id": "evt_1"}', '{"test": 1}'];
    const digest = (b: string): string => crypto.createHash('sha256').update(b).digest('hex');
    old.prepare('INSERT INTO sent_bodies (id, sha256, body) VALUES (1, ?, ?), (2, ?, ?), (3, ?, ?)').run(digest(bodies[0]!), bodies[0], digest(bodies[1]!), bodies[1], 'odd', bodies[2]);
    const at = old.prepare("INSERT INTO attempts (delivery_id, at, duration_ms, http_status, request_headers, body_id) VALUES (?, 6, 3, 200, '[]', ?)");
    at.run('dlv_' + '1'.repeat(24), 1);
    at.run('dlv_' + '3'.repeat(24), 2);
    at.run('dlv_' + '4'.repeat(24), 3);
    const attempts = old.prepare('SELECT * FROM attempts ORDER BY id').all();
    migrate(old, version - 1);
    // The version before sent the stored text as it was.
    const before = (old.prepare('SELECT n.public_id FROM deliveries d JOIN notifications n ON n.id = d.notification_id ORDER BY d.id').pluck().all() as string[]);
    expect(before).toEqual([ids[0], ids[2], ids[3]]);
    const seen = (db: Database.Database): string[] =>
      (db.prepare('SELECT * FROM deliveries ORDER BY id').all() as DeliveryRow[]).map((d) => deliveryView(db, d).notification_id);
    const others = old.prepare('SELECT id, agent_id, payment_id, threshold, event_id, body, created_at FROM notifications ORDER BY id');
    const rows = others.all();
    const indexes = (db: Database.Database): string[] =>
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notifications' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    const indexesBefore = indexes(old);
    old.close();

    const db = openDatabase(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
      expect(db.prepare('SELECT id, agent_id, payment_id, threshold, event_id, body, created_at FROM notifications ORDER BY id').all()).toEqual(rows);
      expect(db.pragma('foreign_key_check')).toEqual([]);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      // What receivers saw (X-Satdesk-Notification, the API's notification_id) is what they see now.
      expect(seen(db)).toEqual(before);
      const stored = db.prepare('SELECT public_id, typeof(public_id) AS t FROM notifications ORDER BY id').all() as { public_id: Buffer | string; t: string }[];
      expect(stored.map((r) => r.t)).toEqual(['blob', 'blob', 'blob', 'blob', 'text', 'text']);
      expect(stored.map((r) => publicId(r.public_id))).toEqual([...ids, 'ntf_1', 'ntf_ABCDEF0123456789ABCDEF01']);
      for (const r of stored.slice(0, 4)) expect((r.public_id as Buffer).length).toBe(12);
      // A delivery still cannot name a notification that is not there; a notification still not an agent that is not.
      expect(() => db.prepare("INSERT INTO deliveries (id, notification_id, state, attempts, created_at, agent_id) VALUES ('dlv_x', 99, 'PENDING', 0, 1, 'agt_p')").run()).toThrow(/FOREIGN KEY/);
      expect(() => db.prepare("INSERT INTO notifications (agent_id, created_at, public_id) VALUES ('agt_nope', 1, x'00')").run()).toThrow(/FOREIGN KEY/);
      // The rebuilt table keeps its indexes, and the planner's probe and retention's walk use them.
      // 018 drops the two indexes retention no longer walks (test/integration/migration-018.test.ts).
      const dropped = ['notifications_kept_body', 'notifications_not_payment'];
      expect(indexes(db)).toEqual([...indexesBefore.filter((n) => !dropped.includes(n)), 'notifications_marker'].sort());
      expect(plan(db, "SELECT 1 FROM notifications WHERE agent_id = 'agt_p' AND payment_id = 1 AND threshold = 6")).toMatch(/INDEX notifications_payment/);
      expect(plan(db, 'SELECT id FROM notifications WHERE payment_id IS NOT NULL AND body IS NULL AND id > 0 ORDER BY id LIMIT 10')).toMatch(/INDEX notifications_marker \(id>\?\)/);
      expect(db.prepare('SELECT id FROM notifications WHERE payment_id IS NOT NULL AND body IS NULL').all()).toEqual([{ id: 2 }]);

      // Every stored body kept under its id, its digest now the 32 bytes; the attempts still point at them, and the
      // same bytes sent again are found, not stored twice.
      expect(db.prepare('SELECT * FROM attempts ORDER BY id').all()).toEqual(attempts);
      const kept = db.prepare('SELECT id, sha256, body FROM sent_bodies ORDER BY id').all() as { id: number; sha256: Buffer; body: string }[];
      expect(kept.map((r) => [r.id, r.sha256.toString('hex'), r.body])).toEqual(bodies.map((b, i) => [i + 1, digest(b), b]));
      const store = bodyStore(db);
      expect(bodies.map((b) => store(b))).toEqual([1, 2, 3]);
      expect(store('{"new": 1}')).toBe(4);
      expect(plan(db, 'SELECT id FROM sent_bodies WHERE sha256 = x\'00\'')).toMatch(/INDEX sqlite_autoindex_sent_bodies_1 \(sha256=\?\)/);
    } finally {
      db.close();
    }
  });
});
