/**
 * Callbacks survive `kill -9` and downtime. `satdesk serve` runs as a child process against the sandbox
 * chain (real watcher); the receivers are loopback HTTP servers in the test process.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
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
  it('kill -9 while deliveries are in flight and retries are waiting: after restart every notification is delivered, at its stored time, with the same ids', async () => {
    const dataDir = tempDir();
    // Until the kill, A fails every attempt (its deliveries wait in RETRY) and B never answers (its requests are in
    // flight). Neither depends on how fast this machine is: whatever happened before the kill is read from the
    // database the killed process left behind.
    let beforeKill = true;
    const rxA = await receiver(() => (beforeKill ? { status: 500 } : {}));
    const rxB = await receiver(() => (beforeKill ? { hang: true } : {}));
    let s = await serve(dataDir);
    expect((await s.api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
    const a = (await s.api.post('/agents', { name: 'a', url: rxA.url, retry: { delays_s: [6, 6, 6, 6, 6] } })).body;
    await s.api.post('/agents', { name: 'b', url: rxB.url, timeout_s: 300 });
    const txids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const inv = (await s.api.post('/invoices', { amount_sats: 10_000 + i, userdata: `order-${i}` })).body;
      txids.push((await sandbox.control<{ txid: string }>('POST', '/pay', { address: inv.address, sats: 10_000 + i })).body.txid);
    }
    // Every A delivery has a failed attempt committed (state RETRY), and B has requests in flight.
    await until(async () => {
      const l = (await s.api.get(`/deliveries?agent=${a.id}&limit=500`)).body.deliveries as any[];
      return l.length === 3 && l.every((d) => d.state === 'RETRY');
    }, 'three deliveries of A waiting in RETRY', 30_000);
    await rxB.waitFor(1, 20_000);
    s.proc.kill('SIGKILL');
    await exited(s.proc);
    const beforeA = rxA.requests.length;
    const beforeB = rxB.requests.length;
    // What the killed process stored: A's retries and when each is due, B's unfinished deliveries.
    const stored = new Database(path.join(dataDir, 'satdesk.sqlite'), { readonly: true });
    const retries = stored.prepare("SELECT id, next_attempt_at FROM deliveries WHERE agent_id = ? AND state = 'RETRY'").all(a.id) as { id: string; next_attempt_at: number }[];
    const inFlight = stored.prepare("SELECT id FROM deliveries WHERE agent_id <> ? AND state = 'PENDING'").all(a.id) as { id: string }[];
    stored.close();
    expect(retries).toHaveLength(3);
    expect(inFlight.length).toBeGreaterThanOrEqual(1);
    beforeKill = false;
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
    const afterB = rxB.requests.slice(beforeB).map((r) => String(r.headers['x-satdesk-delivery']));
    for (const d of inFlight) expect(afterB).toContain(d.id);
    // A's retries kept their stored time: none went out after the restart before it was due.
    for (const r of retries) {
      const next = rxA.requests.slice(beforeA).find((q) => q.headers['x-satdesk-delivery'] === r.id);
      expect(next, r.id).toBeDefined();
      expect(next!.start).toBeGreaterThanOrEqual(r.next_attempt_at);
    }
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
