/** The sandbox's Electrum protocol over real sockets (TCP and TLS), checked the way a verifying client would. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tls from 'node:tls';
import { Transaction } from 'bitcoinjs-lib';
import { createHash } from 'node:crypto';
import {
  REGTEST_GENESIS_HASH,
  REGTEST_GENESIS_HEADER,
  electrumStatus,
  headerHash,
  merkleRootFromProof,
  parseHeader,
  checkProofOfWork,
} from '../../src/core/chain/index.ts';
import { MAX_BATCH, MAX_LINE_BYTES } from '../../src/sandbox/electrum-server.ts';
import { RawRpc, TestKey, startTestSandbox, type RpcMessage, type TestSandbox } from '../helpers/sandbox.ts';

let t: TestSandbox;
beforeAll(async () => {
  t = await startTestSandbox();
});
afterAll(async () => {
  await t.close();
});

type Hist = { tx_hash: string; height: number; fee?: number }[];

async function connect(transport: 'tcp' | 'tls', version: unknown = '1.4'): Promise<RawRpc> {
  const c = await RawRpc.connect(transport === 'tcp' ? t.sb.tcpPort : t.sb.tlsPort, { tls: transport === 'tls' });
  const v = await c.call<[string, string]>('server.version', ['satdesk-test', version]);
  expect(v[1]).toBe(typeof version === 'string' ? version : '1.4.2');
  return c;
}

/** txid = sha256d of the transaction without its witness (what a verifying client recomputes). */
function txidOfHex(hex: string): string {
  const tx = Transaction.fromHex(hex);
  expect(tx.toHex()).toBe(hex);
  const stripped = Transaction.fromHex(hex);
  for (let i = 0; i < stripped.ins.length; i++) stripped.setWitness(i, []);
  const h = createHash('sha256').update(createHash('sha256').update(stripped.toBuffer()).digest()).digest();
  return Buffer.from(h).reverse().toString('hex');
}

describe('TLS', () => {
  it('serves the self-signed certificate whose SHA-256 is the printed fingerprint', async () => {
    const fp = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: t.sb.tlsPort, rejectUnauthorized: false }, () => {
        resolve(s.getPeerCertificate().fingerprint256);
        s.destroy();
      });
      s.on('error', reject);
    });
    expect(fp).toBe(t.sb.fingerprintColons);
    expect(fp.replace(/:/g, '').toLowerCase()).toBe(t.sb.fingerprint);
  });
});

describe('version negotiation', () => {
  it('answers exactly "1.4" to "1.4", "1.4.2" and "1.6" to the ranges, refuses unsupported versions and a second version', async () => {
    const a = await connect('tcp', '1.4');
    const again = await a.request('server.version', ['x', '1.4']);
    expect(again.error?.code).toBe(1);
    const un = await a.request('blockchain.scripthash.unsubscribe', ['00'.repeat(32)]);
    expect(un.error?.code).toBe(-32601);
    a.close();
    const b = await connect('tcp', ['1.4', '1.4.2']);
    expect(await b.call('blockchain.scripthash.unsubscribe', ['00'.repeat(32)])).toBe(false);
    b.close();
    const c = await RawRpc.connect(t.sb.tcpPort);
    const v = await c.request('server.version', ['old', '1.2']);
    expect(v.error?.message).toMatch(/unsupported protocol version/);
    await c.until(() => c.closed, 3000, 'close after unsupported version');
    const d = await RawRpc.connect(t.sb.tcpPort);
    expect((await d.call<string[]>('server.version', ['new', ['1.4', '1.6']]))[1]).toBe('1.6');
    d.close();
  });
});

for (const transport of ['tcp', 'tls'] as const) {
  describe(`Electrum methods over ${transport}`, () => {
    let c: RawRpc;
    beforeAll(async () => {
      c = await connect(transport, ['1.4', '1.4.2']);
    });
    afterAll(() => c.close());

    it('server.* methods, params missing treated as []', async () => {
      c.send(JSON.stringify({ jsonrpc: '2.0', id: 'p', method: 'server.ping' }));
      await c.until(() => c.notifications.some((n) => n.id === 'p'), 3000, 'ping reply');
      expect(c.notifications.find((n) => n.id === 'p')).toEqual({ jsonrpc: '2.0', id: 'p', result: null });
      expect(await c.call('server.ping', [])).toBeNull();
      const f = await c.call<Record<string, unknown>>('server.features');
      expect(f).toMatchObject({ genesis_hash: REGTEST_GENESIS_HASH, hash_function: 'sha256', protocol_min: '1.4', protocol_max: '1.6' });
      expect(typeof (await c.call('server.banner'))).toBe('string');
      expect(await c.call('server.donation_address')).toBe('');
      expect(await c.call('server.peers.subscribe')).toEqual([]);
      expect(await c.call('blockchain.relayfee')).toBe(0.00001);
      expect(await c.call('blockchain.estimatefee', [2])).toBeGreaterThan(0);
      expect(Array.isArray(await c.call('mempool.get_fee_histogram'))).toBe(true);
    });

    it('headers: subscribe, header, headers (exactly count, max 2016), linked from genesis with PoW, checkpoint proofs', async () => {
      const tip = await c.call<{ height: number; hex: string }>('blockchain.headers.subscribe');
      expect(tip.height).toBe(t.sb.chain.height);
      expect(headerHash(tip.hex)).toBe(t.sb.chain.tip.hash);
      expect(await c.call('blockchain.block.header', [0])).toBe(REGTEST_GENESIS_HEADER);
      const r = await c.call<{ count: number; hex: string; max: number }>('blockchain.block.headers', [0, 10]);
      expect(r.count).toBe(10);
      expect(r.hex.length).toBe(10 * 160);
      expect(r.max).toBe(2016);
      const all = await c.call<{ count: number; hex: string }>('blockchain.block.headers', [0, 5000]);
      expect(all.count).toBe(tip.height + 1);
      let prev = '00'.repeat(32);
      for (let i = 0; i < all.count; i++) {
        const h = parseHeader(all.hex.slice(i * 160, (i + 1) * 160));
        expect(h.prevHash).toBe(prev);
        expect(checkProofOfWork(h)).toBe(true);
        prev = h.hash;
      }
      const past = await c.call<{ count: number; hex: string }>('blockchain.block.headers', [tip.height + 1, 5]);
      expect(past).toMatchObject({ count: 0, hex: '' });
      const out = await c.request('blockchain.block.header', [tip.height + 1]);
      expect(out.error).toEqual({ code: 1, message: `height ${tip.height + 1} out of range` });
      const cp = await c.call<{ header: string; branch: string[]; root: string }>('blockchain.block.header', [5, 50]);
      expect(merkleRootFromProof(headerHash(cp.header), cp.branch, 5)).toBe(cp.root);
    });

    it('scripthash subscribe → notification on /pay and /mine; status equals the hash of get_history; merkle proof verifies', async () => {
      const k = new TestKey('p2wpkh');
      const other = new TestKey('p2tr');
      const from = c.notifications.length;
      expect(await c.call('blockchain.scripthash.subscribe', [k.scripthash])).toBeNull();
      const { body } = await t.control<{ txid: string }>('POST', '/pay', { address: k.address, sats: 250_000 });
      await t.control('POST', '/pay', { address: other.address, sats: 10_000 }); // not subscribed: no notification
      const n1 = await c.notification('blockchain.scripthash.subscribe', from);
      expect(n1.jsonrpc).toBe('2.0');
      const hist = await c.call<Hist>('blockchain.scripthash.get_history', [k.scripthash]);
      expect(hist).toHaveLength(1);
      expect(hist[0]).toMatchObject({ tx_hash: body.txid });
      expect(hist[0]!.fee).toBeGreaterThan(0);
      expect(n1.params).toEqual([k.scripthash, electrumStatus(hist)]);
      expect(await c.call('blockchain.scripthash.get_mempool', [k.scripthash])).toEqual(hist);
      expect(await c.call('blockchain.scripthash.get_balance', [k.scripthash])).toEqual({ confirmed: 0, unconfirmed: 250_000 });
      const raw = await c.call<string>('blockchain.transaction.get', [body.txid]);
      expect(txidOfHex(raw)).toBe(body.txid);
      const hFrom = c.notifications.length;
      await t.control('POST', '/mine', { blocks: 1 });
      const hn = await c.notification('blockchain.headers.subscribe', hFrom);
      const n2 = await c.notification('blockchain.scripthash.subscribe', hFrom);
      expect(hn.jsonrpc).toBe('2.0');
      const header = (hn.params as [{ height: number; hex: string }])[0];
      expect(header.height).toBe(t.sb.chain.height);
      const hist2 = await c.call<Hist>('blockchain.scripthash.get_history', [k.scripthash]);
      expect(hist2).toEqual([{ tx_hash: body.txid, height: header.height }]);
      expect(n2.params).toEqual([k.scripthash, electrumStatus(hist2)]);
      expect(c.notifications.filter((n) => (n.params as string[] | undefined)?.[0] === other.scripthash)).toEqual([]);
      const proof = await c.call<{ block_height: number; merkle: string[]; pos: number }>('blockchain.transaction.get_merkle', [body.txid, header.height]);
      expect(merkleRootFromProof(body.txid, proof.merkle, proof.pos)).toBe(parseHeader(header.hex).merkleRoot);
      expect(await c.call('blockchain.scripthash.listunspent', [k.scripthash])).toEqual([{ tx_hash: body.txid, tx_pos: expect.any(Number), height: header.height, value: 250_000 }]);
      const v = await c.call<Record<string, unknown>>('blockchain.transaction.get', [body.txid, true]);
      expect(v).toMatchObject({ txid: body.txid, confirmations: 1, blockhash: headerHash(header.hex), hex: raw });
      const wrong = await c.request('blockchain.transaction.get_merkle', [body.txid, header.height - 1]);
      expect(wrong.error?.code).toBe(1);
      const missing = await c.request('blockchain.transaction.get', ['00'.repeat(32)]);
      expect(missing.error?.message).toMatch(/No such mempool or blockchain transaction/);
      expect(await c.call('blockchain.transaction.id_from_pos', [header.height, proof.pos])).toBe(body.txid);
      expect(await c.call('blockchain.scripthash.unsubscribe', [k.scripthash])).toBe(true);
    });

    it('broadcast: a valid spend enters the mempool and notifies; bad ones get bitcoind reasons and change nothing', async () => {
      const k = new TestKey('p2sh-p2wpkh');
      const { body } = await t.control<{ txid: string }>('POST', '/pay', { address: k.address, sats: 500_000 });
      await t.control('POST', '/mine', { blocks: 1 });
      const vout = t.sb.chain.getTx(body.txid)!.tx.outs.findIndex((o) => Buffer.from(o.script).equals(Buffer.from(k.script)));
      const dest = new TestKey('p2pkh');
      const from = c.notifications.length;
      await c.call('blockchain.scripthash.subscribe', [dest.scripthash]);
      const before = JSON.stringify(t.sb.chain.snapshot());
      const bad: [string, RegExp][] = [
        ['nothex', /TX decode failed/],
        [k.spend(body.txid, vout, 500_000, dest.script, 499_000, { corrupt: true }).toHex(), /non-mandatory-script-verify-flag/],
        [k.spend(body.txid, vout, 500_000, dest.script, 500_001).toHex(), /bad-txns-in-belowout/],
        [k.spend('ab'.repeat(32), 0, 500_000, dest.script, 400_000).toHex(), /bad-txns-inputs-missingorspent/],
      ];
      for (const [hex, reason] of bad) {
        const r = await c.request('blockchain.transaction.broadcast', [hex]);
        expect(r.error?.code).toBe(1);
        expect(r.error?.message).toMatch(/^the transaction was rejected by network rules\.\n\n/);
        expect(r.error?.message).toMatch(reason);
        expect(JSON.stringify(t.sb.chain.snapshot())).toBe(before);
      }
      const first = k.spend(body.txid, vout, 500_000, dest.script, 499_000);
      expect(await c.call('blockchain.transaction.broadcast', [first.toHex()])).toBe(first.getId());
      const n1 = await c.notification('blockchain.scripthash.subscribe', from);
      // RBF: same fee refused, higher fee replaces; the status follows
      const same = k.spend(body.txid, vout, 500_000, dest.script, 499_000, { sequence: 0xfffffffe });
      const r = await c.request('blockchain.transaction.broadcast', [same.toHex()]);
      expect(r.error?.message).toMatch(/insufficient fee, rejecting replacement/);
      const higher = k.spend(body.txid, vout, 500_000, dest.script, 497_000);
      expect(await c.call('blockchain.transaction.broadcast', [higher.toHex()])).toBe(higher.getId());
      const n2 = await c.notification('blockchain.scripthash.subscribe', c.notifications.indexOf(n1) + 1);
      const hist = await c.call<Hist>('blockchain.scripthash.get_history', [dest.scripthash]);
      expect(hist.map((h) => h.tx_hash)).toEqual([higher.getId()]);
      expect((n2.params as string[])[1]).toBe(electrumStatus(hist));
      expect(t.sb.status().mempool).not.toContain(first.getId());
      const hist0 = await c.call<Hist>('blockchain.scripthash.get_mempool', [dest.scripthash]);
      expect(hist0[0]!.fee).toBe(3000);
    });

    it('double-spend from the control API notifies the payee with a status matching its history', async () => {
      const k = new TestKey('p2wpkh');
      await c.call('blockchain.scripthash.subscribe', [k.scripthash]);
      const from = c.notifications.length;
      const { body } = await t.control<{ txid: string }>('POST', '/pay', { address: k.address, sats: 70_000, rbf: true });
      await c.notification('blockchain.scripthash.subscribe', from);
      const from2 = c.notifications.length;
      const ds = await t.control<{ txid: string }>('POST', '/double-spend', { txid: body.txid });
      expect(ds.status).toBe(200);
      const n = await c.notification('blockchain.scripthash.subscribe', from2);
      expect(n.params).toEqual([k.scripthash, null]);
      expect(await c.call('blockchain.scripthash.get_history', [k.scripthash])).toEqual([]);
    });

    it('reorg: header notification at the same height with a new hash; statuses follow', async () => {
      const k = new TestKey('p2wpkh');
      await c.call('blockchain.scripthash.subscribe', [k.scripthash]);
      const { body } = await t.control<{ txid: string }>('POST', '/pay', { address: k.address, sats: 80_000 });
      await t.control('POST', '/mine', { blocks: 2 });
      const hist = await c.call<Hist>('blockchain.scripthash.get_history', [k.scripthash]);
      expect(hist[0]!.height).toBe(t.sb.chain.height - 1);
      const height = t.sb.chain.height;
      const oldHash = t.sb.chain.tip.hash;
      const from = c.notifications.length;
      const r = await t.control<{ height: number }>('POST', '/reorg', { depth: 2 });
      expect(r.body.height).toBe(height);
      const hn = await c.notification('blockchain.headers.subscribe', from);
      const h = (hn.params as [{ height: number; hex: string }])[0];
      expect(h.height).toBe(height);
      expect(headerHash(h.hex)).not.toBe(oldHash);
      const sn = await c.notification('blockchain.scripthash.subscribe', from, 5000, (m) => (m.params as string[])[0] === k.scripthash);
      const after = await c.call<Hist>('blockchain.scripthash.get_history', [k.scripthash]);
      expect(after).toEqual([{ tx_hash: body.txid, height: expect.any(Number), fee: expect.any(Number) }]);
      expect(after[0]!.height).toBeLessThanOrEqual(0);
      expect((sn.params as string[])[1]).toBe(electrumStatus(after));
      // the old block's header is gone: the new header chain links
      const hs = await c.call<{ hex: string }>('blockchain.block.headers', [height - 2, 3]);
      expect(parseHeader(hs.hex.slice(160, 320)).prevHash).toBe(headerHash(hs.hex.slice(0, 160)));
      await t.control('POST', '/reorg', { depth: 1, drop: [body.txid] });
      expect(await c.call('blockchain.scripthash.get_history', [k.scripthash])).toEqual([]);
    });

    it('JSON-RPC errors, batches and limits', async () => {
      const u = await c.request('no.such.method', []);
      expect(u).toMatchObject({ jsonrpc: '2.0', error: { code: -32601 } });
      for (const [m, p] of [
        ['blockchain.scripthash.get_history', ['xyz']],
        ['blockchain.block.header', ['ten']],
        ['blockchain.transaction.get', [12]],
        ['blockchain.estimatefee', []],
      ] as const) {
        expect((await c.request(m, [...p])).error?.code).toBe(-32602);
      }
      const from = c.batches.length;
      c.send(JSON.stringify([
        { jsonrpc: '2.0', id: 901, method: 'server.ping' },
        { jsonrpc: '2.0', id: 902, method: 'blockchain.block.header', params: [0] },
        { jsonrpc: '2.0', id: 903, method: 'nope' },
      ]));
      await c.until(() => c.batches.length > from, 3000, 'batch reply');
      const batch = c.batches[from]!;
      expect(batch.map((m: RpcMessage) => m.id)).toEqual([901, 902, 903]);
      expect(batch.every((m: RpcMessage) => m.jsonrpc === '2.0')).toBe(true);
      expect(batch[1]!.result).toBe(REGTEST_GENESIS_HEADER);
      expect(batch[2]!.error?.code).toBe(-32601);
      const n = c.notifications.length;
      c.send(JSON.stringify(Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ jsonrpc: '2.0', id: 2000 + i, method: 'server.ping' }))));
      c.send('{not json');
      await c.until(() => c.notifications.length >= n + 2, 3000, 'batch cap and parse error');
      // Fulcrum's answer to a batch over its cap (src/RPC.cpp, v2.1.1): code 4 for the whole batch.
      expect(c.notifications.slice(n, n + 2).map((m) => m.error?.code)).toEqual([4, -32700]);
      expect(c.lines.every((l) => JSON.parse(l).jsonrpc === '2.0' || (Array.isArray(JSON.parse(l)) && JSON.parse(l).every((m: RpcMessage) => m.jsonrpc === '2.0')))).toBe(true);
    });
  });
}

describe('line cap', () => {
  it('closes a connection that sends a line over the cap', async () => {
    const c = await connect('tcp');
    c.send('x'.repeat(MAX_LINE_BYTES + 10));
    await c.until(() => c.closed, 5000, 'close on oversized line');
    expect(c.notifications.at(-1)?.error?.message).toMatch(/request too large/);
  });
});
