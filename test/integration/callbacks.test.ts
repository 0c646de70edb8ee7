/**
 * docs/spec/notifications.md: agents, thresholds, signed HTTP delivery with retries, the notification log. Real HTTP receivers on
 * loopback, the real sender inside a real app. The chain watcher had not landed when these were written, so chain
 * facts (payments, tip) are written through `service.write` exactly as the watcher writes them.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addPayment, callbackFixtures, confirm, randomTxid, setTip, until } from '../helpers/callbacks.ts';
import type { App } from '../../src/node/app.ts';
import { pruneDeliveries } from '../../src/node/callbacks/deliveries.ts';
import { sentBody, unpackHeaders } from '../../src/node/callbacks/wire.ts';
import { testCallbackAddress } from '../../src/core/test-callback.ts';
import { notificationCount, openDeliveries, planDone, plannedThresholds } from '../helpers/outbox.ts';

const { setup, receiver, onCleanup } = callbackFixtures();

const md5 = (s: string): string => crypto.createHash('md5').update(s, 'utf8').digest('hex');
const hmac = (token: string, s: string): string => crypto.createHmac('sha256', token).update(s).digest('hex');

/** The documented check: HMAC over `<t>.<notification>.<delivery>.<test>.<raw body>`, a fresh t. */
function signedOk(headers: Record<string, unknown>, raw: string, token: string): boolean {
  const m = /^t=(\d+),v2=([0-9a-f]{64})$/.exec(String(headers['x-satdesk-signature']));
  if (!m || Math.abs(Number(m[1]) - Date.now() / 1000) > 60) return false;
  return m[2] === hmac(token, `${m[1]}.${headers['x-satdesk-notification']}.${headers['x-satdesk-delivery']}.${headers['x-satdesk-test']}.${raw}`);
}

/** Checks a bitcoinmonitor request as the seed's receiver would, plus the HMAC header; returns signed_data. */
function checkBitcoinmonitor(headers: Record<string, unknown>, raw: string, token: string): Record<string, any> {
  expect(headers['content-type']).toBe('application/json');
  expect(headers['x-satdesk-delivery']).toMatch(/^dlv_[0-9a-f]{24}$/);
  expect(headers['x-satdesk-notification']).toMatch(/^ntf_[0-9a-f]{24}$/);
  expect(headers['x-satdesk-test']).toMatch(/^[01]$/);
  expect(signedOk(headers, raw, token)).toBe(true);
  const body = JSON.parse(raw);
  expect(Object.keys(body)).toEqual(['signed_data', 'signature']);
  const d = body.signed_data;
  expect(Object.keys(d)).toEqual(['amount', 'userdata', 'confirmations', 'amount_btc', 'address', 'created', 'txhash', 'agent']);
  const sig = md5(d.address + d.agent + String(d.amount) + String(d.amount_btc) + String(d.confirmations) + d.created + String(d.userdata) + d.txhash + token);
  expect(body.signature).toBe(sig);
  return d;
}

async function invoice(t: Awaited<ReturnType<typeof setup>>, userdata = 'order-77', sats = 100_000) {
  const r = await t.api.post('/invoices', { amount_sats: sats, userdata, confirmations: 6 });
  expect(r.status).toBe(201);
  return r.body as { id: string; address: string };
}

function deliveries(app: App) {
  return app.service.db.prepare('SELECT * FROM deliveries ORDER BY created_at, rowid').all() as any[];
}

describe('agents API', () => {
  it('creates, lists, patches, rotates and deletes agents with the documented shape', async () => {
    const t = await setup();
    const bad = await t.api.post('/agents', { name: 'shop', url: 'http://127.0.0.1:1/cb', color: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect(bad.body.error.message).toContain('unknown key "color"');
    expect((await t.api.post('/agents', { name: 'shop', url: 'ftp://x/' })).status).toBe(400);
    expect((await t.api.post('/agents', { name: 'shop', url: 'http://x/', thresholds: [1, 1] })).status).toBe(400);
    expect((await t.api.post('/agents', { name: 'shop', url: 'http://x/', token: 'short' })).status).toBe(400);
    expect((await t.api.post('/agents', { name: 'x', format: 'xmpp' })).status).toBe(400);

    const created = await t.api.post('/agents', { name: 'shop', url: 'http://127.0.0.1:9/cb' });
    expect(created.status).toBe(201);
    const a = created.body;
    expect(a).toMatchObject({
      name: 'shop',
      url: 'http://127.0.0.1:9/cb',
      thresholds: [0],
      format: 'bitcoinmonitor',
      retry: { delays_s: [30, 30, 30, 30, 30] },
      timeout_s: 10,
      enabled: true,
      addresses: null,
    });
    expect(a.token).toMatch(/^[0-9a-f]{32}$/);
    expect((await t.api.post('/agents', { name: 'shop', url: 'http://x/' })).status).toBe(400); // unique name

    const list = await t.api.get('/agents');
    expect(list.body.agents).toHaveLength(1);
    expect(list.body.agents[0].token).toBeUndefined();

    const patched = await t.api.call('PATCH', `/agents/${a.id}`, { thresholds: [6, 0], timeout_s: 5 });
    expect(patched.status).toBe(200);
    expect(patched.body.thresholds).toEqual([0, 6]);
    expect(patched.body.token).toBeUndefined();

    const rot = await t.api.post(`/agents/${a.id}/rotate-token`);
    expect(rot.status).toBe(200);
    expect(rot.body.token).toMatch(/^[0-9a-f]{32}$/);
    expect(rot.body.token).not.toBe(a.token);

    expect((await t.api.call('DELETE', `/agents/${a.id}`)).status).toBe(200);
    expect((await t.api.get('/agents')).body.agents).toHaveLength(0);
    expect((await t.api.call('PATCH', `/agents/${a.id}`, { enabled: false })).status).toBe(404);
    expect((await t.api.post('/agents', { name: 'shop', url: 'http://x/' })).status).toBe(201); // name freed
  });
});

describe('bitcoinmonitor callbacks', () => {
  it('thresholds [0, 6]: the 0 callback at once, the 6 callback after the sixth block, fields and signatures as the seed defines them', async () => {
    const t = await setup();
    const rx = await receiver();
    const token = 'test-token-0123';
    const agent = (await t.api.post('/agents', { name: 'shop', url: rx.url, thresholds: [0, 6], token })).body;
    const inv = await invoice(t);
    setTip(t.app.service, 200);
    // created = the transaction's time = min(first seen, block time)
    const blockTime = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const p = addPayment(t.app.service, { address: inv.address, sats: 122_678_000, blockTime });
    await rx.waitFor(1);
    const d0 = checkBitcoinmonitor(rx.requests[0]!.headers, rx.requests[0]!.body, token);
    expect(d0).toEqual({
      amount: 122678000,
      userdata: 'order-77',
      confirmations: 0,
      amount_btc: '1.22678000',
      address: inv.address,
      created: '2026-01-02 03:04:05.678000',
      txhash: p.txid,
      agent: 'shop',
    });
    // Mined at 201, then blocks up to 205: five confirmations, no second callback yet.
    confirm(t.app.service, p.id, 201, 201);
    for (let h = 202; h <= 205; h++) setTip(t.app.service, h);
    // The planner ran inside each of those writes: the payment is still climbing and only its 0 is planned.
    expect(plannedThresholds(t.app.db, agent.id, p.id)).toEqual([0]);
    expect(planDone(t.app.db, p.id)).toBe(0);
    expect(rx.requests).toHaveLength(1);
    setTip(t.app.service, 206);
    await rx.waitFor(2);
    const d6 = checkBitcoinmonitor(rx.requests[1]!.headers, rx.requests[1]!.body, token);
    expect(d6.confirmations).toBe(6);
    expect(d6.created).toBe('2026-01-02 03:04:05.678000');
    expect(rx.requests[1]!.headers['x-satdesk-delivery']).not.toBe(rx.requests[0]!.headers['x-satdesk-delivery']);
    await until(async () => (await t.api.get(`/deliveries?agent=${agent.id}`)).body.deliveries.every((d: any) => d.state === 'SUCCESS'), 'SUCCESS');
    const list = (await t.api.get(`/deliveries?agent=${agent.id}`)).body.deliveries;
    expect(list.map((d: any) => [d.threshold, d.state, d.txid, d.address])).toEqual([
      [6, 'SUCCESS', p.txid, inv.address],
      [0, 'SUCCESS', p.txid, inv.address],
    ]);
    expect(list[1].attempts).toHaveLength(1);
    expect(list[1].attempts[0]).toMatchObject({ http_status: 200, error: null, response_excerpt: 'ok' });
    // The log shows what was sent, byte for byte, but for the md5 (an offline oracle for the token).
    expect(list[1].request_body).toBe(rx.requests[0]!.body.replace(/"signature": "[0-9a-f]{32}"\}$/, '"signature": "withheld"}'));
    expect(JSON.stringify(list)).not.toContain(JSON.parse(rx.requests[0]!.body).signature);
    expect(list[1].notification_id).toBe(rx.requests[0]!.headers['x-satdesk-notification']);
    const sent = list[1].attempts[0].request_headers;
    expect(sent['X-Satdesk-Delivery']).toBe(list[1].id);
    expect(sent['X-Satdesk-Signature']).toMatch(/^t=\d+,v2=withheld$/);
    // More blocks plan nothing more: every threshold is planned, the payment is done, nothing is left to send.
    setTip(t.app.service, 230);
    expect(plannedThresholds(t.app.db, agent.id, p.id)).toEqual([0, 6]);
    expect(planDone(t.app.db, p.id)).toBe(1);
    expect(openDeliveries(t.app.db, agent.id)).toBe(0);
    expect(rx.requests).toHaveLength(2);
  });

  it('a payment first seen at 10 confirmations gets 0 then 6, the 6 only after the 0 ended; unattributed payments notify too', async () => {
    const t = await setup();
    const rx = await receiver(() => ({ delayMs: 150 }));
    await t.api.post('/agents', { name: 'shop', url: rx.url, thresholds: [6, 0], token: 'tok-tok-tok' });
    const addr = (await invoice(t)).address;
    const p = addPayment(t.app.service, { address: addr, sats: 5000, height: 91, tip: 100, unattributed: true });
    await rx.waitFor(2);
    const [a, b] = rx.requests;
    expect(JSON.parse(a!.body).signed_data.confirmations).toBe(0);
    expect(JSON.parse(b!.body).signed_data.confirmations).toBe(6);
    expect(b!.start).toBeGreaterThanOrEqual(a!.end);
    expect(JSON.parse(a!.body).signed_data).toMatchObject({ userdata: '', txhash: p.txid, address: addr });
  });

  it('never replays payments first seen before the agent; a threshold added later applies only to payments that had not reached it', async () => {
    const t = await setup();
    const rx = await receiver();
    const inv = await invoice(t);
    const old = addPayment(t.app.service, { address: inv.address, sats: 1000, tip: 300 });
    await new Promise((r) => setTimeout(r, 5));
    const agent = (await t.api.post('/agents', { name: 'shop', url: rx.url, thresholds: [0] })).body;
    // Creating the agent was a write: the planner ran and planned nothing for the older payment.
    expect(notificationCount(t.app.db, agent.id)).toBe(0);
    expect(rx.requests).toHaveLength(0);
    const inv2 = await invoice(t, 'order-2');
    const p = addPayment(t.app.service, { address: inv2.address, sats: 2000 });
    await rx.waitFor(1);
    confirm(t.app.service, p.id, 301, 303); // 3 confirmations
    // Add 2 (already reached) and 5 (not yet): only 5 will be sent.
    expect((await t.api.call('PATCH', `/agents/${agent.id}`, { thresholds: [0, 2, 5] })).status).toBe(200);
    setTip(t.app.service, 310);
    await rx.waitFor(2);
    expect(plannedThresholds(t.app.db, agent.id)).toEqual([0, 5]);
    await until(() => openDeliveries(t.app.db, agent.id) === 0, 'both deliveries to end');
    expect(rx.requests.map((r) => JSON.parse(r.body).signed_data.confirmations)).toEqual([0, 5]);
    expect(rx.requests.every((r) => JSON.parse(r.body).signed_data.txhash !== old.txid)).toBe(true);
    // Disabled then re-enabled: payments seen meanwhile are not replayed.
    await t.api.call('PATCH', `/agents/${agent.id}`, { enabled: false });
    const inv3 = await invoice(t, 'order-3');
    addPayment(t.app.service, { address: inv3.address, sats: 3000 });
    await t.api.call('PATCH', `/agents/${agent.id}`, { enabled: true });
    expect(notificationCount(t.app.db, agent.id)).toBe(2);
    expect(openDeliveries(t.app.db, agent.id)).toBe(0);
    expect(rx.requests).toHaveLength(2);
  });

  it('a receiver failing twice then succeeding sees three attempts with the configured spacing: RETRY, RETRY, SUCCESS', async () => {
    const t = await setup();
    const rx = await receiver((n) => ({ status: n <= 2 ? 500 : 200, body: n <= 2 ? 'boom' : 'ok' }));
    const agent = (await t.api.post('/agents', { name: 'shop', url: rx.url, retry: { delays_s: [1, 1] } })).body;
    const inv = await invoice(t);
    addPayment(t.app.service, { address: inv.address, sats: 1000 });
    const states: string[] = [];
    const poll = setInterval(() => {
      const d = deliveries(t.app)[0];
      if (d && states[states.length - 1] !== d.state) states.push(d.state);
    }, 10);
    onCleanup(() => clearInterval(poll));
    await rx.waitFor(3, 10_000);
    await until(() => deliveries(t.app)[0]?.state === 'SUCCESS', 'SUCCESS');
    const [r1, r2, r3] = rx.requests;
    expect(r2!.start - r1!.end).toBeGreaterThanOrEqual(950);
    expect(r3!.start - r2!.end).toBeGreaterThanOrEqual(950);
    expect(r2!.start - r1!.end).toBeLessThan(2500);
    expect(new Set(rx.requests.map((r) => r.headers['x-satdesk-delivery'])).size).toBe(1);
    expect(states.filter((s) => s !== 'PENDING')[0]).toBe('RETRY');
    const view = (await t.api.get(`/deliveries?agent=${agent.id}`)).body.deliveries[0];
    expect(view.state).toBe('SUCCESS');
    expect(view.attempts.map((a: any) => [a.state, a.http_status, a.response_excerpt])).toEqual([
      ['RETRY', 500, 'boom'],
      ['RETRY', 500, 'boom'],
      ['SUCCESS', 200, 'ok'],
    ]);
  });

  it('one that always fails ends in FAILURE after 6 attempts, with a delivery.failed event and the outbox count', async () => {
    const t = await setup();
    const rx = await receiver(() => ({ status: 503 }));
    const failed: any[] = [];
    const unsub = t.app.service.bus.subscribe((e) => {
      if (e.type === 'delivery.failed') failed.push(e.data);
    });
    onCleanup(unsub);
    await t.api.post('/agents', { name: 'shop', url: rx.url, retry: { delays_s: [0, 0, 0, 0, 0] } });
    const inv = await invoice(t);
    addPayment(t.app.service, { address: inv.address, sats: 1000 });
    await until(() => deliveries(t.app)[0]?.state === 'FAILURE', 'FAILURE');
    expect(rx.requests).toHaveLength(6);
    expect(deliveries(t.app)[0].attempts).toBe(6);
    await until(() => failed.length === 1, 'delivery.failed');
    expect(failed[0].delivery.state).toBe('FAILURE');
    expect((await t.api.get('/sysinfo')).body.outbox).toEqual({ pending: 0, retry: 0, failure: 1 });
    // FAILURE is final: nothing is left to send.
    expect(openDeliveries(t.app.db)).toBe(0);
    expect(rx.requests).toHaveLength(6);
  });

  it('does not follow redirects, counts a timeout as a failure, and signs each attempt with the current token', async () => {
    const t = await setup();
    const target = await receiver();
    const redirecting = await receiver(() => ({ status: 302, headers: { Location: target.url } }));
    const hanging = await receiver((n) => (n === 1 ? { hang: true } : {}));
    const svc = t.app.service;
    const a1 = (await t.api.post('/agents', { name: 'redirect', url: redirecting.url, retry: { delays_s: [0] } })).body;
    const a2 = (await t.api.post('/agents', { name: 'hang', url: hanging.url, timeout_s: 1, retry: { delays_s: [1] }, token: 'first-token' })).body;
    const inv = await invoice(t);
    addPayment(svc, { address: inv.address, sats: 1000 });
    await until(async () => (await t.api.get(`/deliveries?agent=${a1.id}`)).body.deliveries[0]?.state === 'FAILURE', 'redirect FAILURE');
    expect(redirecting.requests).toHaveLength(2);
    expect(target.requests).toHaveLength(0);
    const r1 = (await t.api.get(`/deliveries?agent=${a1.id}`)).body.deliveries[0];
    expect(r1.attempts.map((a: any) => a.http_status)).toEqual([302, 302]);

    // First attempt times out after 1 s; rotate the token while the retry waits.
    await hanging.waitFor(1);
    await until(async () => (await t.api.get(`/deliveries?agent=${a2.id}`)).body.deliveries[0]?.state === 'RETRY', 'RETRY after timeout');
    const rot = await t.api.post(`/agents/${a2.id}/rotate-token`, { token: 'second-token' });
    expect(rot.body.token).toBe('second-token');
    await hanging.waitFor(2);
    await until(async () => (await t.api.get(`/deliveries?agent=${a2.id}`)).body.deliveries[0]?.state === 'SUCCESS', 'SUCCESS after rotation');
    const d2 = (await t.api.get(`/deliveries?agent=${a2.id}`)).body.deliveries[0];
    expect(d2.attempts[0].error).toMatch(/timeout/);
    expect(d2.attempts[0].duration_ms).toBeGreaterThanOrEqual(900);
    expect(d2.attempts[0].duration_ms).toBeLessThan(3000);
    checkBitcoinmonitor(hanging.requests[0]!.headers, hanging.requests[0]!.body, 'first-token');
    checkBitcoinmonitor(hanging.requests[1]!.headers, hanging.requests[1]!.body, 'second-token');
    expect(hanging.requests[1]!.headers['x-satdesk-delivery']).toBe(hanging.requests[0]!.headers['x-satdesk-delivery']);
    // The log keeps what each attempt sent, not a body rebuilt with today's token.
    // Each body is rebuilt from the notification's text around the md5 it was signed with (no copy in sent_bodies).
    const stored = svc.db
      .prepare(
        `SELECT a.request_headers AS h, a.body_id, a.at, body_text(n.body) AS note FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
           JOIN notifications n ON n.id = d.notification_id WHERE a.delivery_id = ? ORDER BY a.id`,
      )
      .all(d2.id) as { h: string; body_id: number | null; at: number; note: string }[];
    expect(stored.map((r) => r.body_id)).toEqual([null, null]);
    expect(stored.map((r) => sentBody(r.h, null, r.note, false))).toEqual([hanging.requests[0]!.body, hanging.requests[1]!.body]);
    const ids = { notificationId: d2.notification_id, deliveryId: d2.id, test: false };
    // Every header as sent, each in order (src/node/callbacks/wire.ts packs them; unpacked they are the same pairs).
    for (const [i, r] of stored.entries()) {
      const sent = unpackHeaders(r.h, ids, r.at);
      expect(Object.fromEntries(sent.map(([k, v]) => [k.toLowerCase(), v]))).toEqual(
        Object.fromEntries(Object.entries(hanging.requests[i]!.headers).filter(([k]) => k === 'content-type' || k === 'user-agent' || k.startsWith('x-satdesk-'))),
      );
    }
    expect(stored.map((r) => Object.fromEntries(unpackHeaders(r.h, ids, r.at))['X-Satdesk-Signature'])).toEqual([
      hanging.requests[0]!.headers['x-satdesk-signature'],
      hanging.requests[1]!.headers['x-satdesk-signature'],
    ]);
    expect(d2.attempts.map((a: any) => a.request_headers['X-Satdesk-Signature'])).toEqual(
      [0, 1].map((i) => String(hanging.requests[i]!.headers['x-satdesk-signature']).replace(/v2=[0-9a-f]+/, 'v2=withheld')),
    );
  });

  it('sends a marked test callback and redelivers as a new delivery pointing at the original', async () => {
    const t = await setup();
    const rx = await receiver();
    const agent = (await t.api.post('/agents', { name: 'shop', url: rx.url, token: 'tok-tok-tok' })).body;
    const test = await t.api.post(`/agents/${agent.id}/test`);
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ agent_id: agent.id, test: true, txid: '0'.repeat(64), state: 'PENDING' });
    await rx.waitFor(1);
    expect(rx.requests[0]!.headers['x-satdesk-test']).toBe('1');
    const d = checkBitcoinmonitor(rx.requests[0]!.headers, rx.requests[0]!.body, 'tok-tok-tok');
    // Nothing a naive receiver could credit: no pool address, amount 0, threshold 0.
    expect(d).toMatchObject({ txhash: '0'.repeat(64), userdata: 'satdesk-test', agent: 'shop', amount: 0, confirmations: 0, address: testCallbackAddress('regtest') });

    const inv = await invoice(t);
    addPayment(t.app.service, { address: inv.address, sats: 1000 });
    await rx.waitFor(2);
    expect(rx.requests[1]!.headers['x-satdesk-test']).toBe('0');
    const orig = rx.requests[1]!.headers['x-satdesk-delivery'] as string;
    await until(async () => (await t.api.get(`/deliveries/${orig}`)).body.state === 'SUCCESS', 'SUCCESS');
    const re = await t.api.post(`/deliveries/${orig}/redeliver`);
    expect(re.status).toBe(201);
    expect(re.body.redelivery_of).toBe(orig);
    expect(re.body.id).not.toBe(orig);
    expect(re.body.notification_id).toBe((await t.api.get(`/deliveries/${orig}`)).body.notification_id);
    await rx.waitFor(3);
    expect(rx.requests[2]!.headers['x-satdesk-delivery']).toBe(re.body.id);
    // Same notification id, new delivery id, both signed: a receiver deduplicating on the notification drops it.
    expect(rx.requests[2]!.headers['x-satdesk-notification']).toBe(rx.requests[1]!.headers['x-satdesk-notification']);
    expect(re.body.notification_id).toBe(rx.requests[1]!.headers['x-satdesk-notification']);
    checkBitcoinmonitor(rx.requests[2]!.headers, rx.requests[2]!.body, 'tok-tok-tok');
    expect(rx.requests[2]!.body).toBe(rx.requests[1]!.body);
    expect((await t.api.get('/deliveries/dlv_nope')).status).toBe(404);
    await until(async () => (await t.api.get('/deliveries?state=SUCCESS')).body.deliveries.length === 3, 'three SUCCESS');
    // Cursor paging walks the log newest first without repeats.
    const p1 = (await t.api.get('/deliveries?limit=2')).body;
    expect(p1.deliveries).toHaveLength(2);
    const p2 = (await t.api.get(`/deliveries?limit=2&cursor=${p1.next_cursor}`)).body;
    expect(p2.deliveries).toHaveLength(1);
    expect(p2.next_cursor).toBeNull();
    expect(new Set([...p1.deliveries, ...p2.deliveries].map((d: any) => d.id)).size).toBe(3);
    expect((await t.api.get('/deliveries?cursor=bogus!')).status).toBe(400);
  });

  it('pruning drops old ended deliveries and their attempts, never a pending one', async () => {
    const t = await setup();
    const ok = await receiver();
    const svc = t.app.service;
    await t.api.post('/agents', { name: 'ok', url: ok.url });
    const dead = (await t.api.post('/agents', { name: 'dead', url: 'http://127.0.0.1:9/x', retry: { delays_s: [3600] } })).body;
    const inv = await invoice(t);
    addPayment(svc, { address: inv.address, sats: 1000 });
    await until(() => deliveries(t.app).some((d) => d.state === 'SUCCESS') && deliveries(t.app).some((d) => d.state === 'RETRY'), 'one SUCCESS, one RETRY');
    await t.api.call('PATCH', `/agents/${dead.id}`, { enabled: false });
    const later = svc.clock.now() + 200 * 86_400_000;
    const removed = svc.write(() => pruneDeliveries(svc.db, later, svc.settings.delivery_log_days));
    expect(removed.deliveries).toBe(1);
    const left = deliveries(t.app);
    expect(left.map((d) => d.state)).toEqual(['RETRY']);
    expect((svc.db.prepare('SELECT COUNT(*) AS n FROM attempts WHERE delivery_id = ?').get(left[0].id) as any).n).toBe(1);
    // The notification stays, so nothing is planned twice.
    expect((svc.db.prepare('SELECT COUNT(*) AS n FROM notifications').get() as any).n).toBe(2);
    setTip(svc, 500);
    expect((svc.db.prepare('SELECT COUNT(*) AS n FROM notifications').get() as any).n).toBe(2);
  });
});

describe('planner and sender queries', () => {
  it('use their indexes: the planner reads only payments still climbing, the sender seeks due deliveries per agent', async () => {
    const t = await setup();
    const plan = (sql: string) => (t.app.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan("SELECT p.*, i.userdata FROM payments p LEFT JOIN invoices i ON i.seq = p.invoice_seq WHERE p.plan_done = 0 AND p.state = 'active' ORDER BY p.id")).toContain('payments_plan');
    expect(
      plan(`SELECT d.* FROM deliveries d JOIN notifications n ON n.id = d.notification_id
            WHERE d.agent_id = 'a' AND d.state IN ('PENDING', 'RETRY') AND d.next_attempt_at <= 1
              AND (d.order_key IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.agent_id = d.agent_id AND e.order_key = d.order_key
                AND e.state IN ('PENDING', 'RETRY') AND e.notification_id < d.notification_id))
            ORDER BY d.next_attempt_at, d.notification_id LIMIT 5`),
    ).toMatch(/deliveries_agent_due.*deliveries_order/);
    expect(plan("SELECT 1 FROM events WHERE id > 5 ORDER BY id LIMIT 5000")).toMatch(/INTEGER PRIMARY KEY/);
  });
});

describe('events callbacks', () => {
  it('an events agent gets every callback event once, in order per invoice, signed', async () => {
    const t = await setup();
    const rx = await receiver(() => ({ delayMs: 20 }));
    const agent = (await t.api.post('/agents', { name: 'events', url: rx.url, format: 'events', token: 'events-token' })).body;
    expect(agent.thresholds).toEqual([]);
    const inv = await invoice(t, 'order-e', 1000);
    const p = addPayment(t.app.service, { address: inv.address, sats: 1000, txid: randomTxid(), tip: 50 });
    confirm(t.app.service, p.id, 51, 56);
    await until(() => rx.requests.some((r) => JSON.parse(r.body).type === 'invoice.confirmed'), 'invoice.confirmed');
    const types = rx.requests.map((r) => JSON.parse(r.body).type);
    expect(types).toEqual(['invoice.created', 'invoice.paid', 'invoice.confirmed']);
    for (const r of rx.requests) {
      expect(signedOk(r.headers, r.body, 'events-token')).toBe(true);
      const e = JSON.parse(r.body);
      expect(Object.keys(e).slice(0, 4)).toEqual(['id', 'type', 'created_at', 'invoice']);
      expect(e.invoice.id).toBe(inv.id);
    }
    const list = (await t.api.get(`/deliveries?agent=${agent.id}`)).body.deliveries;
    expect(list.map((d: any) => d.event).reverse()).toEqual(types);
    // Event notifications refer to their event instead of copying its invoice snapshot.
    expect(t.app.db.prepare('SELECT COUNT(*) AS n FROM notifications WHERE event_id IS NOT NULL AND body IS NOT NULL').get()).toEqual({ n: 0 });
    expect(list.map((d: any) => d.request_body).reverse()).toEqual(rx.requests.map((r) => r.body));
  });
});
