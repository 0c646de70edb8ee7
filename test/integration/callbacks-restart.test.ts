/**
 * Callbacks survive `kill -9` and downtime. `satdesk serve` runs as a child process against the sandbox
 * chain (real watcher); the receivers are loopback HTTP servers in the test process.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { ApiClient, tempDir } from '../helpers/api.ts';
import { startReceiver, until, type TestReceiver } from '../helpers/callbacks.ts';
import { spawnServe } from '../helpers/serve.ts';
import { freshTpub } from '../helpers/keys.ts';

const TOKEN = 'restart-test-api-token';

let sandbox: TestSandbox;
const receivers: TestReceiver[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const r of receivers) await r.close();
  await sandbox?.close();
});

async function serve(dataDir: string): Promise<{ api: ApiClient; proc: ChildProcess }> {
  const child = await spawnServe(dataDir, { token: TOKEN, electrum: sandbox.sb.electrumTcpUrl, waitSynced: true });
  children.push(child.proc);
  return child;
}

const exited = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));

async function receiver(reply?: Parameters<typeof startReceiver>[0]): Promise<TestReceiver> {
  const r = await startReceiver(reply);
  receivers.push(r);
  return r;
}

async function allEnded(api: ApiClient, n: number): Promise<any[]> {
  return until(async () => {
    const list = (await api.get('/deliveries?limit=500')).body.deliveries as any[];
    return list.length === n && list.every((d) => d.state === 'SUCCESS') ? list : null;
  }, `${n} deliveries SUCCESS`, 30_000);
}

describe('callbacks across kill -9 and downtime', () => {
  it('kill -9 while deliveries are in flight and a retry is waiting: after restart every notification is delivered, repeats carry the same id', async () => {
    const dataDir = tempDir();
    const seenA = new Set<string>();
    // A: every delivery's first attempt fails, so each waits in RETRY (4 s) when serve is killed.
    const rxA = await receiver((_n, h) => {
      const id = String(h['x-satdesk-delivery']);
      if (seenA.has(id)) return {};
      seenA.add(id);
      return { status: 500 };
    });
    // B: slow, so its requests are in flight when serve is killed.
    let slow = true;
    const rxB = await receiver(() => ({ delayMs: slow ? 3000 : 0 }));
    let s = await serve(dataDir);
    expect((await s.api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
    await s.api.post('/agents', { name: 'a', url: rxA.url, retry: { delays_s: [4, 4, 4, 4, 4] } });
    await s.api.post('/agents', { name: 'b', url: rxB.url });
    const txids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const inv = (await s.api.post('/invoices', { amount_sats: 10_000 + i, userdata: `order-${i}` })).body;
      txids.push((await sandbox.control<{ txid: string }>('POST', '/pay', { address: inv.address, sats: 10_000 + i })).body.txid);
    }
    await rxA.waitFor(3, 20_000);
    // The failed attempts are committed (their retries stored) before the kill; B's requests are still in flight.
    await until(async () => {
      const l = (await s.api.get('/deliveries?state=RETRY')).body.deliveries as any[];
      return l.length === 3;
    }, 'three deliveries waiting in RETRY');
    await rxB.waitFor(1, 20_000);
    const killedAt = Date.now();
    s.proc.kill('SIGKILL');
    await exited(s.proc);
    expect(rxA.requests).toHaveLength(3); // no retry went out before the kill
    slow = false;
    s = await serve(dataDir);
    const list = await allEnded(s.api, 6);
    // Every payment reached both receivers; no delivery id was invented for a repeat.
    const txOf = (r: { body: string }) => JSON.parse(r.body).signed_data.txhash as string;
    expect(new Set(rxA.requests.map(txOf))).toEqual(new Set(txids));
    expect(new Set(rxB.requests.map(txOf))).toEqual(new Set(txids));
    const ids = new Set(list.map((d) => d.id));
    for (const r of [...rxA.requests, ...rxB.requests]) expect(ids.has(String(r.headers['x-satdesk-delivery']))).toBe(true);
    expect(new Set(rxA.requests.map((r) => r.headers['x-satdesk-delivery'])).size).toBe(3);
    expect(new Set(rxB.requests.map((r) => r.headers['x-satdesk-delivery'])).size).toBe(3);
    // The requests in flight at the kill were sent again after the restart, with the same ids.
    expect(rxB.requests.length).toBeGreaterThan(3);
    // A's retries kept their stored time: not before 4 s after the failed attempt.
    for (const id of seenA) {
      const reqs = rxA.requests.filter((r) => r.headers['x-satdesk-delivery'] === id);
      expect(reqs.length).toBe(2);
      expect(reqs[1]!.start - reqs[0]!.end).toBeGreaterThanOrEqual(3900);
    }
    expect(Date.now() - killedAt).toBeLessThan(20_000);
    s.proc.kill('SIGTERM');
    await exited(s.proc);
  });

  it('serve closed while the payment gets 10 confirmations: on start both callbacks go out, 0 then 6', async () => {
    const dataDir = tempDir();
    const rx = await receiver(() => ({ delayMs: 50 }));
    let s = await serve(dataDir);
    expect((await s.api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
    await s.api.post('/agents', { name: 'shop', url: rx.url, thresholds: [0, 6] });
    const inv = (await s.api.post('/invoices', { amount_sats: 70_000, userdata: 'order-10' })).body;
    s.proc.kill('SIGTERM');
    await exited(s.proc);
    const txid = (await sandbox.control<{ txid: string }>('POST', '/pay', { address: inv.address, sats: 70_000 })).body.txid;
    await sandbox.control('POST', '/mine', { blocks: 10 });
    s = await serve(dataDir);
    await rx.waitFor(2, 20_000);
    const sent = rx.requests.map((r) => JSON.parse(r.body).signed_data);
    expect(sent.map((d) => [d.confirmations, d.txhash, d.userdata])).toEqual([
      [0, txid, 'order-10'],
      [6, txid, 'order-10'],
    ]);
    expect(rx.requests[1]!.start).toBeGreaterThanOrEqual(rx.requests[0]!.end);
    await allEnded(s.api, 2);
    s.proc.kill('SIGTERM');
    await exited(s.proc);
  });
});
