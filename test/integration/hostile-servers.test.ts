/**
 * Hostile servers beside an honest one (src/node/watcher/witness.ts, docs/trust.md "Two servers"): a proxy that adds
 * 10 to the tip — as the server in use and as the witness —, a proxy that forges a mempool payment, a server that
 * stalls. The honest sandbox is never left for a liar, a forged payment never counts or calls back, a stalled server
 * shows as not synced and is left once it is 3 verified blocks behind; each ends with the reason in sysinfo and a
 * `chain.refused` or `chain.alert` event.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Transaction, address as baddress, networks } from 'bitcoinjs-lib';
import { scriptHashOfScript } from '../../src/core/chain/index.ts';
import { parseWalletSource } from '../../src/core/wallet/source.ts';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import { startReceiver, type TestReceiver } from '../helpers/callbacks.ts';
import { freshTpub } from '../helpers/keys.ts';
import { startHostileElectrum, type HistoryItem, type HostileOptions } from '../helpers/hostile-electrum.ts';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/wait.ts';
import type { App } from '../../src/node/app.ts';

let sandbox: TestSandbox;
let upstream: { host: string; port: number };
const open: { close(): Promise<void> }[] = [];
beforeAll(async () => {
  sandbox = await startTestSandbox();
  const u = new URL(sandbox.sb.electrumTcpUrl.replace('tcp://', 'http://'));
  upstream = { host: u.hostname, port: Number(u.port) };
});
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});
afterAll(async () => {
  await sandbox?.close();
});

const pay = async (address: string, sats: number) => (await sandbox.control<{ txid: string }>('POST', '/pay', { address, sats })).body.txid;
const mine = async (blocks = 1) => (await sandbox.control<{ height: number }>('POST', '/mine', { blocks })).body.height;
const events = (app: App, type: string) =>
  (app.db.prepare('SELECT event_json(data) AS data FROM events WHERE type = ? ORDER BY id').all(type) as { data: string }[]).map((r) => JSON.parse(r.data) as Record<string, string>);

/** A proxy in front of the honest sandbox: everything forwarded, some answers rewritten. */
async function proxy(extra: Partial<HostileOptions> = {}) {
  const s = await startHostileElectrum({
    genesis: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
    headerAt: () => null,
    tip: () => 0,
    upstream,
    ...extra,
  });
  open.push(s);
  return s;
}

/** The tip lie: every tip the sandbox announces, 10 higher. */
const plusTen = (method: string, r: unknown): unknown =>
  method === 'blockchain.headers.subscribe' && r && typeof r === 'object' && 'height' in r ? { ...(r as object), height: (r as { height: number }).height + 10 } : r;

async function app(servers: string[], tpub = freshTpub()): Promise<{ app: App; api: ApiClient; rx: TestReceiver }> {
  const rx = await startReceiver();
  const t = await startTestApp({
    electrum: servers,
    watcher: { connection: { backoff: { baseMs: 100, capMs: 1000 }, badServerCooldownMs: 60_000 }, crossCheck: { omissionMs: 1500 } },
  });
  open.push({ close: () => t.app.close() }, rx);
  expect((await t.api.call('PUT', '/wallet', { xpub: tpub })).status).toBe(200);
  expect((await t.api.post('/agents', { name: 'shop', url: rx.url, thresholds: [0, 1] })).status).toBe(201);
  return { ...t, rx };
}

describe('a liar that adds 10 to the tip', () => {
  it('as the first server: refused at once, the honest one takes over and confirms', async () => {
    const liar = await proxy({ rewrite: plusTen });
    const { app: a, api } = await app([liar.url, sandbox.sb.electrumTcpUrl]);
    await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c) => c.synced && c.server === sandbox.sb.electrumTcpUrl, 'synced on the honest server');
    expect(events(a, 'chain.refused').some((e) => e.server === liar.url.replace('tcp://', '') || /claims a tip at/.test(e.reason!))).toBe(true);
    const inv = (await api.post('/invoices', { amount_sats: 40_000, confirmations: 4 })).body;
    await pay(inv.address, 40_000);
    await mine(4);
    const done = await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body, (i) => i.status === 'confirmed', 'confirmed with 4 confirmations');
    expect(done.payments[0].confirmations).toBe(4);
    const info = (await api.get('/sysinfo')).body.chain;
    expect(info).toMatchObject({ synced: true, server: sandbox.sb.electrumTcpUrl });
    expect(info.tip_height).toBe(sandbox.sb.status().height);
  });

  it('as the witness: alerted and distrusted; the honest server in use is never left', async () => {
    const liar = await proxy({ rewrite: plusTen });
    const { app: a, api } = await app([sandbox.sb.electrumTcpUrl, liar.url]);
    await a.watcher!.waitSynced(15_000);
    await mine(1);
    const alerts = await waitFor(async () => (await api.get('/sysinfo')).body.chain.cross_check?.alerts ?? [], (al) => al.some((x: { kind: string }) => x.kind === 'unproven_tip'), 'the witness caught');
    expect(alerts.find((x: { kind: string }) => x.kind === 'unproven_tip').message).toMatch(/claims a tip at \d+ but has no headers/);
    expect(events(a, 'chain.alert').some((e) => e.kind === 'unproven_tip')).toBe(true);
    const info = (await api.get('/sysinfo')).body.chain;
    expect(info.server).toBe(sandbox.sb.electrumTcpUrl);
    expect(a.watcher!.stats.connects).toBe(1);
    await a.watcher!.waitSynced(15_000);
  });
});

describe('a forged mempool payment', () => {
  it('shown only by the server in use: never paid, no callback, an omission alert names the disagreement', async () => {
    const histories = new Map<string, HistoryItem[]>();
    const txs = new Map<string, string>();
    const fake = new Transaction();
    fake.addInput(new Uint8Array(32).fill(9), 0);
    const forger = await proxy({ histories, txs });
    const { app: a, api, rx } = await app([forger.url, sandbox.sb.electrumTcpUrl]);
    await a.watcher!.waitSynced(15_000);
    await waitFor(async () => (await api.get('/sysinfo')).body.chain.cross_check, (c) => c?.lag_blocks === 0, 'the witness up');
    const inv = (await api.post('/invoices', { amount_sats: 50_000, confirmations: 0 })).body;
    const script = baddress.toOutputScript(inv.address, networks.regtest);
    fake.addOutput(script, 50_000n);
    const sh = scriptHashOfScript(script);
    // The forger now "sees" a mempool payment nobody broadcast.
    txs.set(fake.getId(), fake.toHex());
    histories.set(sh, [{ tx_hash: fake.getId(), height: 0, fee: 200 }]);
    forger.notifyScripthash(sh);
    await waitFor(() => a.db.prepare('SELECT COUNT(*) AS n FROM payments').get() as { n: number }, (r) => r.n === 1, 'the forged payment recorded');
    const alert = await waitFor(() => events(a, 'chain.alert'), (e) => e.some((x) => x.kind === 'omission'), 'the omission alert');
    expect(alert.find((x) => x.kind === 'omission')!.message).toContain(fake.getId());
    expect((await api.get(`/invoices/${inv.id}`)).body).toMatchObject({ status: 'unpaid', paid_sats: 0 });
    expect(a.db.prepare('SELECT mempool_servers FROM payments').get()).toEqual({ mempool_servers: 1 });
    expect(a.db.prepare('SELECT COUNT(*) AS n FROM notifications WHERE payment_id IS NOT NULL').get()).toEqual({ n: 0 });
    expect(rx.requests).toHaveLength(0);
  });
});

describe('a witness that hides a payment', () => {
  it('cannot take back a confirmation proven against our headers; the omission is an alert', async () => {
    const tpub = freshTpub();
    const address = parseWalletSource(tpub, 'regtest').addressAt(0).address;
    const sh = scriptHashOfScript(baddress.toOutputScript(address, networks.regtest));
    // The witness answers "no history" for the invoice's address whatever the chain holds.
    const hider = await proxy({ histories: new Map([[sh, []]]) });
    const { app: a, api, rx } = await app([sandbox.sb.electrumTcpUrl, hider.url], tpub);
    await a.watcher!.waitSynced(15_000);
    await waitFor(async () => (await api.get('/sysinfo')).body.chain.cross_check, (c) => c?.lag_blocks === 0, 'the witness up');
    const inv = (await api.post('/invoices', { amount_sats: 30_000, confirmations: 1 })).body;
    expect(inv.address).toBe(address);
    const txid = await pay(address, 30_000);
    await mine(1);
    const done = await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body, (i) => i.status === 'confirmed', 'confirmed on the proof');
    expect(done.payments[0]).toMatchObject({ txid, confirmations: 1 });
    const alert = await waitFor(() => events(a, 'chain.alert'), (e) => e.some((x) => x.kind === 'omission'), 'the omission alert');
    expect(alert.find((x) => x.kind === 'omission')!.message).toContain(txid);
    await rx.waitFor(2);
    // A block later: still confirmed, nothing reversed, the honest server never left.
    await mine(1);
    await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body, (i) => i.payments[0]?.confirmations === 2, 'two confirmations');
    expect((await api.get(`/invoices/${inv.id}`)).body.status).toBe('confirmed');
    expect(events(a, 'payment.reversed')).toEqual([]);
    expect((await api.get('/sysinfo')).body.chain.server).toBe(sandbox.sb.electrumTcpUrl);
    expect(a.watcher!.stats.connects).toBe(1);
  });
});

describe('a stalled server', () => {
  it('shows as not synced while the witness is ahead by verified work, and is left at 3 blocks', async () => {
    let stalled = false;
    const slow = await proxy({ stalled: () => stalled });
    const { app: a, api } = await app([slow.url, sandbox.sb.electrumTcpUrl]);
    await a.watcher!.waitSynced(15_000);
    await waitFor(async () => (await api.get('/sysinfo')).body.chain.cross_check, (c) => c?.lag_blocks === 0, 'the witness up');
    const inv = (await api.post('/invoices', { amount_sats: 20_000, confirmations: 1 })).body;
    await pay(inv.address, 20_000);
    await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body, (i) => i.status === 'paid', 'paid');
    stalled = true;
    await mine(1);
    const behind = await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c) => c.lag_blocks === 1, 'one verified block behind');
    expect(behind.synced).toBe(false);
    expect((await api.get(`/invoices/${inv.id}`)).body.status).toBe('paid');
    await mine(2);
    await waitFor(() => events(a, 'chain.alert'), (e) => e.some((x) => x.kind === 'behind'), 'left for being behind');
    const done = await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body, (i) => i.status === 'confirmed', 'confirmed through the witness');
    expect(done.payments[0].confirmations).toBe(3);
    await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c) => c.server === sandbox.sb.electrumTcpUrl && c.synced, 'synced on the other server');
  });
});
