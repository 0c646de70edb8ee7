/**
 * What is no longer watched is still looked at: at start, what was watched when Satdesk last followed the chain (a
 * payment made while it was closed to an invoice whose window ended meanwhile), and, slowly, every other address.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { startTestApp, tempDir } from '../helpers/api.ts';
import { freshTpub } from '../helpers/keys.ts';
import { waitFor } from '../helpers/wait.ts';
import type { App, AppOptions } from '../../src/node/app.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function app(sb: TestSandbox, dataDir: string, watcher: AppOptions['watcher'] = {}, clock?: AppOptions['clock']) {
  const r = await startTestApp({ dataDir, electrum: [sb.sb.electrumTcpUrl], watcher, ...(clock ? { clock } : {}) });
  open.push(r.app);
  return r;
}
const paymentsOf = (a: App, address: string) => a.db.prepare('SELECT lower(hex(txid)) AS txid, sats FROM payments WHERE address_id = (SELECT id FROM addresses WHERE address = ?)').all(address) as { txid: string; sats: number }[];

describe('watching what is no longer watched', () => {
  it('at start, a payment made while closed to an invoice whose window ended meanwhile is seen', async () => {
    const sb = await startTestSandbox();
    open.push(sb);
    const dir = tempDir('satdesk-sweep-start-');
    const first = await app(sb, dir);
    expect((await first.api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
    expect((await first.api.call('PATCH', '/settings', { invoice: { monitoring_s: 60 } })).status).toBe(200);
    await first.app.watcher!.waitSynced();
    const inv = (await first.api.post('/invoices', { amount_sats: 15_000, expires_in_s: 60 })).body as { id: string; address: string };
    await sb.control('POST', '/mine', { blocks: 1 }); // the watcher follows the chain: watched_at is now
    await waitFor(() => first.app.service.tipHeight(), (h) => h === sb.sb.status().height, 'tip');
    await first.app.close();
    open.splice(open.indexOf(first.app), 1);
    const { txid } = (await sb.control<{ txid: string }>('POST', '/pay', { address: inv.address, sats: 15_000 })).body;
    // Back three hours later: the invoice's window (expiry + 60 s) ended while Satdesk was closed.
    const again = await app(sb, dir, {}, { now: () => Date.now() + 3 * 3600_000 });
    await again.app.watcher!.waitSynced();
    await waitFor(() => paymentsOf(again.app, inv.address), (p) => p.some((x) => x.txid === txid), 'the payment made while closed');
  });

  it('slowly, a payment to a long-settled address is still recorded', async () => {
    const sb = await startTestSandbox();
    open.push(sb);
    const { app: a, api } = await app(sb, tempDir('satdesk-sweep-slow-'), { sweepMs: 200, sweepBatch: 10 });
    expect((await api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
    await a.watcher!.waitSynced();
    const inv = (await api.post('/invoices', { amount_sats: 16_000, confirmations: 1 })).body as { id: string; address: string };
    await sb.control('POST', '/pay', { address: inv.address, sats: 16_000 });
    await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body.status, (s) => s === 'paid', 'paid');
    await sb.control('POST', '/mine', { blocks: 8 }); // confirmed, and past the confirmation horizon: no longer watched
    await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body.status, (s) => s === 'confirmed', 'confirmed');
    await sb.control('POST', '/mine', { blocks: 1 }); // the next tip prunes the watch set
    await waitFor(() => a.watcher!.stats.unsubscriptions, (n) => n >= 1, 'unsubscribed');
    const { txid } = (await sb.control<{ txid: string }>('POST', '/pay', { address: inv.address, sats: 1_000 })).body;
    await waitFor(() => paymentsOf(a, inv.address), (p) => p.some((x) => x.txid === txid), 'the late extra payment', 15_000);
  });
});
