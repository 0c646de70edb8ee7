/**
 * The watcher survives restarts, lying servers and dropped connections (real sandbox, real sockets).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ecc from '@bitcoinerlab/secp256k1';
import { BIP32Factory } from 'bip32';
import { networks, payments } from 'bitcoinjs-lib';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { startTestApp, tempDir, type ApiClient } from '../helpers/api.ts';
import type { App, AppOptions } from '../../src/node/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { freshTpub } from '../helpers/keys.ts';
import { scripthashOf } from '../../src/node/store/chain-sql.ts';

const bip32 = BIP32Factory(ecc);
const freshAddress = (): string =>
  payments.p2wpkh({ pubkey: bip32.fromSeed(crypto.randomBytes(32), networks.regtest).publicKey, network: networks.regtest }).address!;

let sandbox: TestSandbox;
const apps: App[] = [];

const tuning: AppOptions['watcher'] = { connection: { backoff: { baseMs: 100, capMs: 800 }, badServerCooldownMs: 500 } };

async function start(dataDir?: string): Promise<{ app: App; api: ApiClient; dataDir: string }> {
  const r = await startTestApp({ electrum: [sandbox.sb.electrumTcpUrl], watcher: tuning, ...(dataDir ? { dataDir } : {}) });
  apps.push(r.app);
  return r;
}

const pay = async (address: string, sats: number) => (await sandbox.control<{ txid: string }>('POST', '/pay', { address, sats })).body.txid;
const mine = async (blocks = 1) => (await sandbox.control<{ height: number }>('POST', '/mine', { blocks })).body.height;

beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  for (const a of apps) await a.close();
  await sandbox?.close();
});

describe('watcher: resilience', () => {
  it('catches up after a restart without refetching unchanged addresses', async () => {
    const dataDir = tempDir('satdesk-watch-restart-');
    let { app, api } = await start(dataDir);
    expect((await api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
    const mk = async (sats: number) => (await api.post('/invoices', { amount_sats: sats, confirmations: 3 })).body as { id: string; address: string };
    const a = await mk(10_000);
    const b = await mk(20_000);
    const c = await mk(30_000);
    const untouched = await Promise.all([mk(1000), mk(2000), mk(3000)]);
    await app.watcher!.waitSynced();
    await pay(a.address, 10_000);
    await waitFor(async () => (await api.get(`/invoices/${a.id}`)).body.status, (s) => s === 'paid', 'a paid');
    await app.close();

    // Offline: b paid in full, c in half, 10 blocks mined.
    await pay(b.address, 20_000);
    await pay(c.address, 15_000);
    const height = await mine(10);

    ({ app, api } = await start(dataDir));
    await app.watcher!.waitSynced();
    const inv = async (id: string) => (await api.get(`/invoices/${id}`)).body;
    expect(await inv(a.id)).toMatchObject({ status: 'confirmed', payments: [{ confirmations: 10 }] });
    expect(await inv(b.id)).toMatchObject({ status: 'confirmed', payments: [{ confirmations: 10 }] });
    expect(await inv(c.id)).toMatchObject({ status: 'partial', missing_sats: 15_000 });
    for (const u of untouched) expect((await inv(u.id)).status).toBe('unpaid');
    expect((await api.get('/sysinfo')).body.chain).toMatchObject({ tip_height: height, synced: true, connected: true });

    // Only the three changed addresses were fetched; the unchanged ones were compared by status alone.
    const sh = (address: string) => (app.db.prepare(`SELECT ${scripthashOf('addresses')} AS scripthash FROM addresses WHERE address = ?`).get(address) as { scripthash: string }).scripthash;
    const fetched = [...app.watcher!.historyFetchesBy.keys()].sort();
    expect(fetched).toEqual([a, b, c].map((x) => sh(x.address)).sort());
    for (const u of untouched) expect(app.watcher!.historyFetchesBy.has(sh(u.address))).toBe(false);
    expect(app.watcher!.stats.subscriptions).toBeGreaterThanOrEqual(4);

    // Settled, deep-enough addresses leave the watched set (protocol 1.4.2 negotiated: unsubscribed).
    await mine(1);
    await waitFor(() => app.watcher!.stats.unsubscriptions, (n) => n >= 2, 'unsubscribe of settled addresses');
  });

  it('records money sent to a free pool address as unattributed, and a later invoice on it does not count it', async () => {
    const { app, api } = await start();
    await app.watcher!.waitSynced();
    const [p1, p2] = [freshAddress(), freshAddress()];
    expect((await api.post('/addresses', { addresses: [p1, p2] })).status).toBe(200);
    const types: string[] = [];
    const off = app.service.bus.subscribe((e) => types.push(e.type));
    const txid = await pay(p1, 7_000);
    const un = await waitFor(async () => (await api.get('/payments/unattributed')).body.payments, (p: any[]) => p.length === 1, 'unattributed');
    expect(un[0]).toMatchObject({ txid, address: p1, sats: 7_000, counted: false });
    expect(types).toContain('payment.unattributed');
    off();
    // The invoice takes p1 (first free): the earlier transaction does not count toward it.
    const inv = (await api.post('/invoices', { amount_sats: 7_000 })).body as { id: string; address: string };
    expect(inv.address).toBe(p1);
    await mine(1);
    await waitFor(async () => (await api.get('/payments/unattributed')).body.payments[0].confirmations, (n) => n === 1, 'unattributed confirmed');
    expect((await api.get(`/invoices/${inv.id}`)).body).toMatchObject({ status: 'unpaid', paid_sats: 0 });
    await pay(p1, 7_000);
    await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body.status, (s) => s === 'paid', 'paid by the new tx');
  });

  it('a lying server cannot confirm an invoice; the merchant sees why; an honest server then confirms it', async () => {
    const { app, api } = await start();
    expect((await api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
    await app.watcher!.waitSynced();
    const inv = (await api.post('/invoices', { amount_sats: 40_000, confirmations: 1 })).body as { id: string; address: string };
    await pay(inv.address, 40_000);
    await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body.status, (s) => s === 'paid', 'paid');
    await sandbox.control('POST', '/fault', { kind: 'lie' });
    try {
      await mine(1);
      const info = await waitFor(
        async () => (await api.get('/sysinfo')).body.chain,
        (c: any) => typeof c.error === 'string' && /merkle|hashes to|does not match/.test(c.error),
        'the lie to be caught',
      );
      expect(info.synced).toBe(false);
      // Give it several reconnect rounds against the liar.
      await waitFor(() => app.watcher!.stats.connects, (n) => n >= 3, 'reconnects to the liar');
      const still = (await api.get(`/invoices/${inv.id}`)).body;
      expect(still.status).toBe('paid');
      expect(still.payments[0].confirmations).toBe(0);
    } finally {
      await sandbox.control('POST', '/fault', { kind: 'none' });
    }
    await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body.status, (s) => s === 'confirmed', 'confirmed by the honest server');
    await app.watcher!.waitSynced();
    expect((await api.get('/sysinfo')).body.chain.error).toBeNull();
  });

  it('a dropped connection reconnects and loses nothing', async () => {
    const { app, api } = await start();
    expect((await api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
    await app.watcher!.waitSynced();
    const inv = (await api.post('/invoices', { amount_sats: 60_000, confirmations: 1 })).body as { id: string; address: string };
    const connects = app.watcher!.stats.connects;
    await sandbox.control('POST', '/fault', { kind: 'disconnect', seconds: 1 });
    await waitFor(async () => (await api.get('/sysinfo')).body.chain.connected, (c) => c === false, 'disconnected');
    await pay(inv.address, 60_000);
    await mine(1);
    const done = await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body, (i: any) => i.status === 'confirmed', 'confirmed after reconnect');
    expect(done.payments).toHaveLength(1);
    expect(app.watcher!.stats.connects).toBeGreaterThan(connects);
    const types = (app.db.prepare("SELECT event_json(data) AS data FROM events WHERE type = 'chain.status' ORDER BY id").all() as { data: string }[]).map(
      (r) => (JSON.parse(r.data) as { connected: boolean }).connected,
    );
    expect(types).toContain(false);
  });
});
