/**
 * The watcher against the sandbox behaving like real servers (src/sandbox/fidelity.ts): notifications on a polling
 * schedule with late subscribe answers coalesced into the same write, chains that get shorter with and without a
 * notification, statuses that trail their histories during reorg bursts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import { freshTpub } from '../helpers/keys.ts';
import { waitFor } from '../helpers/wait.ts';
import type { App, AppOptions } from '../../src/node/app.ts';
import type { ServerProfile } from '../../src/sandbox/index.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function setup(profile: Partial<ServerProfile>, watcher: AppOptions['watcher'] = {}): Promise<{ sb: TestSandbox; app: App; api: ApiClient }> {
  const sb = await startTestSandbox({ profile });
  open.push(sb);
  const { app, api } = await startTestApp({
    electrum: [sb.sb.electrumTcpUrl],
    watcher: { connection: { backoff: { baseMs: 100, capMs: 1000 }, badServerCooldownMs: 1000 }, ...watcher },
  });
  open.push(app);
  expect((await api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
  await app.watcher!.waitSynced(15_000);
  return { sb, app, api };
}

const invoice = async (api: ApiClient, body: Record<string, unknown>) => {
  const r = await api.post('/invoices', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; address: string };
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
      expect((await api.get('/sysinfo')).body.chain.tip_height).toBe(tip - 1);
      expect(app.watcher!.stats.reorgs).toBe(1);
    });
  }
});
