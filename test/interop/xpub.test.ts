/**
 * Derived addresses with history are never handed out — on the real stack (Bitcoin Core + Fulcrum, test/interop/
 * stack.ts): bitcoind's wallet pays /0/0 and /0/3 of a fresh xpub and mines them before the xpub is set up. The next
 * invoices get /0/4 and /0/5 and stay unpaid through new blocks; the two old payments are wallet history
 * (unattributed), and the header chain, anchored on regtest's genesis, verified every block Core mined.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWalletSource } from '../../src/core/wallet/source.ts';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import { freshTpub } from '../helpers/keys.ts';
import { waitFor } from '../helpers/wait.ts';
import type { App } from '../../src/node/app.ts';
import { skipReason, startStack, type Stack } from './stack.ts';

const why = skipReason();
if (why) {
  console.log(`interop (xpub) skipped: ${why}`);
  describe.skip('interop: xpub with history', () => it('needs the real stack', () => {}));
} else {
  describe('interop: an xpub whose addresses bitcoind already paid (Fulcrum)', () => {
    let stack: Stack;
    let app: App;
    let api: ApiClient;
    const tpub = freshTpub();
    const derive = (i: number): string => parseWalletSource(tpub, 'regtest').addressAt(i).address;
    const txids: string[] = [];

    beforeAll(async () => {
      stack = await startStack('fulcrum', { poll: 1 });
      txids.push(await stack.wallet('sendtoaddress', derive(0), '0.0004'));
      txids.push(await stack.wallet('sendtoaddress', derive(3), '0.0003'));
      await stack.mine(1);
      ({ app, api } = await startTestApp({ electrum: [stack.url], watcher: { connection: { backoff: { baseMs: 200, capMs: 2000 } } } }));
    }, 240_000);
    afterAll(async () => {
      await app?.close();
      await stack?.down();
    }, 120_000);

    it('the next invoices get unused addresses and stay unpaid; the old payments are wallet history', async () => {
      // Fulcrum indexes Core's last block within its poll interval: wait until our verified headers reach it.
      const height = await stack.height();
      const chain = await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c) => c.synced && c.headers?.verified_height === height, 'headers at Core’s tip', 60_000);
      expect(chain.headers).toMatchObject({ state: 'verified', verified_height: height, checkpoint_height: 0 });
      expect((await api.call('PUT', '/wallet', { xpub: tpub })).status).toBe(200);
      await waitFor(async () => (await api.get('/wallet')).body, (w) => w.next_index === 4, 'next index past /0/3', 60_000);
      const invs = [];
      for (let i = 0; i < 2; i++) invs.push((await api.post('/invoices', { amount_sats: 30_000 + i })).body);
      expect(invs.map((i) => i.address)).toEqual([derive(4), derive(5)]);
      const old = await waitFor(async () => (await api.get('/payments/unattributed')).body.payments, (p) => p.length === 2, 'wallet history', 60_000);
      expect(old.map((p: { txid: string }) => p.txid).sort()).toEqual([...txids].sort());
      expect(old.every((p: { confirmations: number }) => p.confirmations >= 1)).toBe(true);
      await stack.mine(2);
      await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c) => c.synced && c.tip_height === c.headers.verified_height, 'synced after 2 blocks', 60_000);
      for (const inv of invs) expect((await api.get(`/invoices/${inv.id}`)).body).toMatchObject({ status: 'unpaid', payments: [] });
      const ev = app.db.prepare("SELECT event_json(data) AS data FROM events WHERE type = 'wallet.history_found'").get() as { data: string };
      expect(JSON.parse(ev.data)).toMatchObject({ indexes: [0, 3], next_index: 4 });
    }, 240_000);
  });
}
