/**
 * Retention (docs/security.md#retention): events, the delivery log, stored request bodies, notification copies and
 * idempotency keys are pruned on a schedule sysinfo shows — never anything pending, never a notification's planning
 * marker, and a resend after pruning still sends the exact bytes first sent.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { addPayment, callbackFixtures, setTip, until } from '../helpers/callbacks.ts';
import { insertEvent } from '../../src/node/events.ts';

const DAY = 86_400_000;
const { setup, receiver } = callbackFixtures();

const count = (t: Awaited<ReturnType<typeof setup>>, sql: string): number => (t.app.db.prepare(sql).get() as { n: number }).n;

/** Opens the event stream at `last` on a raw socket and collects what arrives. */
function stream(port: number, token: string, last: number): { text: () => string; close(): void } {
  const s = net.connect(port, '127.0.0.1');
  let text = '';
  s.on('connect', () => s.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nLast-Event-ID: ${last}\r\n\r\n`));
  s.on('data', (d: Buffer) => (text += d.toString()));
  s.on('error', () => {});
  return { text: () => text, close: () => s.destroy() };
}

describe('pruning on a schedule', () => {
  it('old events go, except the newest and any a pending delivery needs; a stale resume gets reload; a resend after pruning sends the same bytes', async () => {
    const t = await setup();
    const ok = await receiver();
    // The first attempt fails and the retry waits: that delivery is pending while pruning runs.
    const flaky = await receiver((n) => ({ status: n === 1 ? 503 : 200 }));
    const okAgent = (await t.api.post('/agents', { name: 'ok', url: ok.url, format: 'events' })).body;
    await t.api.post('/agents', { name: 'flaky', url: flaky.url, format: 'events', retry: { delays_s: [8] } });
    await t.api.post('/invoices', { amount_sats: 5000, userdata: 'keep-me' });
    await ok.waitFor(1);
    await flaky.waitFor(1);
    await until(async () => (await t.api.get(`/deliveries?agent=${okAgent.id}`)).body.deliveries[0]?.state === 'SUCCESS', 'ok SUCCESS');
    await until(() => count(t, "SELECT COUNT(*) AS n FROM deliveries WHERE state = 'RETRY'") === 1, 'flaky RETRY');
    const pendingEvent = (t.app.db.prepare("SELECT n.event_id AS id FROM notifications n JOIN deliveries d ON d.notification_id = n.id WHERE d.state = 'RETRY'").get() as { id: number }).id;
    t.app.service.write(() => {
      for (let h = 1; h <= 20; h++) insertEvent(t.app.db, 'chain.tip', null, null, { height: h, hash: h.toString(16).padStart(64, '0') }, Date.now());
    });
    const newest = t.app.service.bus.lastId;
    expect(newest).toBeGreaterThan(20);

    // Events kept a week, the delivery log 90 days: ten days on, the events go and the log stays.
    expect((await t.api.call('PATCH', '/settings', { events_days: 7 })).status).toBe(200);
    const report = await t.app.maintenance.runNow(Date.now() + 10 * DAY);
    // Everything older than 7 days went, but the newest event and the one the pending delivery needs.
    expect(report.events).toBe(newest - 2);
    const left = (t.app.db.prepare('SELECT id FROM events ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    expect(left).toEqual([pendingEvent, newest].sort((a, b) => a - b));
    const info = (await t.api.get('/sysinfo')).body.maintenance;
    expect(info).toMatchObject({ events_days: 7, delivery_log_days: 90, idempotency_hours: 24, events_pruned_through: newest - 1, every_s: 3600 });
    expect(info.last_removed.events).toBe(newest - 2);
    expect(info.last_run_at).not.toBeNull();
    expect(info.next_run_at).not.toBeNull();

    // The pending delivery's retry still goes out, with the same body as its first attempt.
    await flaky.waitFor(2, 20_000);
    expect(flaky.requests[1]!.body).toBe(flaky.requests[0]!.body);
    expect(JSON.parse(flaky.requests[1]!.body).invoice.userdata).toBe('keep-me');

    // A stream resuming from before the pruned range is told to reload; one at the floor replays normally.
    const stale = stream(t.app.api!.port, t.app.token, 3);
    await until(() => stale.text().includes('event: reload'), 'reload');
    stale.close();
    const fine = stream(t.app.api!.port, t.app.token, newest - 1);
    await until(() => fine.text().includes(`id: ${newest}\n`), 'replay at the floor');
    expect(fine.text()).not.toContain('event: reload');
    fine.close();

    // Resend of a notification whose event is gone: the stored bytes, exactly.
    const okDelivery = (await t.api.get(`/deliveries?agent=${okAgent.id}&state=SUCCESS`)).body.deliveries.at(-1);
    const re = await t.api.post(`/deliveries/${okDelivery.id}/redeliver`);
    expect(re.status).toBe(201);
    await ok.waitFor(2);
    expect(ok.requests[1]!.body).toBe(ok.requests[0]!.body);
    expect(ok.requests[1]!.headers['x-satdesk-notification']).toBe(ok.requests[0]!.headers['x-satdesk-notification']);
    // Nothing was planned twice by all this.
    expect(count(t, 'SELECT COUNT(*) AS n FROM notifications')).toBe(2);
  });

  it('the delivery log and notification copies go after delivery_log_days; planning markers and pending deliveries stay', async () => {
    const t = await setup();
    const ok = await receiver();
    await t.api.post('/agents', { name: 'ok', url: ok.url, thresholds: [0, 6] });
    const dead = (await t.api.post('/agents', { name: 'dead', url: 'http://127.0.0.1:9/x', retry: { delays_s: [3600] } })).body;
    const inv = (await t.api.post('/invoices', { amount_sats: 1000 })).body;
    addPayment(t.app.service, { address: inv.address, sats: 1000, height: 100, tip: 100 });
    await t.api.post(`/agents/${dead.id}/test`);
    await until(() => count(t, "SELECT COUNT(*) AS n FROM deliveries WHERE state = 'SUCCESS'") === 1, 'ok delivered');
    await until(() => count(t, "SELECT COUNT(*) AS n FROM deliveries WHERE state = 'RETRY'") === 2, 'dead waits');
    // Every body sent follows from its notification's text (docs/decisions/0110-sent-bodies-from-notifications.md):
    // none is kept a second time. Stored bodies going with their last attempt: the batches test below.
    expect(count(t, 'SELECT COUNT(*) AS n FROM attempts')).toBe(3);
    expect(count(t, 'SELECT COUNT(*) AS n FROM attempts WHERE body_id IS NULL')).toBe(3);
    expect(count(t, 'SELECT COUNT(*) AS n FROM sent_bodies')).toBe(0);

    const text = (): number => count(t, "SELECT COUNT(*) AS n FROM notifications WHERE typeof(body) = 'text'");
    expect(text()).toBeGreaterThan(0); // written as text where they are made
    const r = await t.app.maintenance.runNow(Date.now() + 200 * DAY);
    expect(text()).toBe(0); // and packed by the run
    expect(r.deliveries).toBe(1);
    expect(count(t, 'SELECT COUNT(*) AS n FROM deliveries')).toBe(2); // both pending ones
    expect(count(t, "SELECT COUNT(*) AS n FROM deliveries WHERE state = 'RETRY'")).toBe(2);
    expect(count(t, 'SELECT COUNT(*) AS n FROM attempts')).toBe(2);
    expect(r.bodies).toBe(0);
    // The ok agent's notification keeps its row (a planning marker) without its copy of the body.
    expect(count(t, 'SELECT COUNT(*) AS n FROM notifications WHERE payment_id IS NOT NULL AND body IS NULL')).toBe(1);
    expect(count(t, 'SELECT COUNT(*) AS n FROM notifications WHERE payment_id IS NOT NULL')).toBe(2);
    // More blocks plan the 6-confirmation callback, and only that: threshold 0 is not planned again.
    setTip(t.app.service, 105);
    await ok.waitFor(2);
    expect(ok.requests.map((q) => JSON.parse(q.body).signed_data.confirmations)).toEqual([0, 6]);
    expect(count(t, "SELECT COUNT(*) AS n FROM notifications WHERE threshold = 0 AND agent_id <> '" + dead.id + "'")).toBe(1);
  });

  it('idempotency keys older than 24 h go even when no invoice is due; events_days is a setting', async () => {
    const t = await setup();
    const a = await t.api.post('/invoices', { amount_sats: 1000 }, { 'Idempotency-Key': 'order-1' });
    expect(a.status).toBe(201);
    expect(count(t, 'SELECT COUNT(*) AS n FROM idempotency_keys')).toBe(1);
    const r = await t.app.maintenance.runNow(Date.now() + 25 * 3_600_000);
    expect(r.idempotency_keys).toBe(1);
    expect(count(t, 'SELECT COUNT(*) AS n FROM idempotency_keys')).toBe(0);
    const p = await t.api.call('PATCH', '/settings', { events_days: 7 });
    expect(p.status).toBe(200);
    expect(p.body.events_days).toBe(7);
    expect((await t.api.get('/sysinfo')).body.maintenance.events_days).toBe(7);
    expect((await t.api.call('PATCH', '/settings', { events_days: 0 })).status).toBe(400);
  });

  it('a long log goes in batches: a body another batch still uses stays until its last attempt goes', async () => {
    const t = await setup();
    const agent = (await t.api.post('/agents', { name: 'shop', url: 'http://127.0.0.1:9/cb' })).body.id as string;
    const db = t.app.db;
    const N = 2_500; // more than two batches of the delivery log
    const ended = Date.now() - 100 * DAY;
    t.app.service.write(() => {
      db.exec(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${N})
        INSERT INTO notifications (id, agent_id, payment_id, threshold, body, created_at, public_id) SELECT i, '${agent}', NULL, NULL, 'test ' || i, ${ended}, 'ntf_' || i FROM s`);
      // Ended in id order, so batch k holds deliveries k·1000+1…; one body is sent by the first and the last of them.
      db.exec(`INSERT INTO deliveries (id, notification_id, test, state, attempts, created_at, ended_at, agent_id)
        SELECT printf('dlv_%05d', id), id, 1, 'SUCCESS', 1, ${ended}, ${ended} + id, '${agent}' FROM notifications`);
      db.exec(`INSERT INTO sent_bodies (id, sha256, body) SELECT id, unhex(printf('%064x', id)), body FROM notifications WHERE id BETWEEN 2 AND ${N - 1}`);
      db.exec(`INSERT INTO attempts (delivery_id, at, duration_ms, http_status, body_id)
        SELECT printf('dlv_%05d', id), ${ended}, 5, 200, CASE WHEN id = ${N} THEN 2 ELSE MAX(id, 2) END FROM notifications`);
    });
    const kept = { deliveries: count(t, 'SELECT COUNT(*) AS n FROM deliveries'), bodies: count(t, 'SELECT COUNT(*) AS n FROM sent_bodies') };
    expect(kept).toEqual({ deliveries: N, bodies: N - 2 });
    // A first run whose cutoff reaches the first 2,000: body 2 stays, the last delivery still sent it.
    const first = await t.app.maintenance.runNow(ended + 2_001 + t.app.service.settings.delivery_log_days * DAY);
    expect(first).toMatchObject({ deliveries: 2_000, notifications: 2_000, bodies: 1_998 });
    expect(count(t, 'SELECT COUNT(*) AS n FROM sent_bodies WHERE id = 2')).toBe(1);
    const r = await t.app.maintenance.runNow();
    expect(r).toMatchObject({ deliveries: N - 2_000, notifications: N - 2_000, bodies: N - 2 - 1_998 });
    expect(count(t, 'SELECT COUNT(*) AS n FROM deliveries') + count(t, 'SELECT COUNT(*) AS n FROM attempts')).toBe(0);
    expect(count(t, 'SELECT COUNT(*) AS n FROM sent_bodies') + count(t, 'SELECT COUNT(*) AS n FROM notifications')).toBe(0);
  });
});
