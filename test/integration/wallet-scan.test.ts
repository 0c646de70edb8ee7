/**
 * Derived addresses with history are never handed out (src/node/watcher/wallet-scan.ts), on the sandbox chain: an
 * xpub whose /0/0 and /0/3 were paid and mined before setup, a data dir restored from a backup taken before an
 * address was paid, and an address paid just before it would have been handed out. The next invoices get unused
 * addresses and stay unpaid; the old payments are visible as unattributed wallet history.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWalletSource } from '../../src/core/wallet/source.ts';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import { freshTpub } from '../helpers/keys.ts';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/wait.ts';
import type { App } from '../../src/node/app.ts';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

const derive = (tpub: string, i: number): string => parseWalletSource(tpub, 'regtest').addressAt(i).address;
const pay = async (address: string, sats: number) => (await sandbox.control<{ txid: string }>('POST', '/pay', { address, sats })).body.txid;
const mine = async (blocks = 1) => (await sandbox.control<{ height: number }>('POST', '/mine', { blocks })).body.height;

async function start(dataDir?: string): Promise<{ app: App; api: ApiClient; dataDir: string }> {
  return startTestApp({
    ...(dataDir ? { dataDir } : {}),
    electrum: [sandbox.sb.electrumTcpUrl],
    watcher: { connection: { backoff: { baseMs: 100, capMs: 1000 }, badServerCooldownMs: 1000 } },
  });
}

async function invoice(api: ApiClient): Promise<{ id: string; address: string }> {
  const r = await api.post('/invoices', { amount_sats: 10_000 });
  expect(r.status).toBe(201);
  return r.body;
}

describe('wallet scan', () => {
  it('an xpub whose /0/0 and /0/3 were paid before setup: invoices start at /0/4, stay unpaid, the old payments are wallet history', async () => {
    const tpub = freshTpub();
    const t0 = await pay(derive(tpub, 0), 40_000);
    const t3 = await pay(derive(tpub, 3), 30_000);
    await mine(1);
    const { app, api } = await start();
    try {
      await app.watcher!.waitSynced(15_000);
      expect((await api.call('PUT', '/wallet', { xpub: tpub })).status).toBe(200);
      const wallet = await waitFor(async () => (await api.get('/wallet')).body, (w) => w.next_index === 4, 'next index past the used addresses');
      expect(wallet.first_addresses[0]).toBe(derive(tpub, 0));
      const ev = app.db.prepare("SELECT event_json(data) AS data FROM events WHERE type = 'wallet.history_found'").get() as { data: string };
      expect(JSON.parse(ev.data)).toMatchObject({ indexes: [0, 3], next_index: 4 });
      expect(JSON.parse(ev.data).message).toMatch(/first addresses of this wallet already have history/);
      const a = await invoice(api);
      const b = await invoice(api);
      expect([a.address, b.address]).toEqual([derive(tpub, 4), derive(tpub, 5)]);
      const old = await waitFor(async () => (await api.get('/payments/unattributed')).body.payments, (p) => p.length === 2, 'old payments recorded');
      expect(old.map((p: { txid: string }) => p.txid).sort()).toEqual([t0, t3].sort());
      await mine(1);
      await app.watcher!.waitSynced(15_000);
      for (const inv of [a, b]) expect((await api.get(`/invoices/${inv.id}`)).body).toMatchObject({ status: 'unpaid', payments: [] });
    } finally {
      await app.close();
    }
  });

  it('a data dir restored from a backup never hands out an address paid after the backup', async () => {
    const tpub = freshTpub();
    const first = await start();
    let backup: string;
    let dataDir: string;
    let paidAfterBackup: string;
    try {
      dataDir = first.dataDir;
      expect((await first.api.call('PUT', '/wallet', { xpub: tpub })).status).toBe(200);
      await first.app.watcher!.waitSynced(15_000);
      await invoice(first.api); // index 0
      backup = (await first.api.post('/backup')).body.path;
      await invoice(first.api); // index 1: given to a customer, unpaid
      const c = await invoice(first.api); // index 2: paid after the backup
      expect(c.address).toBe(derive(tpub, 2));
      paidAfterBackup = await pay(c.address, 10_000);
      await mine(1);
      await waitFor(async () => (await first.api.get(`/invoices/${c.id}`)).body, (i) => i.status === 'confirmed', 'confirmed before the restore');
    } finally {
      await first.app.close();
    }
    // Restore: the backup replaces the database (its next_index is 1).
    for (const f of fs.readdirSync(dataDir).filter((f) => f.startsWith('satdesk.sqlite'))) fs.rmSync(path.join(dataDir, f));
    fs.copyFileSync(backup, path.join(dataDir, 'satdesk.sqlite'));
    const again = await start(dataDir);
    try {
      await waitFor(async () => (await again.api.get('/wallet')).body, (w) => w.next_index === 3, 'next index past the address paid after the backup');
      const fresh = await invoice(again.api);
      expect(fresh.address).toBe(derive(tpub, 3));
      const old = await waitFor(async () => (await again.api.get('/payments/unattributed')).body.payments, (p) => p.length === 1, 'wallet history');
      expect(old[0]).toMatchObject({ txid: paidAfterBackup, address: derive(tpub, 2) });
      expect((await again.api.get(`/invoices/${fresh.id}`)).body).toMatchObject({ status: 'unpaid', payments: [] });
    } finally {
      await again.app.close();
    }
  });

  it('the next address paid just before it is handed out is seen ahead and skipped', async () => {
    const tpub = freshTpub();
    const { app, api } = await start();
    try {
      expect((await api.call('PUT', '/wallet', { xpub: tpub })).status).toBe(200);
      await app.watcher!.waitSynced(15_000);
      await waitFor(async () => app.db.prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'chain.tip'").get() as { n: number }, (r) => r.n > 0, 'tip');
      const a = await invoice(api);
      expect(a.address).toBe(derive(tpub, 0));
      // Someone pays /0/1 from elsewhere (mempool only) before Satdesk hands it out.
      await pay(derive(tpub, 1), 5_000);
      await waitFor(async () => (await api.get('/wallet')).body, (w) => w.next_index === 2, 'the paid address skipped');
      const b = await invoice(api);
      expect(b.address).toBe(derive(tpub, 2));
    } finally {
      await app.close();
    }
  });
});

