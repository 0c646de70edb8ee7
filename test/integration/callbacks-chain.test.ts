/**
 * Callbacks end to end on the sandbox chain with the real watcher: thresholds [0, 6] through the documented
 * receivers (docs/receivers, started as real Node and Python processes, each behind a loopback tap that records
 * the exact requests, as an eavesdropper would) and a byte-checking loopback receiver. Then the attacks: captured
 * callbacks replayed as they were, under new delivery or notification ids, with the test flag flipped, a wrong
 * token, a stale timestamp — and Satdesk's own "Resend", which must not credit twice.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startDocReceiver, startReceiver, until, type TestReceiver } from '../helpers/callbacks.ts';
import type { App } from '../../src/node/app.ts';
import { startWatchedApp } from '../helpers/watched.ts';
import { notificationCount, openDeliveries } from '../helpers/outbox.ts';

const md5 = (s: string): string => crypto.createHash('md5').update(s, 'utf8').digest('hex');

let sandbox: TestSandbox;
let app: App;
let api: ApiClient;
let rx: TestReceiver;
let nodeRx: Awaited<ReturnType<typeof startDocReceiver>>;
let pyRx: Awaited<ReturnType<typeof startDocReceiver>>;
let nodeTap: Tap;
let pyTap: Tap;
const TOKEN = 'doc-receiver-token';

interface Captured {
  headers: Record<string, string>;
  body: string;
}
interface Tap {
  url: string;
  captured: Captured[];
  close(): Promise<void>;
}

/** A loopback tap in front of a receiver: records each request exactly and forwards it unchanged. */
async function startTap(target: string): Promise<Tap> {
  const captured: Captured[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      captured.push({ headers, body: body.toString('utf8') });
      const fwd = http.request(target, { method: req.method, headers: { ...headers, host: new URL(target).host } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      fwd.on('error', () => res.destroy());
      fwd.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    captured,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** Sends a request to a receiver with the given headers and body, as an attacker replaying it would. */
async function replay(url: string, headers: Record<string, string>, body: string): Promise<number> {
  const h = { ...headers };
  delete h.host;
  delete h['content-length'];
  return (await fetch(url, { method: 'POST', headers: h, body })).status;
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  ({ app, api } = await startWatchedApp(sandbox));
  rx = await startReceiver();
  nodeRx = await startDocReceiver(process.execPath, ['docs/receivers/node-receiver.mjs'], TOKEN);
  pyRx = await startDocReceiver('python3', ['docs/receivers/python_receiver.py'], TOKEN);
  nodeTap = await startTap(nodeRx.url);
  pyTap = await startTap(pyRx.url);
});
afterAll(async () => {
  await nodeTap?.close();
  await pyTap?.close();
  nodeRx?.stop();
  pyRx?.stop();
  await rx?.close();
  await app?.close();
  await sandbox?.close();
});

describe('callbacks on the sandbox chain', () => {
  it('thresholds [0, 6]: 0 at once, 6 after the sixth block; the seed-format md5 and the HMAC verify in Node and Python receivers', async () => {
    const agentIds: string[] = [];
    for (const [name, url] of [['bytes', rx.url], ['node', nodeTap.url], ['python', pyTap.url]] as const) {
      const r = await api.post('/agents', { name, url, thresholds: [0, 6], token: TOKEN });
      expect(r.status).toBe(201);
      agentIds.push(r.body.id);
    }
    const inv = (await api.post('/invoices', { amount_sats: 250_000, userdata: 'order-77', confirmations: 6 })).body;
    const txid = (await sandbox.control<{ txid: string }>('POST', '/pay', { address: inv.address, sats: 250_000 })).body.txid;
    await rx.waitFor(1);
    const accepted = (lines: Record<string, unknown>[]) => lines.filter((l) => l.accepted);
    await until(() => accepted(nodeRx.lines).length === 1 && accepted(pyRx.lines).length === 1, 'doc receivers got the 0 callback');
    const body0 = JSON.parse(rx.requests[0]!.body);
    const d = body0.signed_data;
    expect(d).toMatchObject({ amount: 250000, userdata: 'order-77', confirmations: 0, amount_btc: '0.00250000', address: inv.address, txhash: txid, agent: 'bytes' });
    expect(d.created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(body0.signature).toBe(md5(`${d.address}${d.agent}${d.amount}${d.amount_btc}${d.confirmations}${d.created}${d.userdata}${d.txhash}${TOKEN}`));

    await sandbox.control('POST', '/mine', { blocks: 5 });
    await until(async () => (await api.get(`/invoices/${inv.id}`)).body.payments[0]?.confirmations === 5, '5 confirmations');
    // The write that recorded the fifth block planned what it caused (nothing): one notification per agent, none
    // left to send — so nothing more goes out before the sixth block (test/helpers/outbox.ts).
    for (const id of agentIds) expect(notificationCount(app.db, id)).toBe(1);
    await until(() => openDeliveries(app.db) === 0, 'the 0 callbacks sent');
    expect(rx.requests).toHaveLength(1);
    await sandbox.control('POST', '/mine', { blocks: 1 });
    await rx.waitFor(2);
    expect(JSON.parse(rx.requests[1]!.body).signed_data).toMatchObject({ confirmations: 6, txhash: txid, created: d.created });
    await until(() => accepted(nodeRx.lines).length === 2 && accepted(pyRx.lines).length === 2, 'doc receivers got the 6 callback');
    for (const lines of [nodeRx.lines, pyRx.lines]) {
      expect(lines.filter((l) => l.rejected)).toEqual([]);
      expect(accepted(lines).map((l) => (l.signed_data as any).confirmations)).toEqual([0, 6]);
    }
  });

  it('the documented receivers refuse replays under new ids, a flipped test flag, a wrong token or a stale timestamp, and a resend credits once', async () => {
    const accepted = (lines: Record<string, unknown>[]) => lines.filter((l) => l.accepted).length;
    for (const [rxp, tap] of [[nodeRx, nodeTap], [pyRx, pyTap]] as const) {
      const before = accepted(rxp.lines);
      const rejectedBefore = rxp.lines.filter((l) => l.rejected).length;
      const cap = tap.captured.at(-1)!;
      expect(cap.headers['x-satdesk-notification']).toMatch(/^ntf_[0-9a-f]{24}$/);
      const fresh = () => `dlv_${crypto.randomBytes(12).toString('hex')}`;
      // 1. Replayed as captured, within the window: a duplicate of a handled notification, nothing credited.
      expect(await replay(tap.url, cap.headers, cap.body)).toBe(200);
      // 2–4. Under a new delivery id (the audit's attack, 3 of 3 accepted before), a new notification id, or the
      // test flag flipped: the signature covers them, so each is refused.
      expect(await replay(tap.url, { ...cap.headers, 'x-satdesk-delivery': fresh() }, cap.body)).toBe(401);
      expect(await replay(tap.url, { ...cap.headers, 'x-satdesk-delivery': fresh() }, cap.body)).toBe(401);
      expect(await replay(tap.url, { ...cap.headers, 'x-satdesk-notification': `ntf_${crypto.randomBytes(12).toString('hex')}`, 'x-satdesk-delivery': fresh() }, cap.body)).toBe(401);
      expect(await replay(tap.url, { ...cap.headers, 'x-satdesk-test': '1' }, cap.body)).toBe(401);
      // 5. Re-signed with a wrong token, or with a stale timestamp.
      const ids = `${cap.headers['x-satdesk-notification']}.${cap.headers['x-satdesk-delivery']}.${cap.headers['x-satdesk-test']}`;
      const sign = (tok: string, ts: number) => `t=${ts},v2=${crypto.createHmac('sha256', tok).update(`${ts}.${ids}.${cap.body}`).digest('hex')}`;
      const now = Math.floor(Date.now() / 1000);
      expect(await replay(tap.url, { ...cap.headers, 'x-satdesk-signature': sign('wrong-token', now) }, cap.body)).toBe(401);
      expect(await replay(tap.url, { ...cap.headers, 'x-satdesk-signature': sign(TOKEN, now - 600) }, cap.body)).toBe(401);
      await until(() => rxp.lines.filter((l) => l.rejected).length === rejectedBefore + 6, 'six rejections');
      expect(rxp.lines.filter((l) => l.rejected).slice(-6).map((l) => l.rejected)).toEqual(['bad HMAC', 'bad HMAC', 'bad HMAC', 'bad HMAC', 'bad HMAC', 'stale timestamp']);
      expect(rxp.lines.some((l) => l.duplicate === cap.headers['x-satdesk-notification'])).toBe(true);
      expect(accepted(rxp.lines)).toBe(before);
    }
    // 6. "Resend" in the console: a new delivery of the same notification. Each receiver answers 200 and credits once.
    for (const [name, rxp, tap] of [['node', nodeRx, nodeTap], ['python', pyRx, pyTap]] as const) {
      const agent = ((await api.get('/agents')).body.agents as { id: string; name: string }[]).find((a) => a.name === name)!;
      const last = (await api.get(`/deliveries?agent=${agent.id}&state=SUCCESS`)).body.deliveries[0];
      const before = accepted(rxp.lines);
      const n = tap.captured.length;
      const re = await api.post(`/deliveries/${last.id}/redeliver`);
      expect(re.status).toBe(201);
      await until(async () => (await api.get(`/deliveries/${re.body.id}`)).body.state === 'SUCCESS', `${name}: resend SUCCESS`);
      expect(tap.captured[n]!.headers['x-satdesk-notification']).toBe(last.notification_id);
      expect(tap.captured[n]!.headers['x-satdesk-delivery']).toBe(re.body.id);
      await until(() => rxp.lines.some((l) => l.duplicate === last.notification_id && l.delivery === re.body.id), `${name}: resend seen as a duplicate`);
      expect(accepted(rxp.lines)).toBe(before);
    }
    // 7. A test callback is recognised as one and credits nothing.
    for (const [name, rxp] of [['node', nodeRx], ['python', pyRx]] as const) {
      const agent = ((await api.get('/agents')).body.agents as { id: string; name: string }[]).find((a) => a.name === name)!;
      const before = accepted(rxp.lines);
      const t = await api.post(`/agents/${agent.id}/test`);
      await until(() => rxp.lines.some((l) => l.test_received === t.body.id), `${name}: test received`);
      expect(accepted(rxp.lines)).toBe(before);
    }
  });
});
