/**
 * The hostile cases on mainnet, testnet and signet settings (issue cases: a liar among honest servers, a stalled
 * server, a forged mempool payment, history below the anchor). Those networks' real chains cannot be served here, so
 * each test mines a chain under that network's own retarget rules at regtest difficulty (`cheapRules`, real proof of
 * work) and gives Satdesk a checkpoint of its own on it; the servers are test/helpers/hostile-electrum.ts over that
 * chain, honest or lying. None may produce `paid`/`confirmed` from a lie, a callback for one, or a crash; each ends
 * with its reason in sysinfo and the event stream.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Transaction, address as baddress, networks, type Network } from 'bitcoinjs-lib';
import { REGTEST_GENESIS_HEADER, scriptHashOfScript } from '../../src/core/chain/index.ts';
import { anchorContext, checkpointFor, type Checkpoint } from '../../src/core/chain/checkpoints.ts';
import { CHAIN_RULES, type HeaderContext } from '../../src/core/chain/work.ts';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import { startReceiver } from '../helpers/callbacks.ts';
import { cheapRules, mineChain, mineHeader } from '../helpers/chain-gen.ts';
import { startHostileElectrum, type HistoryItem, type HostileServer } from '../helpers/hostile-electrum.ts';
import { waitFor } from '../helpers/wait.ts';
import type { App } from '../../src/node/app.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

const NETS = [
  { network: 'mainnet' as const, net: networks.bitcoin, address: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4' },
  { network: 'testnet' as const, net: networks.testnet, address: 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx' },
  { network: 'signet' as const, net: networks.testnet, address: 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx' },
];

/** A chain shared by the servers of one test: headers under the network's rules, histories, transactions. */
class World {
  readonly rules;
  readonly hex: string[];
  ctx: HeaderContext;
  readonly cp: Checkpoint;
  readonly histories = new Map<string, HistoryItem[]>();
  readonly txs = new Map<string, string>();
  constructor(readonly network: 'mainnet' | 'testnet' | 'signet') {
    this.rules = cheapRules(CHAIN_RULES[network]);
    const g = anchorContext({ ...checkpointFor('regtest'), chain: network }, REGTEST_GENESIS_HEADER, this.rules);
    const c = mineChain(this.rules, g, 4031, { spacing: 600 });
    this.hex = [REGTEST_GENESIS_HEADER, ...c.headers.map((h) => h.hex)];
    this.ctx = c.ctx;
    this.cp = { ...checkpointFor(network), height: 4031, hash: c.ctx.hash, bits: null, nextBits: null, chainwork: c.ctx.chainwork, source: 'test' };
  }
  /** Mines a block (now) holding `tx`, or an empty one. */
  mine(tx?: Transaction): number {
    const m = mineHeader(this.rules, this.ctx, { time: Math.max(this.ctx.time + 1, Math.floor(Date.now() / 1000)), ...(tx ? { merkleRoot: tx.getId() } : {}) });
    this.ctx = m.ctx;
    this.hex.push(m.header.hex);
    return m.header.height;
  }
  async server(o: { lie?: number; stalled?: () => boolean; histories?: Map<string, HistoryItem[]>; tip?: () => number } = {}): Promise<HostileServer> {
    const s = await startHostileElectrum({
      genesis: checkpointFor(this.network).genesis,
      headerAt: (h) => this.hex[h] ?? null,
      tip: o.tip ?? (() => this.hex.length - 1 + (o.lie ?? 0)),
      histories: o.histories ?? this.histories,
      txs: this.txs,
      merkle: (txid, height) => ({ block_height: height, merkle: [], pos: 0 }),
      ...(o.stalled ? { stalled: o.stalled } : {}),
    });
    open.push(s);
    return s;
  }
}

function payTx(script: Uint8Array, sats: bigint, tag: number): Transaction {
  const tx = new Transaction();
  tx.addInput(new Uint8Array(32).fill(tag), 0);
  tx.addOutput(script, sats);
  return tx;
}

async function satdesk(w: World, servers: HostileServer[], address: string): Promise<{ app: App; api: ApiClient; rx: Awaited<ReturnType<typeof startReceiver>> }> {
  const rx = await startReceiver();
  const t = await startTestApp({
    network: w.network,
    electrum: servers.map((s) => s.url),
    watcher: {
      headers: { checkpoint: w.cp, rules: w.rules },
      connection: { backoff: { baseMs: 100, capMs: 1000 }, badServerCooldownMs: 60_000 },
      crossCheck: { omissionMs: 1500 },
    },
  });
  open.push({ close: () => t.app.close() }, rx);
  expect((await t.api.post('/addresses', { addresses: [address] })).status).toBe(200);
  expect((await t.api.post('/agents', { name: 'shop', url: rx.url, thresholds: [0, 1] })).status).toBe(201);
  return { ...t, rx };
}

const events = (app: App, type: string) =>
  (app.db.prepare('SELECT data FROM events WHERE type = ? ORDER BY id').all(type) as { data: string }[]).map((r) => JSON.parse(r.data) as Record<string, string>);

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
    const { app, api } = await satdesk(w, [s], address);
    await waitFor(async () => (await api.get('/payments/unattributed')).body.payments, (p) => p.length === 1, 'the old payment kept');
    expect(app.db.prepare('SELECT verified, below_anchor FROM payments').get()).toEqual({ verified: 0, below_anchor: 1 });
    await waitFor(async () => (await api.get('/sysinfo')).body.chain, (c) => c.synced && c.connected && c.headers.state === 'verified', 'still watching');
    expect(events(app, 'chain.refused')).toEqual([]);
  });
});
