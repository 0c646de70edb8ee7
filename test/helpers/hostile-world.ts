/**
 * A chain under mainnet's, testnet's or signet's own retarget rules at regtest difficulty (`cheapRules`, real proof
 * of work), with a checkpoint of the test's own on it, and hostile Electrum servers over it
 * (test/helpers/hostile-electrum.ts): those networks' real chains cannot be served here. Used by the hostile suites
 * that run each case on every network's settings.
 */
import { afterEach, expect } from 'vitest';
import { Transaction, networks } from 'bitcoinjs-lib';
import { REGTEST_GENESIS_HEADER } from '../../src/core/chain/index.ts';
import { anchorContext, checkpointFor, type Checkpoint } from '../../src/core/chain/checkpoints.ts';
import { CHAIN_RULES, type HeaderContext } from '../../src/core/chain/work.ts';
import { startTestApp, type ApiClient } from './api.ts';
import { startReceiver } from './callbacks.ts';
import { cheapRules, mineChain, mineHeader } from './chain-gen.ts';
import { startHostileElectrum, type HistoryItem, type HostileServer } from './hostile-electrum.ts';
import type { App } from '../../src/node/app.ts';

export const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

export const NETS = [
  { network: 'mainnet' as const, net: networks.bitcoin, address: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4' },
  { network: 'testnet' as const, net: networks.testnet, address: 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx' },
  { network: 'signet' as const, net: networks.testnet, address: 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx' },
];

/** A chain shared by the servers of one test: headers under the network's rules, histories, transactions. */
export class World {
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

export function payTx(script: Uint8Array, sats: bigint, tag: number): Transaction {
  const tx = new Transaction();
  tx.addInput(new Uint8Array(32).fill(tag), 0);
  tx.addOutput(script, sats);
  return tx;
}

export async function satdesk(w: World, servers: HostileServer[], address: string | null): Promise<{ app: App; api: ApiClient; rx: Awaited<ReturnType<typeof startReceiver>> }> {
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
  if (address) expect((await t.api.post('/addresses', { addresses: [address] })).status).toBe(200);
  expect((await t.api.post('/agents', { name: 'shop', url: rx.url, thresholds: [0, 1] })).status).toBe(201);
  return { ...t, rx };
}

export const events = (app: App, type: string) =>
  (app.db.prepare('SELECT event_json(data) AS data FROM events WHERE type = ? ORDER BY id').all(type) as { data: string }[]).map((r) => JSON.parse(r.data) as Record<string, string>);

