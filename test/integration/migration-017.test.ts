/**
 * Migration 017 (src/node/store/migrations/017-packed-bodies.ts) upgrades a database written by migrations 001–016:
 * every notification and every stored request body is kept as it was (text), with its indexes and references, and is
 * sent and shown byte for byte as before; bodies are written as text and packed by the maintenance
 * (src/node/callbacks/body-packing.ts; src/node/store/event-data.ts, format 2), take about half the bytes, and read
 * back as exactly the text that was packed (docs/decisions/0096-packed-callback-bodies.md).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { migrate, openDatabase } from '../../src/node/store/sqlite.ts';
import { createTestDelivery, deliveryView, type DeliveryRow } from '../../src/node/callbacks/deliveries.ts';
import { bodyStore, lastSentBody, redactBody } from '../../src/node/callbacks/wire.ts';
import { packBody, registerPackedText, unpackText } from '../../src/node/store/event-data.ts';
import { packBodies } from '../../src/node/callbacks/body-packing.ts';
import { tempDir } from '../helpers/api.ts';

const SIGNED = JSON.stringify({
  amount: 1000, userdata: 'order-7 «café»', confirmations: 0, amount_btc: '0.00001000', address: 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080',
  created: '2026-01-01 00:00:00.005000', txhash: 'a'.repeat(64), agent: 'p',
});
const SENT = `{"signed_data": {"amount": 1000, "userdata": "order-7 \\u00abcaf\\u00e9\\u00bb", "confirmations": 0}, "signature": "${'b'.repeat(32)}"}`;

/** A version-16 store: a payment agent, one test notification delivered once, its sent body, and an event notification. */
function version16(file: string): Database.Database {
  const db = new Database(file);
  migrate(db, 16);
  registerPackedText(db);
  db.prepare(`INSERT INTO agents (id, name, url, token, thresholds, format, retry_delays, timeout_s, enabled_at, created_at)
    VALUES ('agt_p', 'p', 'http://x', 'tok-tok-tok', '[0]', 'bitcoinmonitor', '[1]', 10, 0, 0)`).run();
  db.prepare("INSERT INTO events (id, type, data, created_at) VALUES (1, 'invoice.created', '{}', 5)").run();
  const note = db.prepare('INSERT INTO notifications (id, agent_id, payment_id, threshold, event_id, body, created_at, public_id) VALUES (?, ?, NULL, NULL, ?, ?, ?, ?)');
  note.run(1, 'agt_p', null, SIGNED, 5, crypto.randomBytes(12));
  note.run(2, 'agt_p', 1, null, 6, crypto.randomBytes(12));
  db.prepare("INSERT INTO deliveries (id, notification_id, test, state, attempts, created_at, ended_at, agent_id) VALUES (?, 1, 1, 'SUCCESS', 1, 5, 6, 'agt_p')").run('dlv_' + '1'.repeat(24));
  db.prepare('INSERT INTO sent_bodies (id, sha256, body) VALUES (1, ?, ?)').run(crypto.createHash('sha256').update(SENT).digest(), SENT);
  db.prepare("INSERT INTO attempts (delivery_id, at, duration_ms, http_status, request_headers, body_id) VALUES (?, 6, 3, 200, '[]', 1)").run('dlv_' + '1'.repeat(24));
  return db;
}

/** The indexes migration 018 drops (test/integration/migration-018.test.ts). */
const DROPPED_BY_018 = /notifications_kept_body|notifications_not_payment/;
const objects = (d: Database.Database, table: string): string[] =>
  (d.prepare("SELECT type || ' ' || name AS n FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ? ORDER BY n").all(table) as { n: string }[]).map((r) => r.n);
const views = (d: Database.Database) =>
  (d.prepare('SELECT * FROM deliveries ORDER BY id').all() as DeliveryRow[]).map((row) => deliveryView(d, row));

describe('migration 017 (packed callback bodies)', () => {
  it('upgrades a version-16 database: every body kept as the text it was, shown and resent byte for byte', () => {
    const file = path.join(tempDir(), 'v16.sqlite');
    const old = version16(file);
    const before = {
      notifications: old.prepare('SELECT * FROM notifications ORDER BY id').all(),
      bodies: old.prepare('SELECT * FROM sent_bodies ORDER BY id').all(),
      views: views(old),
      objects: [...objects(old, 'notifications'), ...objects(old, 'sent_bodies')],
    };
    expect(before.views[0]!.request_body).toBe(redactBody(SENT));
    expect(lastSentBody(old, 1)).toBe(SENT);
    old.close();

    const db = openDatabase(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
      expect(db.prepare('SELECT * FROM notifications ORDER BY id').all()).toEqual(before.notifications);
      expect(db.prepare('SELECT * FROM sent_bodies ORDER BY id').all()).toEqual(before.bodies);
      expect(db.prepare('SELECT typeof(body) FROM sent_bodies').pluck().get()).toBe('text');
      expect([...objects(db, 'notifications'), ...objects(db, 'sent_bodies')]).toEqual(before.objects.filter((o) => !DROPPED_BY_018.test(o)));
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      expect(views(db)).toEqual(before.views);
      expect(lastSentBody(db, 1)).toBe(SENT);
      // References still hold: an attempt cannot name a body that is not there, nor a notification an agent.
      expect(() => db.prepare("INSERT INTO attempts (delivery_id, at, duration_ms, body_id) VALUES (?, 7, 1, 99)").run('dlv_' + '1'.repeat(24))).toThrow(/FOREIGN KEY/);
      expect(() => db.prepare("INSERT INTO notifications (agent_id, created_at, public_id) VALUES ('agt_nope', 1, x'00')").run()).toThrow(/FOREIGN KEY/);
    } finally {
      db.close();
    }
  });

  it('bodies are written as text and packed by maintenance, read back as exactly the text, a sent body found again by its text', async () => {
    const db = openDatabase(path.join(tempDir(), 'new.sqlite'));
    try {
      db.prepare(`INSERT INTO agents (id, name, url, token, thresholds, format, retry_delays, timeout_s, enabled_at, created_at)
        VALUES ('agt_p', 'p', 'http://x', 'tok-tok-tok', '[0]', 'bitcoinmonitor', '[1]', 10, 0, 0)`).run();
      const d = createTestDelivery(db, 'agt_p', 'regtest', 1_760_000_000_000);
      const kind = (table: string, id: number): string => db.prepare(`SELECT typeof(body) FROM ${table} WHERE id = ?`).pluck().get(id) as string;
      expect(kind('notifications', d.notification_id)).toBe('text');
      const text = db.prepare('SELECT body_text(body) FROM notifications WHERE id = ?').pluck().get(d.notification_id) as string;
      expect(JSON.parse(text)).toMatchObject({ userdata: 'satdesk-test', amount: 0 });

      const store = bodyStore(db);
      const id = store(SENT);
      expect(store(SENT)).toBe(id); // the same text is stored once
      expect(kind('sent_bodies', id)).toBe('text');

      // The maintenance pass packs both, a batch per transaction, and walks past them next time.
      await packBodies(db, (fn) => db.transaction(fn)(), 1);
      expect([kind('notifications', d.notification_id), kind('sent_bodies', id)]).toEqual(['blob', 'blob']);
      expect(db.prepare('SELECT body_text(body) FROM notifications WHERE id = ?').pluck().get(d.notification_id)).toBe(text);
      const row = db.prepare('SELECT body FROM sent_bodies WHERE id = ?').get(id) as { body: Buffer };
      expect(unpackText(row.body)).toBe(SENT);
      expect(row.body.length).toBeLessThan(Buffer.byteLength(SENT));
      expect(store(SENT)).toBe(id); // found again by the digest of its text
      expect(await packBodies(db, (fn) => db.transaction(fn)())).toBe(0);
      expect(lastSentBody(db, d.notification_id)).toBeNull(); // no attempt names it: nothing else changed
      // A payment body of the usual shape takes about half its text, or less.
      expect(packBody(SIGNED).length).toBeLessThan(Buffer.byteLength(SIGNED) * 0.6);
      expect(unpackText(packBody(SIGNED))).toBe(SIGNED);
    } finally {
      db.close();
    }
  });
});
