/**
 * The xpub cases on mainnet, testnet and signet settings (a chain mined under each network's rules with a checkpoint
 * of the test's own, test/helpers/hostile-world.ts): the merchant's wallet already paid /0/0 long ago (mined below
 * the checkpoint) and /0/1 just before setup (mined above it). Setting the xpub must find both, hand out /0/2, keep
 * the old payments as wallet history (the old one unverified, below the anchor) and keep the new invoice unpaid
 * (no callback carries its order; the payment below the anchor is never called back), while the server stays in use.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { address as baddress } from 'bitcoinjs-lib';
import { scriptHashOfScript } from '../../src/core/chain/index.ts';
import { bip32 } from '../../src/core/ecc.ts';
import { parseWalletSource } from '../../src/core/wallet/source.ts';
import { NETS, World, events, payTx, satdesk } from '../helpers/hostile-world.ts';
import { waitFor } from '../helpers/wait.ts';
import { invoiceIdOf } from '../../src/node/store/chain-sql.ts';

describe.each(NETS)('$network settings: an xpub whose first addresses were paid before setup', ({ network, net }) => {
  it('finds them, hands out the next unused address, keeps the old payments as wallet history and pays nothing', async () => {
    const w = new World(network);
    const coin = network === 'mainnet' ? 0 : 1;
    const xpub = bip32.fromSeed(crypto.randomBytes(32), net).derivePath(`m/84'/${coin}'/0'`).neutered().toBase58();
    const derive = (i: number): string => parseWalletSource(xpub, network).addressAt(i).address;
    const script = (i: number): Uint8Array => baddress.toOutputScript(derive(i), net);
    // /0/0 paid long ago (below the checkpoint), /0/1 paid and mined just before setup.
    const old = payTx(script(0), 70_000n, 4);
    const recent = payTx(script(1), 30_000n, 5);
    for (const tx of [old, recent]) w.txs.set(tx.getId(), tx.toHex());
    w.histories.set(scriptHashOfScript(script(0)), [{ tx_hash: old.getId(), height: 100 }]);
    w.histories.set(scriptHashOfScript(script(1)), [{ tx_hash: recent.getId(), height: w.mine(recent) }]);
    const s = await w.server();
    const { app, api, rx } = await satdesk(w, [s], null);
    await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c) => c.synced && c.headers?.state === 'verified', 'verified and synced');

    expect((await api.call('PUT', '/wallet', { xpub })).status).toBe(200);
    const wallet = await waitFor(async () => (await api.get('/wallet')).body, (x) => x.next_index === 2, 'next index past the used addresses');
    expect(wallet.gap).toBe(0);
    expect(events(app, 'wallet.history_found').at(-1)).toMatchObject({ indexes: [0, 1], next_index: 2 });
    const inv = (await api.post('/invoices', { amount_sats: 30_000, confirmations: 1 })).body;
    expect(inv.address).toBe(derive(2));

    const kept = await waitFor(async () => (await api.get('/payments/unattributed')).body.payments, (p) => p.length === 2, 'old payments kept');
    expect(kept.map((p: { txid: string }) => p.txid).sort()).toEqual([old.getId(), recent.getId()].sort());
    const rows = app.db.prepare(`SELECT lower(hex(p.txid)) AS txid, ${invoiceIdOf('p')} AS invoice_id, p.verified, p.below_anchor FROM payments p ORDER BY p.txid`).all();
    expect(rows).toEqual(
      [
        { txid: old.getId(), invoice_id: null, verified: 0, below_anchor: 1 },
        { txid: recent.getId(), invoice_id: null, verified: 1, below_anchor: 0 },
      ].sort((a, b) => a.txid.localeCompare(b.txid)),
    );

    // A block later the invoice is still unpaid, nothing was called back and the server was never left.
    const tip = w.mine();
    s.notifyTip();
    await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c) => c.synced && c.tip_height === tip, 'the next block');
    expect((await api.get(`/invoices/${inv.id}`)).body).toMatchObject({ status: 'unpaid', paid_sats: 0, payments: [] });
    // Only the payment mined above the checkpoint is announced, as unattributed (userdata ""); the old one never is.
    await rx.waitFor(2);
    const told = rx.requests.map((r) => (JSON.parse(r.body) as { signed_data: { txhash: string; userdata: string; confirmations: number } }).signed_data);
    expect(told.map((d) => [d.txhash, d.userdata, d.confirmations]).sort((a, b) => Number(a[2]) - Number(b[2]))).toEqual([
      [recent.getId(), '', 0],
      [recent.getId(), '', 1],
    ]);
    // The planner has looked at the old payment (done with it) and planned nothing for it.
    expect(app.db.prepare('SELECT plan_done FROM payments WHERE txid = unhex(?)').get(old.getId())).toEqual({ plan_done: 1 });
    expect(app.db.prepare('SELECT COUNT(*) AS n FROM notifications WHERE payment_id = (SELECT id FROM payments WHERE txid = unhex(?))').get(old.getId())).toEqual({ n: 0 });
    expect(events(app, 'chain.refused')).toEqual([]);
    expect((await api.get('/sysinfo')).body.chain).toMatchObject({ connected: true, server: s.url });
  });
});
