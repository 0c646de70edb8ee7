/**
 * 0-conf as a deliberate policy, end to end over the HTTP API and the sandbox chain (src/core/zeroconf.ts,
 * docs/spec/invoices.md "0-conf"): off by default, capped at creation with the reason on the invoice, counted only
 * with the risk accepted and never for an RBF-signalling payment, and the `invoice.confirmed` event (SSE and the
 * events callback format) says when it was a 0-conf acceptance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import { freshTpub } from '../helpers/keys.ts';
import { waitFor } from '../helpers/wait.ts';
import type { App } from '../../src/node/app.ts';

let sandbox: TestSandbox;
let app: App;
let api: ApiClient;

const invoice = async (body: Record<string, unknown>) => {
  const r = await api.post('/invoices', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; address: string; status: string; confirmations_required: number; confirmations_requested: number; confirmations_note: string | null };
};
const get = async (id: string) => (await api.get(`/invoices/${id}`)).body;
const pay = async (address: string, sats: number, rbf = false) =>
  (await sandbox.control<{ txid: string }>('POST', '/pay', { address, sats, rbf })).body.txid;
const patch = (invoice: Record<string, unknown>) => api.call('PATCH', '/settings', { invoice });
const confirmedEvent = (id: string) =>
  app.db.prepare("SELECT event_json(data) AS data FROM events WHERE invoice_seq = (SELECT seq FROM invoices WHERE id = ?) AND type = 'invoice.confirmed'").get(id) as { data: string } | undefined;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  ({ app, api } = await startTestApp({
    electrum: [sandbox.sb.electrumTcpUrl],
    watcher: { connection: { backoff: { baseMs: 100, capMs: 1000 }, badServerCooldownMs: 1000 } },
  }));
  expect((await api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
  await app.watcher!.waitSynced(15_000);
});
afterAll(async () => {
  await app?.close();
  await sandbox?.close();
});

describe('0-conf policy', () => {
  it('is off by default: a request for 0 confirmations gets 1 and the invoice says why', async () => {
    const s = (await api.get('/settings')).body;
    expect(s.invoice).toMatchObject({ zero_conf_limit_sats: 0, zero_conf_risk: 'refuse' });
    const inv = await invoice({ amount_sats: 10_000, confirmations: 0 });
    expect(inv).toMatchObject({ confirmations_required: 1, confirmations_requested: 0 });
    expect(inv.confirmations_note).toMatch(/0-conf is off/);
    await pay(inv.address, 10_000);
    const paid = await waitFor(() => get(inv.id), (i) => i.status === 'paid', 'paid');
    expect(paid.confirmed_sats).toBe(0);
    expect(confirmedEvent(inv.id)).toBeUndefined();
  });

  it('a limit without the risk accepted still caps; a bad risk value is refused and changes nothing', async () => {
    expect((await patch({ zero_conf_limit_sats: 50_000 })).status).toBe(200);
    const inv = await invoice({ amount_sats: 10_000, confirmations: 0 });
    expect(inv.confirmations_required).toBe(1);
    expect(inv.confirmations_note).toMatch(/risk is not accepted/);
    const bad = await patch({ zero_conf_risk: 'yolo' });
    expect(bad.status).toBe(400);
    expect((await api.get('/settings')).body.invoice.zero_conf_risk).toBe('refuse');
  });

  it('with the risk accepted: at or below the limit 0-conf counts and the confirmed event is flagged; above it the request is capped', async () => {
    expect((await patch({ zero_conf_risk: 'accept' })).status).toBe(200);
    const agent = (await api.post('/agents', { name: 'shop-events', url: 'http://127.0.0.1:9/', format: 'events' })).body;
    const big = await invoice({ amount_sats: 50_001, confirmations: 0 });
    expect(big.confirmations_required).toBe(1);
    expect(big.confirmations_note).toMatch(/above the 0-conf limit of 50000 sats/);
    const inv = await invoice({ amount_sats: 50_000, confirmations: 0 });
    expect(inv).toMatchObject({ confirmations_required: 0, confirmations_requested: 0, confirmations_note: null });
    await pay(inv.address, 50_000);
    const done = await waitFor(() => get(inv.id), (i) => i.status === 'confirmed', 'confirmed at 0-conf');
    expect(done.payments[0]).toMatchObject({ confirmations: 0, counted: true });
    expect(JSON.parse(confirmedEvent(inv.id)!.data)).toMatchObject({ zero_conf: true });
    // the events callback carries the flag too
    const deliveries = (await api.get(`/deliveries?agent=${agent.id}&limit=500`)).body.deliveries as { request_body: string }[];
    const bodies = deliveries.map((d) => JSON.parse(d.request_body) as { type: string; zero_conf?: boolean; invoice: { id: string } });
    expect(bodies.find((b) => b.type === 'invoice.confirmed' && b.invoice.id === inv.id)).toMatchObject({ zero_conf: true });
  });

  it('an RBF-signalling payment waits for a block even with the risk accepted; the block confirms it without the flag', async () => {
    const inv = await invoice({ amount_sats: 20_000, confirmations: 0 });
    expect(inv.confirmations_required).toBe(0);
    await pay(inv.address, 20_000, true);
    const paid = await waitFor(() => get(inv.id), (i) => i.status === 'paid', 'paid');
    expect(paid.confirmed_sats).toBe(0);
    await sandbox.control('POST', '/mine', { blocks: 1 });
    await waitFor(() => get(inv.id), (i) => i.status === 'confirmed', 'confirmed by the block');
    expect(JSON.parse(confirmedEvent(inv.id)!.data)).toMatchObject({ zero_conf: false });
  });
});

describe('0-conf with two servers', () => {
  it('a 0-conf payment counts only once both servers show it in their mempool', async () => {
    // Two URLs of the same sandbox: the watcher uses one, the cross-check (witness.ts) asks the other.
    const two = await startTestApp({
      electrum: [sandbox.sb.electrumTcpUrl, sandbox.sb.electrumTlsUrl],
      watcher: { connection: { backoff: { baseMs: 100, capMs: 1000 }, badServerCooldownMs: 1000 } },
    });
    try {
      expect((await two.api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
      expect((await two.api.call('PATCH', '/settings', { invoice: { zero_conf_limit_sats: 100_000, zero_conf_risk: 'accept' } })).status).toBe(200);
      await two.app.watcher!.waitSynced(15_000);
      await waitFor(async () => (await two.api.get('/sysinfo')).body.chain.cross_check, (c) => c?.server !== null && c?.lag_blocks === 0, 'the witness on the other server');
      const inv = (await two.api.post('/invoices', { amount_sats: 30_000, confirmations: 0 })).body;
      expect(inv.confirmations_required).toBe(0);
      await pay(inv.address, 30_000);
      const done = await waitFor(async () => (await two.api.get(`/invoices/${inv.id}`)).body, (i) => i.status === 'confirmed', 'confirmed at 0-conf');
      expect(done.payments[0]).toMatchObject({ confirmations: 0, counted: true });
      const row = two.app.db.prepare('SELECT mempool_servers FROM payments WHERE address_id = (SELECT id FROM addresses WHERE address = ?)').get(inv.address) as { mempool_servers: number };
      expect(row.mempool_servers).toBe(2);
    } finally {
      await two.app.close();
    }
  });
});
