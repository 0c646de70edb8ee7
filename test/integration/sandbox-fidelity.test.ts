/**
 * The sandbox as a rehearsal of real servers (src/sandbox/fidelity.ts): ElectrumX's "server.version first", protocol
 * 1.6 header arrays, notifications on a polling schedule with the subscribe answers held and written with them,
 * Fulcrum's batch and subscription caps, ElectrumX's cost throttling, height −1 payments and shorter chains.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RawRpc, TestKey, startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import type { ServerProfile } from '../../src/sandbox/index.ts';
import { ELECTRUMX_PADDING } from '../../src/sandbox/padding.ts';
import { ElectrumClient } from '../../src/node/electrum/client.ts';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function sandbox(profile: Partial<ServerProfile> = {}): Promise<TestSandbox> {
  const t = await startTestSandbox({ profile });
  open.push(t);
  return t;
}

async function client(t: TestSandbox, version: unknown = ['1.4', '1.6']): Promise<RawRpc> {
  const c = await RawRpc.connect(t.sb.tcpPort);
  open.push(c);
  if (version !== null) await c.call('server.version', ['fidelity-test', version]);
  return c;
}

describe('sandbox fidelity', () => {
  it('closes a session whose first request is not server.version, as ElectrumX does', async () => {
    const t = await sandbox();
    const c = await client(t, null);
    const r = await c.request('server.features', []);
    expect(r.error).toMatchObject({ message: 'use server.version to identify client' });
    await c.until(() => c.closed, 3000, 'closed');
  });

  it('negotiates 1.6: headers as an array, no relayfee', async () => {
    const t = await sandbox();
    const c = await client(t);
    const r = await c.call<{ count: number; headers: string[] }>('blockchain.block.headers', [0, 3]);
    expect(r.count).toBe(3);
    expect(r.headers).toHaveLength(3);
    expect(r.headers[1]).toBe(t.sb.chain.blocks[1]!.headerHex);
    expect((await c.request('blockchain.relayfee', [])).error?.code).toBe(-32601);
  });

  it('on a schedule: a late subscribe answer comes in the same write as the newer notification, after it', async () => {
    // The round runs when the test says (its timer is a minute): read and held, then paid, then the round — on a
    // loaded machine a 300 ms timer could fire between the read and the payment.
    const t = await sandbox({ notifyIntervalMs: 60_000 });
    const c = await client(t);
    const k = new TestKey('p2wpkh');
    const answer = c.request('blockchain.scripthash.subscribe', [k.scripthash], 5000);
    await c.until(() => t.sb.server.stats.heldAnswers === 1, 3000, 'the subscribe read and held');
    await t.control('POST', '/pay', { address: k.address, sats: 10_000 });
    t.sb.server.tick();
    const a = await answer;
    expect(a.result).toBeNull(); // the status when the request was read: stale by the time it is written
    const note = c.notifications.find((n) => n.method === 'blockchain.scripthash.subscribe');
    expect(note?.params?.[1]).toMatch(/^[0-9a-f]{64}$/);
    const lineOfNote = c.lines.findIndex((l) => l.includes('"method":"blockchain.scripthash.subscribe"'));
    const lineOfAnswer = c.lines.findIndex((l) => l.includes(`"id":${a.id}`));
    expect(lineOfNote).toBeLessThan(lineOfAnswer);
    expect(t.sb.server.stats.heldAnswers).toBe(1);
  });

  it("refuses batches past Fulcrum's in-flight cap with code 4", async () => {
    const t = await sandbox({ notifyIntervalMs: 60_000, maxBatchInFlight: 10 });
    const c = await client(t);
    const batch = (n: number, from: number): string =>
      JSON.stringify(Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: from + i, method: 'blockchain.scripthash.subscribe', params: [new TestKey('p2wpkh').scripthash] })));
    c.send(batch(8, 100)); // held until the next round: 8 items in flight
    c.send(batch(8, 200)); // 16 > 10
    await c.until(() => c.notifications.some((n) => n.error?.code === 4), 3000, 'batch limit');
    expect(c.notifications.find((n) => n.error?.code === 4)).toMatchObject({ id: null, error: { message: 'Batch limit exceeded' } });
    expect(t.sb.server.stats.batchRefusals).toBe(1);
  });

  it("refuses subscriptions past Fulcrum's per-IP cap with code 4", async () => {
    const t = await sandbox({ maxSubs: 3 });
    const c = await client(t);
    for (let i = 0; i < 3; i++) expect((await c.request('blockchain.scripthash.subscribe', [new TestKey('p2wpkh').scripthash])).error).toBeUndefined();
    const r = await c.request('blockchain.scripthash.subscribe', [new TestKey('p2wpkh').scripthash]);
    expect(r.error).toEqual({ code: 4, message: 'Subscription limit reached' });
  });

  it('throttles by cost like ElectrumX: slower answers past the soft limit, the session closed past the hard one', async () => {
    const t = await sandbox({ cost: { soft: 20, hard: 60, sleepMs: 400, concurrency: 10 } });
    const c = await client(t);
    const sub = () => c.request('blockchain.scripthash.subscribe', [new TestKey('p2wpkh').scripthash], 10_000);
    for (let i = 0; i < 100; i++) await sub(); // 100 × ~0.22: past the soft limit
    const t0 = Date.now();
    await sub();
    expect(Date.now() - t0).toBeGreaterThan(20);
    for (let i = 0; i < 300 && !c.closed; i++) void sub().catch(() => {});
    await c.until(() => c.closed, 10_000, 'closed over its cost');
    expect(c.notifications.some((n) => n.error?.code === -101)).toBe(true);
    expect(t.sb.server.stats.costClosures).toBeGreaterThanOrEqual(1);
  });

  it('pays from an unconfirmed parent (a height −1 entry) and shortens the chain', async () => {
    const t = await sandbox();
    const c = await client(t);
    const k = new TestKey('p2wpkh');
    const { txid } = (await t.control<{ txid: string }>('POST', '/pay', { address: k.address, sats: 20_000, unconfirmed_parent: true })).body;
    expect(await c.call('blockchain.scripthash.get_history', [k.scripthash])).toEqual([{ tx_hash: txid, height: -1, fee: expect.any(Number) }]);
    const h = t.sb.status().height;
    await t.control('POST', '/mine', { blocks: 2 });
    const r = await t.control<{ height: number }>('POST', '/reorg', { depth: 2, blocks: 1 });
    expect(r.status).toBe(200);
    expect(r.body.height).toBe(h + 1);
    expect((await c.call<{ height: number }>('blockchain.headers.subscribe')).height).toBe(h + 1);
  });

  it("holds small answers like ElectrumX's padding: after the warm-up, under 1 KB waits for the previous write's second", async () => {
    const t = await sandbox({ padding: ELECTRUMX_PADDING });
    const c = await client(t); // the version answer goes out inside the warm-up budget
    const pad = t.sb.server.padding;
    expect(pad.warmup).toBe(1);
    await c.call('blockchain.block.headers', [0, 8]); // ~1.3 KB: past the budget, and out at once by its size
    expect(pad).toMatchObject({ warmup: 2, bySize: 0, byTimer: 0 });
    await c.call('server.ping', []); // small, right after a write: held until the timer
    expect(pad.byTimer).toBe(1);
    // A small call with a filler that passes 1 KB in the same batch goes out at once.
    c.send(JSON.stringify([{ jsonrpc: '2.0', id: 901, method: 'server.ping', params: [] }, { jsonrpc: '2.0', id: 902, method: 'blockchain.block.headers', params: [0, 8] }]));
    await c.until(() => c.lines.some((l) => l.includes('"id":902')), 3000, 'padded batch answered');
    expect(pad).toMatchObject({ bySize: 1, byTimer: 1 });
  });

  it('the client sends a filler with small requests to an ElectrumX that pads, so their answers are not held', async () => {
    const t = await sandbox({ padding: ELECTRUMX_PADDING, software: 'ElectrumX 1.20.0 (Satdesk sandbox)' });
    const k = new TestKey('p2wpkh');
    await t.control('POST', '/pay', { address: k.address, sats: 15_000 });
    const c = new ElectrumClient({ server: `tcp://127.0.0.1:${t.sb.tcpPort}`, network: 'regtest', pingIntervalMs: 0 });
    open.push(c);
    await c.connect();
    expect(c.holdsSmallAnswers).toBe(true);
    const pad = t.sb.server.padding;
    await c.blockHeaders(0, 8); // past the warm-up budget
    for (let i = 0; i < 3; i++) {
      const [h] = await c.getHistory(k.scripthash);
      expect(await c.getTransaction(h!.tx_hash)).toMatch(/^[0-9a-f]+$/);
    }
    expect(pad.byTimer).toBe(0);
    expect(pad.bySize).toBeGreaterThanOrEqual(6);
  });
});
