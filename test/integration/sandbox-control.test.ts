/** The sandbox's HTTP control API, its faults as a client sees them, and persistence across restarts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { electrumStatus, headerHash, merkleRootFromProof, parseHeader } from '../../src/core/chain/index.ts';
import { GARBAGE_LINE } from '../../src/sandbox/electrum-server.ts';
import { RawRpc, TestKey, startTestSandbox, tempDir, type TestSandbox } from '../helpers/sandbox.ts';
import { until } from '../helpers/wait.ts';

type Hist = { tx_hash: string; height: number }[];
type Status = { height: number; tip_hash: string; mempool: string[]; fault: string | null };

async function client(port: number, tlsOn = false): Promise<RawRpc> {
  const c = await RawRpc.connect(port, { tls: tlsOn });
  await c.call('server.version', ['satdesk-test', '1.4']);
  return c;
}

describe('control API', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    t = await startTestSandbox();
  });
  afterAll(() => t.close());

  it('GET /status: a new chain has 101 blocks and an empty mempool', async () => {
    const r = await t.control<Status>('GET', '/status');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ height: 101, tip_hash: t.sb.chain.tip.hash, mempool: [], fault: null });
  });

  it('POST /pay to every address type, several in one block, then /mine takes them all', async () => {
    const keys = (['p2pkh', 'p2sh-p2wpkh', 'p2wpkh', 'p2tr'] as const).map((k) => new TestKey(k));
    const txids: string[] = [];
    for (const k of keys) {
      const r = await t.control<{ txid: string }>('POST', '/pay', { address: k.address, sats: 12_345 });
      expect(r.status).toBe(200);
      txids.push(r.body.txid);
    }
    const multi = await t.control<{ txid: string }>('POST', '/pay', { outputs: keys.map((k, i) => ({ address: k.address, sats: 20_000 + i })), rbf: true });
    expect(multi.status).toBe(200);
    txids.push(multi.body.txid);
    expect((await t.control<Status>('GET', '/status')).body.mempool.sort()).toEqual([...txids].sort());
    const m = await t.control<{ height: number; hashes: string[] }>('POST', '/mine', { blocks: 3 });
    expect(m.body.height).toBe(104);
    expect(m.body.hashes).toHaveLength(3);
    expect(m.body.hashes[2]).toBe(t.sb.chain.tip.hash);
    const block = t.sb.chain.blocks[102]!;
    expect(block.txs.slice(1).map((x) => x.txid).sort()).toEqual([...txids].sort());
    expect((await t.control<Status>('GET', '/status')).body.mempool).toEqual([]);
    for (const [i, k] of keys.entries()) expect(t.sb.chain.balance(k.scripthash)).toEqual({ confirmed: 12_345 + 20_000 + i, unconfirmed: 0 });
  });

  it('POST /mine to an address pays the coinbase there', async () => {
    const k = new TestKey('p2wpkh');
    await t.control('POST', '/mine', { blocks: 2, address: k.address });
    expect(t.sb.chain.balance(k.scripthash).confirmed).toBe(2 * 50e8);
  });

  it('refuses malformed requests with 4xx {"error":{"code","message"}} and changes nothing', async () => {
    const before = JSON.stringify(t.sb.chain.snapshot());
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/pay', { address: 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', sats: 1000 }, 400, 'invalid_address'],
      ['POST', '/pay', { address: new TestKey('p2wpkh').address, sats: 1.5 }, 400, 'invalid_amount'],
      ['POST', '/pay', { address: new TestKey('p2wpkh').address, sats: 100 }, 400, 'invalid_amount'],
      ['POST', '/pay', { address: new TestKey('p2wpkh').address, sats: 2_000_000_000_000 }, 409, 'insufficient_funds'],
      ['POST', '/pay', { address: 'x', sats: 1, extra: 1 }, 400, 'invalid_request'],
      ['POST', '/pay', '{not json', 400, 'invalid_request'],
      ['POST', '/mine', { blocks: 0 }, 400, 'invalid_request'],
      ['POST', '/mine', { blocks: 1001 }, 400, 'invalid_request'],
      ['POST', '/mine', { blocks: 1, address: 'nope' }, 400, 'invalid_address'],
      ['POST', '/reorg', { depth: 0 }, 400, 'invalid_request'],
      ['POST', '/reorg', { depth: 1, drop: ['zz'] }, 400, 'invalid_request'],
      ['POST', '/double-spend', { txid: 'ab'.repeat(32) }, 404, 'not_found'],
      ['POST', '/fault', { kind: 'explode' }, 400, 'invalid_request'],
      ['POST', '/fault', { kind: 'stall', seconds: -1 }, 400, 'invalid_request'],
      ['GET', '/nowhere', undefined, 404, 'not_found'],
      ['GET', '/pay', undefined, 405, 'method_not_allowed'],
    ];
    for (const [method, route, body, status, code] of cases) {
      const r = await t.control<{ error: { code: string; message: string } }>(method as 'GET', route, body);
      expect([route, r.status, r.body.error?.code]).toEqual([route, status, code]);
      expect(typeof r.body.error.message).toBe('string');
    }
    expect(JSON.stringify(t.sb.chain.snapshot())).toBe(before);
  });

  it('POST /double-spend refuses a transaction that is not the sandbox wallet\'s', async () => {
    const k = new TestKey('p2wpkh');
    const { body } = await t.control<{ txid: string }>('POST', '/pay', { address: k.address, sats: 100_000 });
    await t.control('POST', '/mine', {});
    const vout = t.sb.chain.getTx(body.txid)!.tx.outs.findIndex((o) => Buffer.from(o.script).equals(Buffer.from(k.script)));
    const spend = k.spend(body.txid, vout, 100_000, k.script, 99_000);
    t.sb.chain.accept(spend.toHex());
    const r = await t.control<{ error: { code: string } }>('POST', '/double-spend', { txid: spend.getId() });
    expect([r.status, r.body.error.code]).toEqual([409, 'not_ours']);
    await t.control('POST', '/mine', {});
  });
});

describe('faults', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    t = await startTestSandbox();
  });
  afterAll(() => t.close());

  it('disconnect drops clients; with seconds, new connections are dropped until it expires', async () => {
    const a = await client(t.sb.tcpPort);
    const b = await client(t.sb.tlsPort, true);
    const r = await t.control<Status>('POST', '/fault', { kind: 'disconnect', seconds: 0.6 });
    expect(r.body.fault).toBe('disconnect');
    await a.until(() => a.closed && b.closed, 3000, 'both dropped');
    const c = await RawRpc.connect(t.sb.tcpPort);
    await c.until(() => c.closed, 3000, 'refused while disconnect is active');
    await until(async () => (await t.control<Status>('GET', '/status')).body.fault === null, 'the timed disconnect expired', 5000);
    const d = await client(t.sb.tcpPort);
    expect(await d.call('server.ping')).toBeNull();
    await t.control('POST', '/fault', { kind: 'disconnect' });
    await d.until(() => d.closed, 3000, 'dropped by a one-shot disconnect');
    expect((await t.control<Status>('GET', '/status')).body.fault).toBeNull();
  });

  it('stall: no answers until cleared, then the queued requests are answered', async () => {
    const c = await client(t.sb.tcpPort);
    await t.control('POST', '/fault', { kind: 'stall' });
    const pending = c.request('server.ping', [], 5000);
    await expect(c.request('server.ping', [], 300)).rejects.toThrow('timeout waiting for server.ping');
    expect((await t.control<Status>('GET', '/status')).body.fault).toBe('stall');
    await t.control('POST', '/fault', { kind: 'none' });
    expect((await pending).result).toBeNull();
    await t.control('POST', '/fault', { kind: 'stall', seconds: 0.3 });
    expect((await c.request('server.ping', [], 3000)).result).toBeNull();
    c.close();
  });

  it('garbage: a non-JSON line to every client, and before responses while active', async () => {
    const c = await client(t.sb.tcpPort);
    await t.control('POST', '/fault', { kind: 'garbage' });
    await c.until(() => c.garbage.length === 1, 3000, 'garbage line');
    expect(c.garbage[0]).toBe(GARBAGE_LINE);
    expect(await c.call('server.ping')).toBeNull();
    expect(c.garbage.length).toBe(2);
    await t.control('POST', '/fault', { kind: 'none' });
    expect(await c.call('server.ping')).toBeNull();
    expect(c.garbage.length).toBe(2);
    c.close();
  });

  it('lie: an invented confirmed entry and merkle proofs that do not verify; the truth returns when cleared', async () => {
    const k = new TestKey('p2wpkh');
    const { body } = await t.control<{ txid: string }>('POST', '/pay', { address: k.address, sats: 40_000 });
    await t.control('POST', '/mine', {});
    const c = await client(t.sb.tcpPort);
    const truth = await c.call<string>('blockchain.scripthash.subscribe', [k.scripthash]);
    const height = t.sb.chain.height;
    const from = c.notifications.length;
    await t.control('POST', '/fault', { kind: 'lie' });
    const n = await c.notification('blockchain.scripthash.subscribe', from);
    const lieStatus = (n.params as string[])[1];
    expect(lieStatus).not.toBe(truth);
    const hist = await c.call<Hist>('blockchain.scripthash.get_history', [k.scripthash]);
    expect(electrumStatus(hist)).toBe(lieStatus); // consistent lie: only verification exposes it
    const fake = hist.find((h) => h.tx_hash !== body.txid)!;
    expect(fake.height).toBeGreaterThan(0);
    const fakeRaw = await c.call<string>('blockchain.transaction.get', [fake.tx_hash]);
    expect(fakeRaw).not.toContain(fake.tx_hash);
    const header = parseHeader(await c.call<string>('blockchain.block.header', [height]));
    const proof = await c.call<{ merkle: string[]; pos: number }>('blockchain.transaction.get_merkle', [body.txid, height]);
    expect(merkleRootFromProof(body.txid, proof.merkle, proof.pos)).not.toBe(header.merkleRoot);
    await t.control('POST', '/fault', { kind: 'none' });
    const back = await c.notification('blockchain.scripthash.subscribe', c.notifications.indexOf(n) + 1);
    expect((back.params as string[])[1]).toBe(truth);
    const good = await c.call<{ merkle: string[]; pos: number }>('blockchain.transaction.get_merkle', [body.txid, height]);
    expect(merkleRootFromProof(body.txid, good.merkle, good.pos)).toBe(header.merkleRoot);
    c.close();
  });

  it('lag: the reported tip stays behind, header notifications stop, then catch up when cleared', async () => {
    const c = await client(t.sb.tlsPort, true);
    const start = await c.call<{ height: number; hex: string }>('blockchain.headers.subscribe');
    await t.control('POST', '/fault', { kind: 'lag', seconds: 30 });
    const from = c.notifications.length;
    const k = new TestKey('p2wpkh');
    await c.call('blockchain.scripthash.subscribe', [k.scripthash]);
    await t.control('POST', '/pay', { address: k.address, sats: 30_000 });
    await t.control('POST', '/mine', { blocks: 2 });
    await c.notification('blockchain.scripthash.subscribe', from); // the mempool still flows
    await new Promise((r) => setTimeout(r, 150));
    expect(c.notifications.slice(from).filter((m) => m.method === 'blockchain.headers.subscribe')).toEqual([]);
    expect((await c.request('blockchain.headers.subscribe')).result).toEqual(start);
    expect((await c.request('blockchain.block.header', [start.height + 1])).error?.code).toBe(1);
    const lagging = await c.call<Hist>('blockchain.scripthash.get_history', [k.scripthash]);
    expect(lagging[0]!.height).toBe(0); // the block that confirmed it is beyond the lagging tip
    expect((await t.control<Status>('GET', '/status')).body).toMatchObject({ height: start.height + 2, fault: 'lag' });
    await t.control('POST', '/fault', { kind: 'none' });
    const hn = await c.notification('blockchain.headers.subscribe', from);
    expect((hn.params as [{ height: number; hex: string }])[0].height).toBe(start.height + 2);
    expect(headerHash((hn.params as [{ hex: string }])[0].hex)).toBe(t.sb.chain.tip.hash);
    const caught = await c.call<Hist>('blockchain.scripthash.get_history', [k.scripthash]);
    expect(caught[0]!.height).toBe(start.height + 1);
    c.close();
  });
});

describe('persistence with a data dir', () => {
  it('keeps chain, mempool, wallet key and TLS certificate across a restart', async () => {
    const dir = tempDir('satdesk-sandbox-');
    try {
      const k = new TestKey('p2wpkh');
      const t1 = await startTestSandbox({ dataDir: dir });
      await t1.control('POST', '/pay', { address: k.address, sats: 60_000 });
      await t1.control('POST', '/mine', { blocks: 1 });
      const pending = (await t1.control<{ txid: string }>('POST', '/pay', { address: k.address, sats: 61_000, rbf: true })).body.txid;
      const s1 = (await t1.control<Status>('GET', '/status')).body;
      const fp = t1.sb.fingerprint;
      const wallet = t1.sb.walletAddress;
      await t1.close();
      expect(fs.statSync(`${dir}/wallet.json`).mode & 0o077).toBe(0);
      const t2 = await startTestSandbox({ dataDir: dir });
      try {
        expect((await t2.control<Status>('GET', '/status')).body).toEqual(s1);
        expect(t2.sb.fingerprint).toBe(fp);
        expect(t2.sb.walletAddress).toBe(wallet);
        expect(t2.sb.chain.mempool.has(pending)).toBe(true);
        const c = await client(t2.sb.tcpPort);
        expect((await c.call<Hist>('blockchain.scripthash.get_history', [k.scripthash])).map((h) => h.height)).toEqual([s1.height, 0]);
        c.close();
        expect((await t2.control('POST', '/pay', { address: k.address, sats: 62_000 })).status).toBe(200);
        expect((await t2.control('POST', '/double-spend', { txid: pending })).status).toBe(200);
      } finally {
        await t2.close();
      }
      const fresh = await startTestSandbox();
      expect(fresh.sb.fingerprint).not.toBe(fp);
      expect(fresh.sb.walletAddress).not.toBe(wallet);
      await fresh.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
