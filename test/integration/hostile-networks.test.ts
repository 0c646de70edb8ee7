/**
 * The hostile cases on mainnet, testnet and signet settings (issue cases: a liar among honest servers, a stalled
 * server, a forged mempool payment, history below the anchor). Those networks' real chains cannot be served here, so
 * each test mines a chain under that network's own retarget rules at regtest difficulty (`cheapRules`, real proof of
 * work) and gives Satdesk a checkpoint of its own on it; the servers are test/helpers/hostile-electrum.ts over that
 * chain, honest or lying. None may produce `paid`/`confirmed` from a lie, a callback for one, or a crash; each ends
 * with its reason in sysinfo and the event stream.
 */
import { describe, expect, it } from 'vitest';
import { address as baddress, type Network } from 'bitcoinjs-lib';
import { scriptHashOfScript } from '../../src/core/chain/index.ts';
import type { HistoryItem } from '../helpers/hostile-electrum.ts';
import { NETS, World, events, payTx, satdesk } from '../helpers/hostile-world.ts';
import { waitFor } from '../helpers/wait.ts';

describe.each(NETS)('$network settings (a chain mined under its rules, a checkpoint of the test’s own)', ({ network, net, address }) => {
  const script = (n: Network): Uint8Array => baddress.toOutputScript(address, n);

  it('a liar adding 10 to the tip is refused; the honest server confirms a payment proven against our headers', async () => {
    const w = new World(network);
    const liar = await w.server({ lie: 10 });
    const honest = await w.server();
    const { app, api, rx } = await satdesk(w, [liar, honest], address);
    await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c) => c.synced && c.server === honest.url, 'synced on the honest server');
    expect(events(app, 'chain.refused').some((e) => /claims a tip at \d+ but has no headers/.test(e.reason!))).toBe(true);
    const inv = (await api.post('/invoices', { amount_sats: 40_000, confirmations: 1 })).body;
    const tx = payTx(script(net), 40_000n, 1);
    w.txs.set(tx.getId(), tx.toHex());
    const sh = scriptHashOfScript(script(net));
    w.histories.set(sh, [{ tx_hash: tx.getId(), height: w.mine(tx) }]);
    honest.notifyTip();
    honest.notifyScripthash(sh);
    await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body, (i) => i.status === 'confirmed', 'confirmed');
    await rx.waitFor(2);
  });

  it('a stalled server shows as not synced with a real lag, and is left once 3 verified blocks behind', async () => {
    const w = new World(network);
    let stalled = false;
    let frozen = 0;
    const slow = await w.server({ stalled: () => stalled, tip: () => (stalled ? frozen : w.hex.length - 1) });
    const other = await w.server();
    const { app, api } = await satdesk(w, [slow, other], address);
    await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c) => c.synced && c.cross_check?.lag_blocks === 0, 'synced, witness level');
    frozen = w.hex.length - 1;
    stalled = true;
    w.mine();
    other.notifyTip();
    const behind = await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c) => c.lag_blocks === 1, 'one verified block behind');
    expect(behind.synced).toBe(false);
    w.mine();
    w.mine();
    other.notifyTip();
    await waitFor(() => events(app, 'chain.alert'), (e) => e.some((x) => x.kind === 'behind'), 'left for being behind');
    await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c) => c.synced && c.server === other.url && c.tip_height === w.hex.length - 1, 'synced on the other server');
  });

  it('a mempool payment only one of two servers shows is never received, never called back, and is an alert', async () => {
    const w = new World(network);
    const forged = new Map<string, HistoryItem[]>();
    const forger = await w.server({ histories: forged });
    const honest = await w.server();
    const { app, api, rx } = await satdesk(w, [forger, honest], address);
    await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c) => c.synced && c.cross_check?.lag_blocks === 0, 'synced, witness level');
    const inv = (await api.post('/invoices', { amount_sats: 50_000, confirmations: 0 })).body;
    const tx = payTx(script(net), 50_000n, 2);
    w.txs.set(tx.getId(), tx.toHex());
    const sh = scriptHashOfScript(script(net));
    forged.set(sh, [{ tx_hash: tx.getId(), height: 0, fee: 200 }]);
    forger.notifyScripthash(sh);
    await waitFor(() => events(app, 'chain.alert'), (e) => e.some((x) => x.kind === 'omission'), 'the omission alert');
    expect((await api.get(`/invoices/${inv.id}`)).body).toMatchObject({ status: 'unpaid', paid_sats: 0 });
    expect(app.db.prepare('SELECT COUNT(*) AS n FROM notifications WHERE payment_id IS NOT NULL').get()).toEqual({ n: 0 });
    expect(rx.requests).toHaveLength(0);
  });

  it('history below the anchor is kept unverified and unattributed; the server stays and watching goes on', async () => {
    const w = new World(network);
    const sh = scriptHashOfScript(script(net));
    const old = payTx(script(net), 70_000n, 3);
    w.txs.set(old.getId(), old.toHex());
    w.histories.set(sh, [{ tx_hash: old.getId(), height: 100 }]);
    const s = await w.server();
    const { app, api, rx } = await satdesk(w, [s], address);
    await waitFor(async () => (await api.get('/payments/unattributed')).body.payments, (p) => p.length === 1, 'the old payment kept');
    expect(app.db.prepare('SELECT verified, below_anchor FROM payments').get()).toEqual({ verified: 0, below_anchor: 1 });
    // No callback: the planner is done with it and planned nothing (payment or event).
    await waitFor(async () => app.db.prepare('SELECT plan_done FROM payments').get() as { plan_done: number }, (p) => p.plan_done === 1, 'planned');
    expect(app.db.prepare('SELECT COUNT(*) AS n FROM notifications').get()).toEqual({ n: 0 });
    expect(rx.requests).toHaveLength(0);
    await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c) => c.synced && c.connected && c.headers.state === 'verified', 'still watching');
    expect(events(app, 'chain.refused')).toEqual([]);
  });
});
