/**
 * A new block changes the watch set only where it moves the confirmation horizon (src/node/watcher/tip-watch.ts): a
 * plain block reads the payments it passed, not every watched address; what leaves the set for other reasons (a
 * cancelled invoice) is unsubscribed by the full pass, which runs again once FULL_PASS_MS have gone by. Against the
 * sandbox over real sockets; time moves through the app's clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { startTestApp } from '../helpers/api.ts';
import { freshTpub } from '../helpers/keys.ts';
import { waitFor } from '../helpers/wait.ts';
import { recordStatements } from '../helpers/statements.ts';
import { FULL_PASS_MS } from '../../src/node/watcher/tip-watch.ts';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

describe('what a new block does to the watch set', () => {
  it('a plain block reads what it passed; a settled address leaves when its payment passes, a cancelled one at the next full pass', async () => {
    let offset = 0;
    const { app, api } = await startTestApp({ electrum: [sandbox.sb.electrumTcpUrl], clock: { now: () => Date.now() + offset } });
    try {
      expect((await api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
      await app.watcher!.waitSynced(15_000);
      const open = [];
      for (let i = 0; i < 30; i++) open.push((await api.post('/invoices', { amount_sats: 10_000 + i })).body as { id: string; address: string });
      const paid = (await api.post('/invoices', { amount_sats: 50_000, confirmations: 1 })).body as { id: string; address: string };
      const cancelled = (await api.post('/invoices', { amount_sats: 60_000 })).body as { id: string };
      await app.watcher!.waitSynced(10_000);
      await sandbox.control('POST', '/pay', { address: paid.address, sats: 50_000 });
      await waitFor(async () => (await api.get(`/invoices/${paid.id}`)).body.status, (s) => s === 'paid', 'paid');
      const tipIs = async (h: number): Promise<void> => {
        await waitFor(() => app.service.tipHeight() === h && app.watcher!.isSynced(), Boolean, `tip ${h} recorded and synced`);
      };
      const mine = async (): Promise<void> => tipIs((await sandbox.control<{ height: number }>('POST', '/mine', { blocks: 1 })).body.height);
      await mine(); // the connection's first block: a full pass
      expect((await api.get(`/invoices/${paid.id}`)).body.status).toBe('confirmed');
      expect((await api.post(`/invoices/${cancelled.id}/cancel`)).status).toBe(200);
      const watched = (): number => app.watcher!.status().watch!.subscribed;
      const before = watched();
      expect(before).toBeGreaterThan(31);

      const rec = recordStatements(app.db);
      await mine();
      const executed = rec.stop();
      // No pass over the 30-odd open invoices' addresses: the watched-set queries did not run.
      expect(executed.filter((e) => /state IN \('in_use', 'free'\) AND id > @after/.test(e.sql))).toEqual([]);
      expect(executed.some((e) => /p\.height > @low AND p\.height <= @high/.test(e.sql))).toBe(true);
      expect(watched()).toBe(before);

      // The paid invoice's payment passes the horizon (6 blocks): its address leaves at that block.
      for (let i = 0; i < 4; i++) await mine();
      await waitFor(watched, (n) => n === before - 1, 'the settled address unsubscribed');
      const unsubscribed = app.watcher!.stats.unsubscriptions;

      // The cancelled invoice's address left by a write: the next full pass, once FULL_PASS_MS have gone by, drops it.
      await mine();
      expect(app.watcher!.stats.unsubscriptions).toBe(unsubscribed);
      offset += FULL_PASS_MS;
      await mine();
      await waitFor(watched, (n) => n === before - 2, 'the cancelled invoice’s address unsubscribed');
      expect((await api.post('/invoices', { amount_sats: 70_000 })).status).toBe(201);
      await app.watcher!.waitSynced(10_000);
      expect(watched()).toBe(before - 1);
    } finally {
      await app.close();
    }
  });
});
