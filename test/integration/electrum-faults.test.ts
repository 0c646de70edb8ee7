/**
 * Electrum faults (docs/spec/sandbox.md#control-api): a server that stalls, sends garbage, lags behind the tip, or goes away for good (with
 * a second server to fail over to). The watcher recovers within seconds of the server's return, loses no payment,
 * and never counts a confirmation the server has not shown and proven. (Lying and plain disconnects are in
 * watcher-resilience.test.ts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { startTestApp, tempDir, type ApiClient } from '../helpers/api.ts';
import { waitFor } from '../helpers/wait.ts';
import type { App, AppOptions } from '../../src/node/app.ts';
import { freshTpub } from '../helpers/keys.ts';
import { startSocks5Proxy } from '../unit/electrum-peer.ts';


// Short timeouts so a silent server is noticed in about a second (production: 30 s requests, 60 s pings).
const tuning: AppOptions['watcher'] = {
  connection: {
    requestTimeoutMs: 1000,
    connectTimeoutMs: 1000,
    pingIntervalMs: 400,
    pingTimeoutMs: 600,
    backoff: { baseMs: 100, capMs: 500 },
    badServerCooldownMs: 300,
  },
};

const sandboxes: TestSandbox[] = [];
const apps: App[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
});
afterAll(async () => {
  for (const s of sandboxes) await s.close();
});

async function setup(servers: TestSandbox[]): Promise<{ app: App; api: ApiClient }> {
  const r = await startTestApp({ electrum: servers.map((s) => s.sb.electrumTcpUrl), watcher: tuning });
  apps.push(r.app);
  expect((await r.api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
  await r.app.watcher!.waitSynced();
  return r;
}

async function sandbox(dataDir?: string): Promise<TestSandbox> {
  const s = await startTestSandbox(dataDir ? { dataDir } : {});
  sandboxes.push(s);
  return s;
}

const statusOf = async (api: ApiClient, id: string): Promise<string> => (await api.get(`/invoices/${id}`)).body.status;

describe('Electrum faults', () => {
  it('a stalled server: nothing is invented meanwhile, and the payment is seen within seconds of the stall ending', async () => {
    const sb = await sandbox();
    const { api } = await setup([sb]);
    const inv = (await api.post('/invoices', { amount_sats: 21_000 })).body;
    const stallEnds = Date.now() + 3000;
    await sb.control('POST', '/fault', { kind: 'stall', seconds: 3 });
    await sb.control('POST', '/pay', { address: inv.address, sats: 21_000 });
    // The silent server is noticed (requests and pings time out) while the invoice stays as it was.
    await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c: any) => !c.connected || !c.synced, 'the stall to be noticed');
    expect(await statusOf(api, inv.id)).toBe('unpaid');
    await waitFor(() => statusOf(api, inv.id), (s) => s === 'paid', 'paid after the stall', 20_000);
    console.log(`stall: payment seen ${Date.now() - stallEnds} ms after the stall ended`);
    await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c: any) => c.connected && c.synced && c.error === null, 'healthy again');
  });

  it('a server sending garbage is dropped and reconnected; the payment made meanwhile is not lost', async () => {
    const sb = await sandbox();
    const { app, api } = await setup([sb]);
    const inv = (await api.post('/invoices', { amount_sats: 22_000 })).body;
    const connects = app.watcher!.stats.connects;
    await sb.control('POST', '/fault', { kind: 'garbage', seconds: 2 });
    await sb.control('POST', '/pay', { address: inv.address, sats: 22_000 });
    await sb.control('POST', '/mine', { blocks: 1 });
    await waitFor(() => statusOf(api, inv.id), (s) => s === 'confirmed', 'confirmed after the garbage', 20_000);
    expect(app.watcher!.stats.connects).toBeGreaterThan(connects);
    const done = (await api.get(`/invoices/${inv.id}`)).body;
    expect(done.payments).toHaveLength(1);
    expect(done.payments[0].confirmations).toBe(1);
  });

  it('a lagging server: blocks it has not shown do not confirm anything; they count once it catches up', async () => {
    const sb = await sandbox();
    const { api } = await setup([sb]);
    const inv = (await api.post('/invoices', { amount_sats: 23_000, confirmations: 2 })).body;
    await sb.control('POST', '/pay', { address: inv.address, sats: 23_000 });
    await waitFor(() => statusOf(api, inv.id), (s) => s === 'paid', 'paid');
    const tip = (await api.get('/sysinfo')).body.chain.tip_height as number;
    await sb.control('POST', '/fault', { kind: 'lag' });
    await sb.control('POST', '/mine', { blocks: 3 });
    // A negative can only be checked over a window: give the watcher two ping rounds to (wrongly) move.
    await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c: any) => c.synced, 'synced on the lagging view');
    await new Promise((r) => setTimeout(r, 800));
    expect((await api.get('/sysinfo')).body.chain.tip_height).toBe(tip);
    const lagging = (await api.get(`/invoices/${inv.id}`)).body;
    expect(lagging.status).toBe('paid');
    expect(lagging.payments[0].confirmations).toBe(0);
    await sb.control('POST', '/fault', { kind: 'none' });
    const done = await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body, (i: any) => i.status === 'confirmed', 'confirmed after catching up');
    expect(done.payments[0].confirmations).toBe(3);
    expect((await api.get('/sysinfo')).body.chain.tip_height).toBe(tip + 3);
  });

  it('servers set in Settings take effect at once; a malformed one is refused with the reason', async () => {
    const sb = await sandbox();
    const r = await startTestApp({ watcher: tuning });
    apps.push(r.app);
    const { api } = r;
    expect((await api.get('/sysinfo')).body.chain.connected).toBe(false);
    const bad = await api.call('PATCH', '/settings', { electrum: { servers: ['electrum.example.org:50002'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^electrum\.servers: Invalid Electrum server URL/);
    expect((await api.get('/settings')).body.electrum.servers).toEqual([]);
    expect((await api.call('PATCH', '/settings', { electrum: { servers: [sb.sb.electrumTcpUrl] } })).status).toBe(200);
    await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c: any) => c.connected && c.synced, 'connected through the new server');
    expect((await api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
    const inv = (await api.post('/invoices', { amount_sats: 25_000 })).body;
    await sb.control('POST', '/pay', { address: inv.address, sats: 25_000 });
    await waitFor(() => statusOf(api, inv.id), (s) => s === 'paid', 'paid through the server set in Settings');
    await api.call('PATCH', '/settings', { electrum: { servers: [] } });
    await waitFor(async () => (await api.get('/sysinfo')).body.chain.connected, (c) => c === false, 'disconnected when the list is emptied');
    expect(r.app.watcher).toBeNull();
  });

  it('fails over to a second server when the first goes away, and loses nothing', async () => {
    // Two servers on one chain: B starts from a copy of A's chain.
    const dirA = tempDir('satdesk-failover-a-');
    const a = await sandbox(dirA);
    const dirB = tempDir('satdesk-failover-b-');
    for (const f of fs.readdirSync(dirA)) fs.copyFileSync(path.join(dirA, f), path.join(dirB, f));
    const b = await sandbox(dirB);
    expect(b.sb.status().tip_hash).toBe(a.sb.status().tip_hash);
    const { app, api } = await setup([a, b]);
    expect((await api.get('/sysinfo')).body.chain.server).toContain(String(a.sb.tcpPort));
    const inv = (await api.post('/invoices', { amount_sats: 24_000 })).body;
    await a.close();
    sandboxes.splice(sandboxes.indexOf(a), 1);
    await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c: any) => c.connected && String(c.server).includes(String(b.sb.tcpPort)), 'failover to B');
    await b.control('POST', '/pay', { address: inv.address, sats: 24_000 });
    await b.control('POST', '/mine', { blocks: 1 });
    const done = await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body, (i: any) => i.status === 'confirmed', 'confirmed through B');
    expect(done.payments).toHaveLength(1);
    expect(app.watcher!.stats.reorgs).toBe(0);
  });

  it('through a SOCKS5 proxy, the lag probe takes the proxy too, and each server gets its own credentials', async () => {
    const dirA = tempDir('satdesk-proxy-a-');
    const a = await sandbox(dirA);
    const dirB = tempDir('satdesk-proxy-b-');
    for (const f of fs.readdirSync(dirA)) fs.copyFileSync(path.join(dirA, f), path.join(dirB, f));
    const b = await sandbox(dirB);
    const proxy = await startSocks5Proxy();
    try {
      const r = await startTestApp({ electrum: [a.sb.electrumTcpUrl, b.sb.electrumTcpUrl], watcher: { ...tuning, proxy: `socks5://127.0.0.1:${proxy.port}` } });
      apps.push(r.app);
      await r.app.watcher!.waitSynced();
      // A new tip makes the watcher compare tips with the other server (the lag probe).
      await a.control('POST', '/mine', { blocks: 1 });
      await waitFor(() => proxy.targets.length, (n) => n >= 2, 'the probe through the proxy');
      expect(proxy.targets.slice(0, 2)).toEqual([`127.0.0.1:${a.sb.tcpPort}`, `127.0.0.1:${b.sb.tcpPort}`]);
      expect(proxy.credentials[0]!.user).not.toBe(proxy.credentials[1]!.user);
    } finally {
      await proxy.close();
    }
  });
});
