/**
 * Callbacks end to end on the sandbox chain with the real watcher: thresholds [0, 6] through the documented receivers
 * (docs/receivers, started as real Node and Python processes) and a byte-checking loopback receiver.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startDocReceiver, startReceiver, until, type TestReceiver } from '../helpers/callbacks.ts';
import type { App } from '../../src/node/app.ts';
import { startWatchedApp } from '../helpers/watched.ts';

const md5 = (s: string): string => crypto.createHash('md5').update(s, 'utf8').digest('hex');

let sandbox: TestSandbox;
let app: App;
let api: ApiClient;
let rx: TestReceiver;
let nodeRx: Awaited<ReturnType<typeof startDocReceiver>>;
let pyRx: Awaited<ReturnType<typeof startDocReceiver>>;
const TOKEN = 'doc-receiver-token';

beforeAll(async () => {
  sandbox = await startTestSandbox();
  ({ app, api } = await startWatchedApp(sandbox));
  rx = await startReceiver();
  nodeRx = await startDocReceiver(process.execPath, ['docs/receivers/node-receiver.mjs'], TOKEN);
  pyRx = await startDocReceiver('python3', ['docs/receivers/python_receiver.py'], TOKEN);
});
afterAll(async () => {
  nodeRx?.stop();
  pyRx?.stop();
  await rx?.close();
  await app?.close();
  await sandbox?.close();
});

describe('callbacks on the sandbox chain', () => {
  it('thresholds [0, 6]: 0 at once, 6 after the sixth block; the seed-format md5 and the HMAC verify in Node and Python receivers', async () => {
    for (const [name, url] of [['bytes', rx.url], ['node', nodeRx.url], ['python', pyRx.url]] as const) {
      const r = await api.post('/agents', { name, url, thresholds: [0, 6], token: TOKEN });
      expect(r.status).toBe(201);
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
    await new Promise((r) => setTimeout(r, 300));
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

  it('the documented receivers drop a repeated delivery id and reject a wrong token or a stale timestamp', async () => {
    const agents = (await api.get('/agents')).body.agents as { id: string; name: string }[];
    const py = agents.find((a) => a.name === 'python')!;
    const last = (await api.get(`/deliveries?agent=${py.id}&state=SUCCESS`)).body.deliveries[0];
    const body: string = last.request_body;
    for (const target of [nodeRx, pyRx]) {
      const t = Math.floor(Date.now() / 1000);
      const sign = (tok: string, ts: number) => `t=${ts},v1=${crypto.createHmac('sha256', tok).update(`${ts}.${body}`).digest('hex')}`;
      const send = (sig: string) =>
        fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-satdesk-delivery': last.id, 'x-satdesk-signature': sig }, body });
      // request_body carries the python agent's name in signed_data, so the md5 matches for any receiver with TOKEN.
      expect((await send(sign(TOKEN, t))).status).toBe(200);
      expect((await send(sign('wrong-token', t))).status).toBe(401);
      expect((await send(sign(TOKEN, t - 600))).status).toBe(401);
    }
    await until(() => pyRx.lines.some((l) => l.duplicate === last.id) && nodeRx.lines.some((l) => l.accepted === last.id || l.duplicate === last.id), 'dedup');
    await until(() => pyRx.lines.filter((l) => l.rejected).length === 2 && nodeRx.lines.filter((l) => l.rejected).length === 2, 'rejections logged');
    expect(pyRx.lines.filter((l) => l.rejected).map((l) => l.rejected)).toEqual(['bad HMAC', 'stale timestamp']);
    expect(nodeRx.lines.filter((l) => l.rejected).map((l) => l.rejected)).toEqual(['bad HMAC', 'stale timestamp']);
  });
});
