import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/wait.ts';
import { merkleRootFromProof, parseHeader, headerHash } from '../../src/core/chain/index.ts';
import { ElectrumClient } from '../../src/node/electrum/client.ts';
import { ElectrumDisconnectedError } from '../../src/node/electrum/errors.ts';
import { ElectrumConnection } from '../../src/node/electrum/pool.ts';
import type { HeaderInfo } from '../../src/node/electrum/validate.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';

// docs/electrum.md vector: bcrt1qn7d2x7272lznt5hhk9s07q3cqnrqljnwladrd3 -> scripthash f04bf26f…
const ADDRESS = 'bcrt1qn7d2x7272lznt5hhk9s07q3cqnrqljnwladrd3';
const SH = 'f04bf26fc16a27abaa2f10540da7a24e369e6ec408f2d901202a7c0cd4a6112d';

let sandbox: Sandbox;
const clients: ElectrumClient[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sandbox?.close();
});

async function control<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${sandbox.controlUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${path} -> ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function next<T>(register: (fn: (v: T) => void) => () => void, pred: (v: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no notification in time'));
    }, timeoutMs);
    const off = register((v) => {
      if (!pred(v)) return;
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}

async function connect(url: string): Promise<ElectrumClient> {
  const c = new ElectrumClient({ server: url, network: 'regtest', pingIntervalMs: 0, requestTimeoutMs: 5000 });
  clients.push(c);
  await c.connect();
  return c;
}

describe('ElectrumClient against the sandbox', () => {
  it('handshakes over TCP and over TLS with the pinned fingerprint', async () => {
    const tcp = await connect(sandbox.electrumTcpUrl);
    expect(tcp.protocolVersion).toBe('1.6');
    expect(tcp.supportsUnsubscribe).toBe(true);
    expect(tcp.features?.genesis_hash).toBe('0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206');
    const ssl = await connect(sandbox.electrumTlsUrl);
    expect(ssl.isReady).toBe(true);
    const tip = await ssl.headersSubscribe();
    expect(tip.height).toBe(sandbox.status().height);
    expect(headerHash(tip.hex)).toBe(sandbox.status().tip_hash);
  });

  it('pay + mine: notifications arrive, history, transaction and merkle proof check out', async () => {
    const c = await connect(sandbox.electrumTcpUrl);
    const tip = await c.headersSubscribe();
    expect(await c.scripthashSubscribe(SH)).toBeNull();

    const seen = next<[string, string | null]>((fn) => c.onScripthash((sh, st) => fn([sh, st])));
    const { txid } = await control<{ txid: string }>('/pay', { address: ADDRESS, sats: 50_000 });
    const [sh, status] = await seen;
    expect(sh).toBe(SH);
    expect(status).toMatch(/^[0-9a-f]{64}$/);

    const mempoolHistory = await c.getHistory(SH);
    expect(mempoolHistory).toHaveLength(1);
    expect(mempoolHistory[0]).toMatchObject({ tx_hash: txid, height: 0 });
    expect(mempoolHistory[0]?.fee).toBeGreaterThan(0);
    const hex = await c.getTransaction(txid); // the client checks that it hashes to txid
    expect(hex.length).toBeGreaterThan(100);

    const header = next<HeaderInfo>((fn) => c.onHeader(fn));
    const confirmed = next<[string, string | null]>((fn) => c.onScripthash((s, st) => fn([s, st])), ([, st]) => st !== status);
    const mined = await control<{ height: number; hashes: string[] }>('/mine', { blocks: 1 });
    expect(mined.height).toBe(tip.height + 1);
    const h = await header;
    expect(h.height).toBe(mined.height);
    expect(headerHash(h.hex)).toBe(mined.hashes[0]);
    await confirmed;

    const history = await c.getHistory(SH);
    expect(history).toEqual([{ tx_hash: txid, height: mined.height }]);
    const proof = await c.getMerkle(txid, mined.height);
    expect(proof.block_height).toBe(mined.height);
    const blockHeader = await c.blockHeader(mined.height);
    expect(merkleRootFromProof(txid, proof.merkle, proof.pos)).toBe(parseHeader(blockHeader).merkleRoot);

    const headers = await c.blockHeaders(mined.height - 1, 2);
    expect(headers.count).toBe(2);
    expect(headers.hex.slice(160)).toBe(blockHeader);

    const batch = await c.batch([
      { method: 'blockchain.scripthash.get_history', params: [SH] },
      { method: 'blockchain.block.header', params: [mined.height] },
      { method: 'blockchain.transaction.get', params: ['00'.repeat(32)] },
    ]);
    expect(batch[0]).toEqual({ ok: true, result: history });
    expect(batch[1]).toEqual({ ok: true, result: blockHeader });
    expect(batch[2]?.ok).toBe(false);

    await expect(c.unsubscribe(SH)).resolves.toBe(true);
  });

  it('a garbage fault drops the client; the pool reconnects and re-runs onConnected', async () => {
    const pool = new ElectrumConnection({
      servers: [sandbox.electrumTcpUrl],
      network: 'regtest',
      pingIntervalMs: 0,
      backoff: { baseMs: 50, capMs: 200 },
    });
    let connects = 0;
    pool.onConnected(async (c) => {
      await c.headersSubscribe();
      connects++;
    });
    pool.start();
    try {
      const first = await pool.waitForClient(5000);
      const dropped = new Promise<string>((r) => first.onDisconnected((reason) => r(reason)));
      await control('/fault', { kind: 'garbage', seconds: 0.3 });
      expect(await dropped).toBe('protocol error: server sent a line that is not JSON');
      expect(await first.request('server.ping').catch((e: unknown) => e)).toBeInstanceOf(ElectrumDisconnectedError);
      await control('/fault', { kind: 'none' });
      await until(() => connects >= 2, 'a reconnect after the garbage', 5000);
      expect(pool.connected).toBe(true);
    } finally {
      await control('/fault', { kind: 'none' });
      await pool.stop();
    }
  });
});
