/**
 * The watcher against the sandbox behaving like real servers (src/sandbox/fidelity.ts): notifications on a polling
 * schedule with late subscribe answers coalesced into the same write, chains that get shorter with and without a
 * notification, statuses that trail their histories during reorg bursts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TestKey, startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import { freshTpub } from '../helpers/keys.ts';
import { waitFor } from '../helpers/wait.ts';
import type { App, AppOptions } from '../../src/node/app.ts';
import type { ServerProfile } from '../../src/sandbox/index.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function setup(profile: Partial<ServerProfile>, watcher: AppOptions['watcher'] = {}, clock?: AppOptions['clock'], pool = 0): Promise<{ sb: TestSandbox; app: App; api: ApiClient }> {
  const sb = await startTestSandbox({ profile });
  open.push(sb);
  const { app, api } = await startTestApp({
    ...(clock ? { clock } : {}),
    electrum: [sb.sb.electrumTcpUrl],
    watcher: { connection: { backoff: { baseMs: 100, capMs: 1000 }, badServerCooldownMs: 1000 }, ...watcher },
  });
  open.push(app);
  if (pool) {
    for (let i = 0; i < pool; i += 500) {
      const addresses = Array.from({ length: Math.min(500, pool - i) }, () => new TestKey('p2wpkh').address);
      expect((await api.post('/addresses', { addresses })).status).toBe(200);
    }
  } else expect((await api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
  await app.watcher!.waitSynced(30_000);
  return { sb, app, api };
}

const invoice = async (api: ApiClient, body: Record<string, unknown>) => {
  const r = await api.post('/invoices', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; address: string; expires_at: string };
};
const get = async (api: ApiClient, id: string) => (await api.get(`/invoices/${id}`)).body;

describe('watcher against server-like sandboxes', () => {
  it('5 invoices paid 0 ms after creation are all paid before the next block, with late coalesced answers', async () => {
    const { sb, app, api } = await setup({ notifyIntervalMs: 250 });
    const invs = [];
    for (let i = 0; i < 5; i++) {
      const inv = await invoice(api, { amount_sats: 10_000 + i });
      await sb.control('POST', '/pay', { address: inv.address, sats: 10_000 + i });
      invs.push(inv);
    }
    const height = sb.sb.status().height;
    for (const inv of invs) await waitFor(() => get(api, inv.id), (i: any) => i.status === 'paid', `${inv.id} paid`, 10_000);
    expect(sb.sb.status().height).toBe(height); // no block was needed
    expect(sb.sb.server.stats.heldAnswers).toBeGreaterThanOrEqual(5);
    expect(app.watcher!.status().connected).toBe(true);
  });

  for (const notifyShorterTip of [true, false]) {
    it(`a chain that gets shorter takes the confirmation back (${notifyShorterTip ? 'notified, like Fulcrum' : 'not notified, like ElectrumX: the tip check finds it'})`, async () => {
      const { sb, app, api } = await setup({ notifyShorterTip }, { tipCheckMs: 300 });
      const inv = await invoice(api, { amount_sats: 21_000, confirmations: 1 });
      await sb.control('POST', '/pay', { address: inv.address, sats: 21_000 });
      await waitFor(() => get(api, inv.id), (i: any) => i.status === 'paid', 'paid');
      await sb.control('POST', '/mine', { blocks: 1 });
      const tip = sb.sb.status().height;
      await waitFor(() => get(api, inv.id), (i: any) => i.status === 'confirmed', 'confirmed');
      await sb.control('POST', '/reorg', { depth: 1, blocks: 0 });
      const back = await waitFor(() => get(api, inv.id), (i: any) => i.status === 'paid', 'back to paid', 10_000);
      expect(back.payments[0]).toMatchObject({ confirmations: 0, counted: true });
      await waitFor(async () => (await api.get('/sysinfo')).body.chain.tip_height, (h) => h === tip - 1, 'the shorter tip', 10_000);
      expect(app.watcher!.stats.reorgs).toBe(1);
    });
  }

  it("late stays late through confirmation, though the block's time is before the expiry", async () => {
    let offset = 0;
    const { sb, app, api } = await setup({}, {}, { now: () => Date.now() + offset });
    const inv = await invoice(api, { amount_sats: 30_000, expires_in_s: 600, confirmations: 1 });
    offset = 3600_000; // an hour later (the chain's clock does not move: its next block is stamped now)
    app.service.tick();
    await waitFor(() => get(api, inv.id), (i: any) => i.status === 'expired', 'expired');
    await sb.control('POST', '/pay', { address: inv.address, sats: 30_000 });
    const paid = await waitFor(() => get(api, inv.id), (i: any) => i.status === 'paid', 'paid late');
    expect(paid.flags).toContain('late');
    await sb.control('POST', '/mine', { blocks: 1 });
    const done = await waitFor(() => get(api, inv.id), (i: any) => i.status === 'confirmed', 'confirmed');
    expect(done.flags).toContain('late');
    expect(done.payments[0].time).toBe(paid.payments[0].time);
    expect(Date.parse(done.payments[0].time)).toBeGreaterThan(Date.parse(inv.expires_at));
    // Seen as it arrived, its time is the first-seen moment, which the row does not store twice (migration 031).
    const row = app.db.prepare('SELECT time, time_own, first_seen FROM payments').get() as { time: number; time_own: number | null; first_seen: number };
    expect(row).toEqual({ time: row.first_seen, time_own: null, first_seen: Date.parse(paid.payments[0].time) });
  });

  it("under Fulcrum's batch cap the watcher slows down instead of reconnecting, and reaches synced", async () => {
    // Answers held 100 ms (notification batching) keep items in flight; the window starts over the cap on purpose.
    const { sb, app, api } = await setup({ notifyIntervalMs: 100, maxBatchInFlight: 345 }, { pacing: { initialWindow: 600, maxWindow: 600, batchSize: 200 } }, undefined, 3000);
    const info = (await api.get('/sysinfo')).body.chain;
    expect(info).toMatchObject({ connected: true, synced: true, watch: { subscribed: 3000, scheduled: 0 } });
    expect(sb.sb.server.stats.batchRefusals).toBeGreaterThan(0);
    expect(app.watcher!.stats.connects).toBe(1);
  });

  it("past the server's subscription cap the rest is checked on a schedule, sysinfo says so, and payments are seen", async () => {
    const { sb, app, api } = await setup({ maxSubs: 500 }, { overflowCheckMs: 300 }, undefined, 800);
    const info = (await api.get('/sysinfo')).body.chain;
    expect(app.watcher!.stats.connects).toBe(1);
    expect(info).toMatchObject({ synced: true, watch: { subscribed: 500, scheduled: 300, scheduled_every_s: 0, subscription_cap: 500 } });
    // The last pool addresses are past the cap; an invoice takes the first free one, so pay a late one directly.
    const addrs = (await api.get('/addresses?state=free&limit=500')).body.addresses as { address: string }[];
    const target = addrs[addrs.length - 1]!.address;
    await sb.control('POST', '/pay', { address: target, sats: 12_345 });
    const unattributed = await waitFor(async () => (await api.get('/payments/unattributed')).body, (b: any) => JSON.stringify(b).includes(target), 'seen by a scheduled check', 10_000);
    expect(JSON.stringify(unattributed)).toContain('12345');
  });

  it('spreads subscriptions over several sessions when one session may hold only so many (ElectrumX cost)', async () => {
    const { sb, app, api } = await setup({}, { sessions: { budget: 500 } }, undefined, 1400);
    const info = (await api.get('/sysinfo')).body.chain;
    expect(info).toMatchObject({ synced: true, watch: { subscribed: 1400, scheduled: 0 } });
    // At least 3 sessions of at most 500 (batches do not always fill a session to the last place).
    expect(info.watch.sessions).toBeGreaterThanOrEqual(3);
    expect(sb.sb.server.sessionCount).toBe(info.watch.sessions);
    const addrs = (await api.get('/addresses?state=free&limit=500')).body.addresses as { address: string }[];
    const last = addrs[addrs.length - 1]!.address; // the 500th: first session; pay one on the last session too
    const all = app.db.prepare('SELECT address FROM addresses ORDER BY id DESC LIMIT 1').get() as { address: string };
    for (const a of [last, all.address]) await sb.control('POST', '/pay', { address: a, sats: 11_111 });
    await waitFor(async () => JSON.stringify((await api.get('/payments/unattributed')).body), (b) => b.includes(last) && b.includes(all.address), 'both seen', 10_000);
    expect(app.watcher!.stats.connects).toBe(1);
  });
});
