/**
 * What a server says about addresses, against the checked header chain: a payment in a block below the checkpoint
 * our chain starts from is kept as unverified wallet history — never counted, never a reason to leave an honest
 * server — and watching goes on (src/node/watcher/history.ts, src/core/attribution.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Transaction, address as baddress, networks } from 'bitcoinjs-lib';
import { REGTEST_GENESIS_HEADER, scriptHashOfScript } from '../../src/core/chain/index.ts';
import { anchorContext, checkpointFor, type Checkpoint } from '../../src/core/chain/checkpoints.ts';
import { CHAIN_RULES } from '../../src/core/chain/work.ts';
import { startTestApp } from '../helpers/api.ts';
import { mineChain, mineHeader } from '../helpers/chain-gen.ts';
import { startHostileElectrum, type HistoryItem } from '../helpers/hostile-electrum.ts';
import { waitFor } from '../helpers/wait.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

const rules = CHAIN_RULES.regtest;
const POOL = 'bcrt1qn7d2x7272lznt5hhk9s07q3cqnrqljnwladrd3';
const script = baddress.toOutputScript(POOL, networks.regtest);
const sh = scriptHashOfScript(script);

function payTx(tag: number, sats: bigint): Transaction {
  const tx = new Transaction();
  tx.addInput(new Uint8Array(32).fill(tag), 0);
  tx.addOutput(script, sats);
  return tx;
}

describe('history below the anchor', () => {
  it('an old payment below the checkpoint is kept unattributed and unverified; the server stays; a new payment confirms', async () => {
    // A regtest chain of 4032 headers; our checkpoint is its header 4031, so our chain starts at 2016.
    const g = anchorContext(checkpointFor('regtest'), REGTEST_GENESIS_HEADER);
    const old = payTx(1, 70_000n);
    const first = mineChain(rules, g, 99, { spacing: 600 });
    const b100 = mineHeader(rules, first.ctx, { merkleRoot: old.getId() });
    const rest = mineChain(rules, b100.ctx, 4031 - 100, { spacing: 600 });
    const hex = [REGTEST_GENESIS_HEADER, ...first.headers.map((h) => h.hex), b100.header.hex, ...rest.headers.map((h) => h.hex)];
    expect(hex).toHaveLength(4032);
    const cp: Checkpoint = { ...checkpointFor('regtest'), height: 4031, hash: rest.ctx.hash, bits: 0x207fffff, nextBits: 0x207fffff, chainwork: rest.ctx.chainwork, source: 'test' };
    const history: HistoryItem[] = [{ tx_hash: old.getId(), height: 100 }];
    const fresh = payTx(2, 25_000n);
    const s = await startHostileElectrum({
      genesis: cp.genesis,
      headerAt: (h) => hex[h] ?? null,
      tip: () => hex.length - 1,
      histories: new Map([[sh, history]]),
      txs: new Map([[old.getId(), old.toHex()], [fresh.getId(), fresh.toHex()]]),
      merkle: (txid, height) => ({ block_height: height, merkle: [], pos: 0 }),
    });
    open.push(s);
    const t = await startTestApp({ network: 'regtest', electrum: [s.url], watcher: { headers: { checkpoint: cp }, connection: { backoff: { baseMs: 100, capMs: 1000 } } } });
    open.push({ close: () => t.app.close() });
    expect((await t.api.post('/addresses', { addresses: [POOL] })).status).toBe(200);
    await t.app.watcher!.waitSynced(20_000);
    const old1 = await waitFor(async () => (await t.api.get('/payments/unattributed')).body.payments, (p) => p.length === 1, 'the old payment recorded');
    expect(old1[0]).toMatchObject({ txid: old.getId(), sats: 70_000, confirmations: 0 });
    expect(t.app.db.prepare('SELECT verified, below_anchor, invoice_seq FROM payments').get()).toEqual({ verified: 0, below_anchor: 1, invoice_seq: null });
    const info = (await t.api.get('/sysinfo')).body.chain;
    expect(info).toMatchObject({ connected: true, synced: true, error: null });
    expect(info.headers).toMatchObject({ state: 'verified', verified_height: 4031 });
    expect(t.app.db.prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'chain.refused'").get()).toEqual({ n: 0 });
    // Watching goes on: an invoice on the address, a new payment in a new block, confirmed.
    const inv = (await t.api.post('/invoices', { amount_sats: 25_000 })).body;
    const b = mineHeader(rules, rest.ctx, { merkleRoot: fresh.getId(), time: Math.floor(Date.now() / 1000) });
    hex.push(b.header.hex);
    history.push({ tx_hash: fresh.getId(), height: 4032 });
    s.notifyTip();
    s.notifyScripthash(sh);
    const done = await waitFor(async () => (await t.api.get(`/invoices/${inv.id}`)).body, (i) => i.status === 'confirmed', 'confirmed');
    expect(done.payments).toMatchObject([{ txid: fresh.getId(), height: 4032, confirmations: 1 }]);
    expect(t.app.db.prepare('SELECT COUNT(*) AS n FROM payments WHERE invoice_seq IS NOT NULL').get()).toEqual({ n: 1 });
  });
});
