/**
 * Migration 007 (callback identity) upgrades a database written by migrations 1–6 and keeps every row: each
 * existing notification gets its own random notification id, old attempts (logged before bodies were stored) still
 * show, and an event notification planned before keeps the copy of its body it had.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../../src/node/store/sqlite.ts';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { deliveryView, type DeliveryRow } from '../../src/node/callbacks/deliveries.ts';
import { publicId } from '../../src/node/callbacks/wire.ts';
import { registerPackedText } from '../../src/node/store/event-data.ts';
import { tempDir } from '../helpers/api.ts';

describe('migration 007-callback-identity', () => {
  it('upgrades a version-6 database and keeps every notification, delivery and attempt', () => {
    const db = new Database(path.join(tempDir(), 'v6.sqlite'));
    db.pragma('foreign_keys = ON');
    registerPackedText(db); // as openDatabase does: readers decode bodies with body_text (migration 017)
    migrate(db, 6);
    db.prepare(
      `INSERT INTO agents (id, name, url, token, thresholds, format, retry_delays, timeout_s, enabled_at, created_at)
       VALUES ('agt_a', 'shop', 'http://127.0.0.1:9/', 'tok-tok-tok', '[0]', 'bitcoinmonitor', '[30]', 10, 0, 0),
              ('agt_e', 'ev', 'http://127.0.0.1:9/', 'tok-tok-tok', '[]', 'events', '[30]', 10, 0, 0)`,
    ).run();
    const signed = JSON.stringify({ amount: 1000, userdata: 'o-1', confirmations: 0, amount_btc: '0.00001000', address: 'bcrt1qx', created: '2026-01-01 00:00:00.000000', txhash: 'a'.repeat(64), agent: 'shop' });
    const eventBody = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', created_at: '2026-01-01T00:00:00.000Z', invoice: { id: 'i1' } });
    const insN = db.prepare('INSERT INTO notifications (agent_id, body, created_at) VALUES (?, ?, 0)');
    for (let i = 0; i < 50; i++) insN.run('agt_a', signed);
    insN.run('agt_e', eventBody);
    db.prepare("INSERT INTO deliveries (id, notification_id, state, attempts, created_at, ended_at, agent_id) VALUES ('dlv_000000000000000000000001', 1, 'SUCCESS', 1, 0, 5, 'agt_a')").run();
    db.prepare("INSERT INTO deliveries (id, notification_id, state, attempts, created_at, ended_at, agent_id) VALUES ('dlv_000000000000000000000002', 51, 'SUCCESS', 1, 0, 5, 'agt_e')").run();
    db.prepare("INSERT INTO attempts (delivery_id, at, duration_ms, http_status, error, response_excerpt) VALUES ('dlv_000000000000000000000001', 1, 4, 200, NULL, 'ok'), ('dlv_000000000000000000000002', 1, 4, 200, NULL, 'ok')").run();

    expect(migrate(db)).toBe(MIGRATIONS.at(-1)!.version);
    const ids = (db.prepare('SELECT public_id FROM notifications ORDER BY id').all() as { public_id: Buffer | string }[]).map((r) => publicId(r.public_id));
    expect(ids).toHaveLength(51);
    for (const id of ids) expect(id).toMatch(/^ntf_[0-9a-f]{24}$/);
    expect(new Set(ids).size).toBe(51);
    expect(db.prepare('SELECT COUNT(*) AS n FROM attempts').get()).toEqual({ n: 2 });

    const view = deliveryView(db, db.prepare("SELECT * FROM deliveries WHERE id = 'dlv_000000000000000000000001'").get() as DeliveryRow);
    expect(view.notification_id).toBe(ids[0]);
    expect(view.attempts).toEqual([expect.objectContaining({ http_status: 200, response_excerpt: 'ok', request_headers: null })]);
    expect(view.request_body).toContain('"userdata": "o-1"');
    expect(view.request_body).toMatch(/"signature": "withheld"\}$/);
    const ev = deliveryView(db, db.prepare("SELECT * FROM deliveries WHERE id = 'dlv_000000000000000000000002'").get() as DeliveryRow);
    expect(ev.request_body).toBe(eventBody);
    expect(ev.event).toBe('invoice.paid');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });
});
