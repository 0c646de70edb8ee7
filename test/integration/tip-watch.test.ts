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
import { FULL_PASS_MS, TipWatch } from '../../src/node/watcher/tip-watch.ts';
import type { Subscriptions } from '../../src/node/watcher/subscriptions.ts';
import type { TipPlan } from '../../src/node/watcher/header-sync.ts';
import type { ElectrumClient } from '../../src/node/electrum/index.ts';
import { migrate, openDatabase } from '../../src/node/store/sqlite.ts';
import { tempDir } from '../helpers/api.ts';

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
      await mine();
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

describe('a restart at the same tip', () => {
  it('the first block after it goes on from the pass the connection started with', async () => {
    const first = await startTestApp({ electrum: [sandbox.sb.electrumTcpUrl] });
    const dataDir = first.dataDir;
    try {
      expect((await first.api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
      for (let i = 0; i < 5; i++) expect((await first.api.post('/invoices', { amount_sats: 10_000 + i })).status).toBe(201);
      await first.app.watcher!.waitSynced(15_000);
    } finally {
      await first.app.close();
    }
    // The chain did not move meanwhile: the new connection has no tip to catch up with, only its pass to run.
    const { app } = await startTestApp({ electrum: [sandbox.sb.electrumTcpUrl], dataDir });
    try {
      await app.watcher!.waitSynced(15_000);
      const rec = recordStatements(app.db);
      const { height } = (await sandbox.control<{ height: number }>('POST', '/mine', { blocks: 1 })).body;
      await waitFor(() => app.service.tipHeight() === height && app.watcher!.isSynced(), Boolean, `tip ${height} recorded and synced`);
      const executed = rec.stop();
      expect(executed.some((e) => /p\.height > @low AND p\.height <= @high/.test(e.sql))).toBe(true);
      expect(executed.filter((e) => /state IN \('in_use', 'free'\) AND id > @after/.test(e.sql))).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

describe('which tips run the full pass', () => {
  // A real store; the subscriptions only count the passes asked of them.
  const setup = (): { tw: TipWatch; passes: () => number; tip: (height: number, reorg?: boolean, follow?: boolean) => Promise<void> } => {
    const db = openDatabase(`${tempDir()}/tw.sqlite`);
    migrate(db);
    let passes = 0;
    const subs = { subscribeWatched: async () => void passes++, drop: async () => {} } as unknown as Subscriptions;
    const tw = new TipWatch(db, () => Date.now(), subs);
    const tip = (height: number, reorg = false, follow = true): Promise<void> =>
      tw.afterTip({} as ElectrumClient, () => true, { newTip: { height, hash: `h${height}` }, reorg, more: false, fork: height - 1, oldTip: height - 1, checked: [] } as unknown as TipPlan, follow);
    return { tw, passes: () => passes, tip };
  };

  it('the first block after the connection’s own pass does not repeat it; one before any pass does', async () => {
    const a = setup();
    await a.tw.firstPass(100, async () => {});
    await a.tip(101);
    await a.tip(102);
    expect(a.passes()).toBe(0);
    const b = setup();
    await b.tw.firstPass(0, async () => {}); // no tip recorded yet when the connection started
    await b.tip(1);
    expect(b.passes()).toBe(1);
    const c = setup();
    await c.tip(7); // no first pass on this connection
    expect(c.passes()).toBe(1);
  });

  it('a reorg among tips it did not follow makes the next followed tip a full pass, once', async () => {
    const w = setup();
    await w.tw.firstPass(100, async () => {
      await w.tip(101, true, false); // recorded while the first pass ran
    });
    await w.tip(101);
    expect(w.passes()).toBe(1);
    await w.tip(102);
    expect(w.passes()).toBe(1);
    await w.tip(103, false, false); // a part of a long sync, no reorg: nothing to do
    await w.tip(104);
    expect(w.passes()).toBe(1);
    await w.tip(105, true);
    expect(w.passes()).toBe(2);
  });
});
