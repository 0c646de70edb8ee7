/**
 * Interop with the real Electrum 4.3.4 wallet (Debian `electrum`): the sandbox must satisfy a client that verifies
 * statuses, merkle proofs and header links. One daemon per transport (TCP, TLS), each on a fresh -D.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptHashOfScript } from '../../src/core/chain/index.ts';
import { addressToScript } from '../../src/sandbox/tx.ts';
import { ElectrumDaemon, btcToSats, electrumOrSkip, newVprvAccount, type ElectrumTx } from '../helpers/electrum-wallet.ts';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';

const gate = electrumOrSkip();

for (const transport of ['tcp', 'tls'] as const) {
  describe.skipIf(gate.skip)(`Electrum 4.3.4 against the sandbox over ${transport.toUpperCase()}`, () => {
    let t: TestSandbox;
    let el: ElectrumDaemon;
    const acct = newVprvAccount();
    const evidence: string[] = [];

    /** The sandbox's view of the Electrum wallet: balance over all its addresses, and each tx's height. */
    async function sandboxView(): Promise<{ confirmed: number; unconfirmed: number; heights: Record<string, number> }> {
      let confirmed = 0;
      let unconfirmed = 0;
      const heights: Record<string, number> = {};
      for (const a of addrs ?? (addrs = await el.addresses())) {
        const sh = scriptHashOfScript(addressToScript(a));
        const b = t.sb.chain.balance(sh);
        confirmed += b.confirmed;
        unconfirmed += b.unconfirmed;
        for (const h of t.sb.chain.history(sh)) heights[h.tx_hash] = h.height > 0 ? h.height : 0;
      }
      return { confirmed, unconfirmed, heights };
    }

    let addrs: string[] | null = null;
    /** Local txs (height -2) are ones Electrum keeps after the server dropped them: not part of the server's view. */
    const LOCAL = -2;

    /** Wait until Electrum's server-derived balance and per-tx heights equal the sandbox's. */
    async function agree(what: string): Promise<{ confirmed: number; unconfirmed: number; history: ElectrumTx[] }> {
      addrs = null;
      let view = await sandboxView();
      await el.until(
        async () => {
          view = await sandboxView();
          const [b, h, info] = [await el.balance(), await el.history(), await el.getinfo()];
          return { b, h, info };
        },
        ({ b, h, info }) => {
          const tip = t.sb.chain.height;
          if (info.blockchain_height !== tip) return false;
          // confirmed entries count only once Electrum verified their merkle proof against its headers
          if (h.some((x) => x.height > 0 && x.confirmations !== tip - x.height + 1)) return false;
          const local = h.filter((x) => x.height === LOCAL).reduce((n, x) => n + btcToSats(x.bc_value), 0);
          if (b.confirmed + b.unconfirmed - local !== view.confirmed + view.unconfirmed) return false;
          const eh: Record<string, number> = {};
          for (const x of h) if (x.height !== LOCAL) eh[x.txid] = x.height > 0 ? x.height : 0;
          return JSON.stringify(Object.entries(eh).sort()) === JSON.stringify(Object.entries(view.heights).sort());
        },
        what,
        20_000,
        4, // a reorg passes through transient states (Electrum backs off to the fork point): require a stable match
      );
      const b = await el.balance();
      const history = await el.history();
      evidence.push(`${what}: electrum getbalance confirmed=${b.confirmed} unconfirmed=${b.unconfirmed}; history ${history.map((x) => `${x.txid.slice(0, 8)}@${x.height}/${x.confirmations}conf`).join(', ')}`);
      return { ...b, history };
    }

    beforeAll(async () => {
      t = await startTestSandbox();
      const port = transport === 'tcp' ? t.sb.tcpPort : t.sb.tlsPort;
      el = await ElectrumDaemon.start(`127.0.0.1:${port}:${transport === 'tcp' ? 't' : 's'}`);
      await el.restoreAndLoad(acct.vprv);
      await el.until(() => el.getinfo(), (i) => i.connected && i.server_height === t.sb.chain.height, 'connected at the sandbox tip');
      await el.until(() => el.synchronized(), (s) => s, 'is_synchronized');
    }, 60_000);

    afterAll(async () => {
      console.log(`[interop ${transport}]\n  ${evidence.join('\n  ')}`);
      await el?.stop();
      await t?.close();
    });

    it('derives the same addresses as bitcoinjs-lib + bip32 from the vprv', async () => {
      const addrs = await el.addresses();
      expect(addrs.slice(0, 20)).toEqual(acct.receive);
      expect(addrs).toEqual(expect.arrayContaining(acct.change));
    });

    it('sees a sandbox payment unconfirmed, then confirmed and SPV-verified after /mine', async () => {
      const { body } = await t.control<{ txid: string }>('POST', '/pay', { address: acct.receive[0], sats: 100_000_000 });
      const un = await el.until(() => el.balance(), (b) => b.unconfirmed === 100_000_000, 'unconfirmed 1 BTC');
      expect(un).toEqual({ confirmed: 0, unconfirmed: 100_000_000 });
      await t.control('POST', '/mine', { blocks: 1 });
      const c = await agree('after /pay 1 BTC + /mine');
      expect(c.confirmed).toBe(100_000_000);
      const tx = c.history.find((h) => h.txid === body.txid)!;
      expect(tx.confirmations).toBe(1);
      expect(tx.height).toBe(t.sb.chain.height);
      expect(typeof tx.txpos_in_block).toBe('number'); // set only once Electrum verified the merkle proof
    });

    it('Electrum payto + broadcast lands in the sandbox mempool, then both agree after /mine', async () => {
      const raw = await el.w(['payto', t.sb.walletAddress, '0.25']);
      const txid = await el.run(['broadcast', raw]);
      expect(txid).toMatch(/^[0-9a-f]{64}$/);
      expect(t.sb.status().mempool).toContain(txid);
      await agree('after Electrum payto 0.25 + broadcast');
      await t.control('POST', '/mine', { blocks: 2 });
      const c = await agree('after /mine 2');
      expect(c.history.find((h) => h.txid === txid)!.confirmations).toBe(2);
      expect(c.unconfirmed).toBe(0);
    });

    it('follows a reorg: reorged txs go back to unconfirmed, then confirm at new heights', async () => {
      const before = t.sb.chain.tip.hash;
      await t.control('POST', '/reorg', { depth: 3 });
      expect(t.sb.chain.tip.hash).not.toBe(before);
      const r = await agree('after /reorg depth 3');
      expect(r.history.every((h) => h.height <= 0)).toBe(true);
      const info = await el.getinfo();
      expect(info.blockchain_height).toBe(t.sb.chain.height);
      await t.control('POST', '/mine', { blocks: 1 });
      const c = await agree('after /mine following the reorg');
      expect(c.history.every((h) => h.confirmations === 1)).toBe(true);
    });

    it('follows an RBF double-spend of an incoming payment', async () => {
      const { body } = await t.control<{ txid: string }>('POST', '/pay', { address: acct.receive[1], sats: 10_000_000, rbf: true });
      await el.until(() => el.history(), (h) => h.some((x) => x.txid === body.txid), 'incoming RBF payment seen');
      const { body: repl } = await t.control<{ txid: string }>('POST', '/double-spend', { txid: body.txid });
      expect(repl.txid).not.toBe(body.txid);
      const r = await agree('after /double-spend of an incoming 0.1 BTC');
      // Electrum 4.3.4 keeps a transaction the server dropped as "local" (height -2), as it would with ElectrumX
      expect(r.history.find((h) => h.txid === body.txid)?.height).toBe(LOCAL);
      await el.removeLocalTx(body.txid);
      const after = await agree('after removelocaltx of the replaced payment');
      expect(after.history.some((h) => h.txid === body.txid)).toBe(false);
      expect(after.unconfirmed).toBe(0);
      await t.control('POST', '/mine', { blocks: 1 });
      await agree('after /mine following the double-spend');
    });
  });
}
