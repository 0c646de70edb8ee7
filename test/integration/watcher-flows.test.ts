/**
 * The chain watcher against the real sandbox over real sockets. Invoices move with what the sandbox's
 * Electrum server announces: paid on 0-conf, confirmed after the blocks, partial/overpaid/late, double-spends and
 * reorgs sending them back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import type { ApiClient } from '../helpers/api.ts';
import type { App } from '../../src/node/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { startWatchedApp } from '../helpers/watched.ts';
import { blockKey } from '../../src/node/store/chain-sql.ts';


let sandbox: TestSandbox;
let app: App;
let api: ApiClient;

const invoice = async (body: Record<string, unknown>) => {
  const r = await api.post('/invoices', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; address: string; status: string };
};
const get = async (id: string) => (await api.get(`/invoices/${id}`)).body;
const until = (id: string, ok: (inv: any) => boolean, what: string) => waitFor(() => get(id), ok, what);
const pay = async (address: string, sats: number, rbf = false) =>
  (await sandbox.control<{ txid: string }>('POST', '/pay', { address, sats, rbf })).body.txid;
const mine = async (blocks = 1) => (await sandbox.control<{ height: number }>('POST', '/mine', { blocks })).body.height;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  ({ app, api } = await startWatchedApp(sandbox));
});
afterAll(async () => {
  await app?.close();
  await sandbox?.close();
});

describe('watcher: invoice flows', () => {
  it('reports the chain in sysinfo and keeps a checked header chain', async () => {
    const info = (await api.get('/sysinfo')).body;
    expect(info.chain).toMatchObject({ connected: true, synced: true, tip_height: sandbox.sb.status().height, error: null });
    expect(info.chain.server).toContain('127.0.0.1');
    const n = (app.db.prepare('SELECT COUNT(*) AS n FROM headers').get() as { n: number }).n;
    expect(n).toBe(sandbox.sb.status().height + 1);
  });

  it('an exact payment is paid at once and confirmed after the required blocks', async () => {
    const inv = await invoice({ amount_sats: 50_000, confirmations: 2 });
    const txid = await pay(inv.address, 50_000);
    const paid = await until(inv.id, (i) => i.status === 'paid', 'paid');
    expect(paid.payments).toMatchObject([{ txid, sats: 50_000, height: 0, confirmations: 0, counted: true }]);
    const h = await mine(1);
    const one = await until(inv.id, (i) => i.payments[0]?.confirmations === 1, '1 confirmation');
    expect(one.status).toBe('paid');
    expect(one.payments[0].height).toBe(h);
    await mine(1);
    const done = await until(inv.id, (i) => i.status === 'confirmed', 'confirmed');
    expect(done.payments[0].confirmations).toBe(2);
    expect(done.confirmed_sats).toBe(50_000);
    const row = app.db.prepare('SELECT verified, block_key, block_time FROM payments WHERE txid = unhex(?)').get(txid) as any;
    expect(row.verified).toBe(1);
    expect(row.block_key).toBe(blockKey(sandbox.sb.chain.blocks[h]!.hash));
    expect(row.block_time).toBe(sandbox.sb.chain.blocks[h]!.time * 1000);
  });

  it('a half payment is partial with the missing amount, then paid after the rest; overpayment is flagged', async () => {
    const inv = await invoice({ amount_sats: 80_000 });
    await pay(inv.address, 40_000);
    const partial = await until(inv.id, (i) => i.status === 'partial', 'partial');
    expect(partial.missing_sats).toBe(40_000);
    await pay(inv.address, 40_000);
    const paid = await until(inv.id, (i) => i.status === 'paid', 'paid');
    expect(paid.flags).toContain('multiple');
    expect(paid.missing_sats).toBe(0);

    const over = await invoice({ amount_sats: 10_000 });
    await pay(over.address, 15_000);
    const o = await until(over.id, (i) => i.flags.includes('overpaid'), 'overpaid');
    expect(o.status).toBe('paid');
    expect(o.overpaid_sats).toBe(5_000);
  });

  it('one transaction paying two invoices makes one payment for each', async () => {
    const a = await invoice({ amount_sats: 11_000 });
    const b = await invoice({ amount_sats: 12_000 });
    const { txid } = (await sandbox.control<{ txid: string }>('POST', '/pay', {
      outputs: [{ address: a.address, sats: 11_000 }, { address: b.address, sats: 12_000 }],
    })).body;
    const pa = await until(a.id, (i) => i.status === 'paid', 'a paid');
    const pb = await until(b.id, (i) => i.status === 'paid', 'b paid');
    expect(pa.payments[0].txid).toBe(txid);
    expect(pb.payments[0].txid).toBe(txid);
  });

  it('a payment after expiry is late', async () => {
    const inv = await invoice({ amount_sats: 20_000, expires_in_s: 1 });
    await until(inv.id, (i) => i.status === 'expired', 'expired');
    await pay(inv.address, 20_000);
    const late = await until(inv.id, (i) => i.status === 'paid', 'paid late');
    expect(late.flags).toContain('late');
  });

  it('a double-spend of a 0-conf payment sends the invoice back to unpaid', async () => {
    const inv = await invoice({ amount_sats: 30_000, confirmations: 0 });
    const txid = await pay(inv.address, 30_000, true);
    await until(inv.id, (i) => i.status === 'paid', 'paid');
    const seen: string[] = [];
    const off = app.service.bus.subscribe((e) => {
      if (e.invoice_id === inv.id || e.payment_id !== null) seen.push(e.type);
    });
    await sandbox.control('POST', '/double-spend', { txid });
    const back = await until(inv.id, (i) => i.status === 'unpaid', 'unpaid again');
    off();
    expect(back.payments).toMatchObject([{ txid, counted: false }]);
    expect(seen).toContain('payment.reversed');
    expect(seen).toContain('invoice.reverted');
  });

  it('a reorg that removes a confirmation lowers it; re-mining restores it', async () => {
    const inv = await invoice({ amount_sats: 25_000, confirmations: 1 });
    const txid = await pay(inv.address, 25_000);
    await until(inv.id, (i) => i.status === 'paid', 'paid');
    await mine(1);
    await until(inv.id, (i) => i.status === 'confirmed', 'confirmed');
    await sandbox.control('POST', '/reorg', { depth: 1 });
    const back = await until(inv.id, (i) => i.status === 'paid', 'paid after reorg');
    expect(back.payments[0]).toMatchObject({ txid, confirmations: 0, counted: true });
    expect(app.watcher!.stats.reorgs).toBeGreaterThanOrEqual(1);
    const h = await mine(1);
    const again = await until(inv.id, (i) => i.status === 'confirmed', 'confirmed again');
    expect(again.payments[0]).toMatchObject({ txid, height: h, confirmations: 1 });
    expect((await api.get('/sysinfo')).body.chain.tip_height).toBe(h);
  });
});
