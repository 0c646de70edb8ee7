/**
 * Hostile servers against header trust (src/node/watcher/header-sync.ts, docs/trust.md): a short chain, a chain of
 * its own with little work, a huge claimed tip with nothing behind it — on mainnet, testnet, signet and regtest
 * settings (regtest with a checkpoint of the test's own). None may produce `paid` or `confirmed`, a payment, a
 * callback or a crash; each ends with `chain.headers.state` = `refused`, the reason in sysinfo and a `chain.refused`
 * event. And the honest side: a chain that leads through the checkpoint confirms a payment proven against it.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Transaction, address as baddress, networks } from 'bitcoinjs-lib';
import fx from '../fixtures/chain-headers.json' with { type: 'json' };
import { REGTEST_GENESIS_HEADER, scriptHashOfScript } from '../../src/core/chain/index.ts';
import { anchorContext, checkpointFor, type Checkpoint } from '../../src/core/chain/checkpoints.ts';
import { CHAIN_RULES, type HeaderContext } from '../../src/core/chain/work.ts';
import type { NetworkName } from '../../src/core/network.ts';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import { startReceiver, type TestReceiver } from '../helpers/callbacks.ts';
import { mineChain, mineHeader } from '../helpers/chain-gen.ts';
import { startHostileElectrum, type HostileOptions, type HostileServer } from '../helpers/hostile-electrum.ts';
import { waitFor } from '../helpers/wait.ts';
import type { App } from '../../src/node/app.ts';

const H = fx.hostile;
const GENESIS: Record<NetworkName, string> = {
  mainnet: H.mainnetGenesis,
  testnet: H.testnetGenesis,
  signet: H.signetGenesis,
  regtest: REGTEST_GENESIS_HEADER,
};
const POOL_ADDRESS: Record<NetworkName, string> = {
  mainnet: '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa',
  testnet: H.madeUpTx.address,
  signet: H.madeUpTx.address,
  regtest: 'bcrt1qn7d2x7272lznt5hhk9s07q3cqnrqljnwladrd3',
};

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

interface Victim {
  app: App;
  api: ApiClient;
  rx: TestReceiver;
  invoices: { id: string; address: string }[];
}

/** A Satdesk watching `server` on `network` with an invoice on the pool address and an agent for 0/1-conf callbacks. */
async function victim(network: NetworkName, server: HostileServer, headers?: { checkpoint?: Checkpoint }): Promise<Victim> {
  const rx = await startReceiver();
  const t = await startTestApp({
    network,
    electrum: [server.url],
    watcher: { connection: { backoff: { baseMs: 200, capMs: 2000 }, badServerCooldownMs: 60_000 }, ...(headers ? { headers } : {}) },
  });
  open.push({ close: () => t.app.close() }, rx);
  expect((await t.api.post('/addresses', { addresses: [POOL_ADDRESS[network]] })).status).toBe(200);
  expect((await t.api.post('/agents', { name: 'shop', url: rx.url, thresholds: [0, 1] })).status).toBe(201);
  const inv = (await t.api.post('/invoices', { amount_sats: 2_100_000_000, confirmations: 1, userdata: 'order-21btc' })).body;
  return { ...t, rx, invoices: [inv] };
}

/** Waits for the refusal, then proves nothing the server said was used. */
async function expectRefused(v: Victim, server: HostileServer, reason: RegExp): Promise<void> {
  const info = await waitFor(async () => (await v.api.get('/sysinfo')).body, (s) => s.chain.headers?.state === 'refused', 'the chain refused');
  expect(info.chain.headers.reason).toMatch(reason);
  expect(info.chain.synced).toBe(false);
  const ev = v.app.db.prepare("SELECT event_json(data) AS data FROM events WHERE type = 'chain.refused' ORDER BY id DESC").get() as { data: string } | undefined;
  expect(JSON.parse(ev!.data).reason).toMatch(reason);
  for (const inv of v.invoices) expect((await v.api.get(`/invoices/${inv.id}`)).body).toMatchObject({ status: 'unpaid', paid_sats: 0, payments: [] });
  expect(v.app.db.prepare('SELECT COUNT(*) AS n FROM payments').get()).toEqual({ n: 0 });
  expect(v.app.db.prepare('SELECT COUNT(*) AS n FROM notifications').get()).toEqual({ n: 0 });
  expect(v.rx.requests).toHaveLength(0);
  // Nothing of the server's addresses view was even asked for: no history, transaction or proof.
  expect(server.requests.filter((r) => /get_history|transaction\.get|get_merkle/.test(r.method)).map((r) => r.method)).toEqual([]);
}

/** A hostile server over a fixed list of headers, with the made-up 21 BTC payment in its last block. */
function fixedChain(network: NetworkName, headers: string[], claim?: number): HostileOptions {
  const sh = scriptHashOfScript(baddress.toOutputScript(POOL_ADDRESS[network], network === 'mainnet' ? networks.bitcoin : network === 'regtest' ? networks.regtest : networks.testnet));
  const tip = headers.length - 1;
  return {
    genesis: checkpointFor(network).genesis,
    headerAt: (h) => headers[h] ?? null,
    tip: () => claim ?? tip,
    histories: new Map([[sh, [{ tx_hash: H.madeUpTx.txid, height: tip }]]]),
    txs: new Map([[H.madeUpTx.txid, H.madeUpTx.hex]]),
    merkle: (txid) => (txid === H.madeUpTx.txid ? { block_height: tip, merkle: [], pos: 0 } : null),
  };
}

describe('a short chain is refused: its work is below the checkpoint', () => {
  it('signet: the real genesis plus one header mined on a laptop, committing to a made-up 21 BTC payment', async () => {
    const s = await startHostileElectrum(fixedChain('signet', [H.signetGenesis, H.signetHeader1]));
    open.push(s);
    await expectRefused(await victim('signet', s), s, /ends at height 1, below the checkpoint at 308447/);
  });

  it('mainnet: the real genesis and the real block 1', async () => {
    const s = await startHostileElectrum(fixedChain('mainnet', [H.mainnetGenesis, H.mainnetBlock1]));
    open.push(s);
    await expectRefused(await victim('mainnet', s), s, /ends at height 1, below the checkpoint at 953567/);
  });

  it('testnet: the genesis alone', async () => {
    const s = await startHostileElectrum(fixedChain('testnet', [H.testnetGenesis]));
    open.push(s);
    await expectRefused(await victim('testnet', s), s, /ends at height 0, below the checkpoint at 5011775/);
  });
});

describe('a huge claimed tip costs nothing and proves nothing', () => {
  for (const network of ['mainnet', 'signet', 'testnet'] as const) {
    it(`${network}: claims height 1,000,000,000 with only its genesis behind it`, async () => {
      const s = await startHostileElectrum(fixedChain(network, [GENESIS[network]], 1_000_000_000));
      open.push(s);
      const v = await victim(network, s);
      await expectRefused(v, s, /has no headers .*not the chain of Satdesk's checkpoint/);
      expect((await v.api.get('/sysinfo')).body.chain.tip_height).toBeNull();
    });
  }

  it('regtest: valid headers up to 10,000, a claim of 1,000,000,000; verified page by page, then refused', async () => {
    const g = anchorContext(checkpointFor('regtest'), REGTEST_GENESIS_HEADER);
    const chain = [REGTEST_GENESIS_HEADER, ...mineChain(CHAIN_RULES.regtest, g, 10_000, { spacing: 60 }).headers.map((h) => h.hex)];
    const s = await startHostileElectrum(fixedChain('regtest', chain, 1_000_000_000));
    open.push(s);
    const v = await victim('regtest', s);
    await expectRefused(v, s, /claims a tip at 1000000000 but has no headers after 10000/);
    const info = (await v.api.get('/sysinfo')).body.chain;
    expect(info.headers).toMatchObject({ verified_height: 10_000, claimed_height: 1_000_000_000 });
    expect(info.tip_height === null || info.tip_height <= 10_000).toBe(true);
    expect(v.app.db.prepare('SELECT COUNT(*) AS n FROM headers').get()).toEqual({ n: 10_001 });
    // Never more than a page per request: the claimed height never sized anything.
    const pages = s.requests.filter((r) => r.method === 'blockchain.block.headers').map((r) => Number(r.params[1]));
    expect(Math.max(...pages)).toBeLessThanOrEqual(2016);
  });
});

describe('regtest with a checkpoint of the test’s own (2016 headers mined here)', () => {
  const rules = CHAIN_RULES.regtest;
  const g = anchorContext(checkpointFor('regtest'), REGTEST_GENESIS_HEADER);
  const real = mineChain(rules, g, 2015, { spacing: 600 });
  const realHex = [REGTEST_GENESIS_HEADER, ...real.headers.map((h) => h.hex)];
  const cp: Checkpoint = {
    ...checkpointFor('regtest'), height: 2015, hash: real.ctx.hash, bits: 0x207fffff, nextBits: 0x207fffff, chainwork: real.ctx.chainwork, chainworkExact: true, source: 'test',
  };

  it('a chain of the server’s own, longer than ours but not through the checkpoint, is refused', async () => {
    const other = mineChain(rules, g, 3000, { spacing: 600, merkleRoot: 'ab'.repeat(32) });
    const s = await startHostileElectrum(fixedChain('regtest', [REGTEST_GENESIS_HEADER, ...other.headers.map((h) => h.hex)]));
    open.push(s);
    await expectRefused(await victim('regtest', s, { checkpoint: cp }), s, /do not lead to the checkpoint at 2015/);
  });

  it('genesis plus one self-mined header is refused as short', async () => {
    const s = await startHostileElectrum(fixedChain('regtest', realHex.slice(0, 2)));
    open.push(s);
    await expectRefused(await victim('regtest', s, { checkpoint: cp }), s, /ends at height 1, below the checkpoint at 2015/);
  });

  it('the honest chain through the checkpoint confirms a payment proven against it', async () => {
    // A block above the checkpoint holding a payment to the invoice's address, with its merkle proof.
    const script = baddress.toOutputScript(POOL_ADDRESS.regtest, networks.regtest);
    const tx = new Transaction();
    tx.addInput(new Uint8Array(32).fill(7), 0);
    tx.addOutput(script, 2_100_000_000n);
    let ctx: HeaderContext = real.ctx;
    const chain = [...realHex];
    const history: { tx_hash: string; height: number }[] = [];
    const s = await startHostileElectrum({
      genesis: cp.genesis,
      headerAt: (h) => chain[h] ?? null,
      tip: () => chain.length - 1,
      histories: new Map([[scriptHashOfScript(script), history]]),
      txs: new Map([[tx.getId(), tx.toHex()]]),
      merkle: (txid, height) => (txid === tx.getId() ? { block_height: height, merkle: [], pos: 0 } : null),
    });
    open.push(s);
    const v = await victim('regtest', s, { checkpoint: cp });
    await waitFor(async () => (await v.api.get('/sysinfo')).body.chain, (c) => c.headers?.state === 'verified' && c.synced, 'verified and synced');
    const mined = mineHeader(rules, ctx, { merkleRoot: tx.getId(), time: Math.floor(Date.now() / 1000) });
    ctx = mined.ctx;
    chain.push(mined.header.hex);
    history.push({ tx_hash: tx.getId(), height: mined.header.height });
    s.notifyTip();
    s.notifyScripthash(scriptHashOfScript(script));
    const done = await waitFor(async () => (await v.api.get(`/invoices/${v.invoices[0]!.id}`)).body, (i) => i.status === 'confirmed', 'confirmed');
    expect(done.payments[0]).toMatchObject({ txid: tx.getId(), height: 2016, confirmations: 1 });
    expect((await v.api.get('/sysinfo')).body.chain.headers).toMatchObject({ state: 'verified', verified_height: 2016, checkpoint_height: 2015 });
    await v.rx.waitFor(2);
  });
});

afterAll(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});
