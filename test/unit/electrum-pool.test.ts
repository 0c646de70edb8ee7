import { afterEach, describe, expect, it } from 'vitest';
import { until as waitUntil } from '../helpers/wait.ts';
import type { ElectrumClient } from '../../src/node/electrum/client.ts';
import { ElectrumRpcError, isServerRefusal } from '../../src/node/electrum/errors.ts';
import { backoffDelay, ElectrumConnection, type ElectrumConnectionOptions } from '../../src/node/electrum/pool.ts';
import { closedPort, MAINNET_GENESIS, startPeer, type Peer, type PeerOptions } from './electrum-peer.ts';

const SH = 'f04bf26fc16a27abaa2f10540da7a24e369e6ec408f2d901202a7c0cd4a6112d';
const STATUS = 'd22435c14ab4c6a2d1cc5b90fc9938c2807118d3d173a488e962db7d595b81b6';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function peer(opts: PeerOptions = {}): Promise<Peer> {
  const p = await startPeer(opts);
  cleanups.push(() => p.close());
  return p;
}

function pool(servers: string[], extra: Partial<ElectrumConnectionOptions> = {}): ElectrumConnection {
  const c = new ElectrumConnection({
    servers,
    network: 'regtest',
    pingIntervalMs: 0,
    requestTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    backoff: { baseMs: 20, capMs: 200 },
    stableAfterMs: 60_000,
    ...extra,
  });
  cleanups.push(() => c.stop());
  return c;
}

const until = (cond: () => boolean, timeoutMs = 5000): Promise<unknown> => waitUntil(cond, 'the condition', { timeoutMs, everyMs: 5 });

describe('backoffDelay', () => {
  it('doubles from the base up to the cap, with jitter in [d/2, d]', () => {
    const lo = () => 0;
    const hi = () => 1;
    expect([1, 2, 3, 4, 7, 8, 40].map((n) => backoffDelay(n, {}, hi))).toEqual([1000, 2000, 4000, 8000, 60000, 60000, 60000]);
    expect([1, 2, 3].map((n) => backoffDelay(n, {}, lo))).toEqual([500, 1000, 2000]);
    expect(backoffDelay(3, { baseMs: 10, capMs: 25, jitter: 0 }, lo)).toBe(25);
  });
});

describe('isServerRefusal', () => {
  it('recognises throttling codes and refusal messages', () => {
    expect(isServerRefusal(new ElectrumRpcError('m', -101, 'excessive resource usage'))).toBe(true);
    expect(isServerRefusal(new ElectrumRpcError('m', -102, 'server busy'))).toBe(true);
    expect(isServerRefusal(new ElectrumRpcError('m', 1, 'history too large'))).toBe(true);
    expect(isServerRefusal(new ElectrumRpcError('m', -32600, 'Excessive resource usage'))).toBe(true);
    expect(isServerRefusal(new ElectrumRpcError('m', 1, 'too many subscriptions'))).toBe(true);
    expect(isServerRefusal(new ElectrumRpcError('m', 1, 'batch too large'))).toBe(true);
    expect(isServerRefusal(new ElectrumRpcError('m', 1, 'Batch request too large (400 > 345)'))).toBe(true);
    expect(isServerRefusal(new ElectrumRpcError('m', 1, 'Subscription limit reached'))).toBe(true);
    expect(isServerRefusal(new ElectrumRpcError('m', 2, 'unknown txid'))).toBe(false);
    expect(isServerRefusal(new Error('excessive resource usage'))).toBe(false);
  });
});

describe('ElectrumConnection', () => {
  it('fails over from an unreachable server to the next one and runs onConnected', async () => {
    const dead = await closedPort();
    const good = await peer();
    const conn = pool([`tcp://127.0.0.1:${dead}`, good.url]);
    const hooked: string[] = [];
    conn.onConnected((c) => {
      hooked.push(c.label);
    });
    conn.start();
    const client = await conn.waitForClient(5000);
    expect(client.label).toBe(good.url);
    expect(hooked).toEqual([good.url]);
    expect(conn.connected).toBe(true);
    expect(conn.currentServer).toEqual({ protocol: 'tcp', host: '127.0.0.1', port: good.port });
    const s = conn.status();
    expect(s.connected).toBe(true);
    expect(s.server).toBe(good.url);
    expect(s.protocolVersion).toBe('1.4.2');
    expect(s.lastError).toBe(`tcp://127.0.0.1:${dead}: cannot connect to tcp://127.0.0.1:${dead}: ECONNREFUSED`);
    expect(s.servers[0]).toMatchObject({ failures: 1, lastError: `cannot connect to tcp://127.0.0.1:${dead}: ECONNREFUSED` });
  });

  it('reconnects after a drop and re-runs onConnected every time', async () => {
    const good = await peer();
    const conn = pool([good.url]);
    const clients: ElectrumClient[] = [];
    const reasons: string[] = [];
    conn.onConnected((c) => {
      clients.push(c);
    });
    conn.onDisconnected((r) => reasons.push(r));
    conn.start();
    await until(() => clients.length === 1);
    good.conns[0]?.socket.destroy();
    await until(() => clients.length === 2);
    expect(clients[0]).not.toBe(clients[1]);
    expect(reasons).toEqual(['server closed the connection']);
    expect(conn.status().lastError).toBe(`${good.url}: server closed the connection`);
    expect(conn.connected).toBe(true);
    expect(good.conns).toHaveLength(2);
  });

  it('backs off with growing delays while every server is down', async () => {
    const a = await closedPort();
    const b = await closedPort();
    const conn = pool([`tcp://127.0.0.1:${a}`, `tcp://127.0.0.1:${b}`], { backoff: { baseMs: 10, capMs: 80, jitter: 0 } });
    const delays: number[] = [];
    conn.onStatus((s) => {
      if (s.nextRetryAt !== null) delays.push(s.nextRetryAt - Date.now());
    });
    conn.start();
    await until(() => conn.status().consecutiveFailures >= 5);
    const s = conn.status();
    expect(s.connected).toBe(false);
    expect(s.servers.map((h) => h.failures).every((f) => f >= 2)).toBe(true);
    // First entry is the immediate start; then 10, 20, 40, 80 (capped), give or take a millisecond.
    expect(delays.slice(1, 5).map((d) => Math.round(d / 10) * 10)).toEqual([10, 20, 40, 80]);
    await conn.stop();
    expect(conn.status().running).toBe(false);
  });

  it('on -101 (excessive resource usage) marks the server bad, says why, and fails over', async () => {
    const busy = await peer({
      onMessage: (m, c) => {
        if (m.method !== 'blockchain.scripthash.subscribe') return false;
        c.error(m.id, { code: -101, message: 'excessive resource usage' });
        return true;
      },
    });
    const good = await peer({
      onMessage: (m, c) => {
        if (m.method !== 'blockchain.scripthash.subscribe') return false;
        c.reply(m.id, STATUS);
        return true;
      },
    });
    const conn = pool([busy.url, good.url]);
    const statuses: Array<string | null> = [];
    conn.onConnected(async (c) => {
      statuses.push(await c.scripthashSubscribe(SH));
    });
    conn.start();
    await until(() => statuses.length === 1);
    expect(statuses).toEqual([STATUS]);
    expect(conn.client?.label).toBe(good.url);
    const s = conn.status();
    expect(s.servers[0]?.lastError).toBe('server refused: excessive resource usage (code -101)');
    expect(s.servers[0]?.badUntil).toBeGreaterThan(Date.now());
    expect(s.lastError).toBe(`${busy.url}: server refused: excessive resource usage (code -101)`);
  });

  it('markBad() drops the current server for the next one', async () => {
    const a = await peer();
    const b = await peer();
    const conn = pool([a.url, b.url]);
    conn.start();
    expect((await conn.waitForClient()).label).toBe(a.url);
    conn.markBad('status mismatch for a scripthash');
    await until(() => conn.client?.label === b.url);
    expect(conn.status().servers[0]).toMatchObject({ lastError: 'status mismatch for a scripthash' });
    expect(conn.lastError).toBe(`${a.url}: status mismatch for a scripthash`);
  });

  it('skips a server on another network', async () => {
    const wrong = await peer({ genesis: MAINNET_GENESIS });
    const right = await peer();
    const conn = pool([wrong.url, right.url]);
    conn.start();
    expect((await conn.waitForClient()).label).toBe(right.url);
    expect(conn.status().servers[0]?.lastError).toContain('another network');
    expect(conn.status().servers[0]?.badUntil).not.toBeNull();
  });

  it('waitForClient rejects with the last reason when nothing connects', async () => {
    const dead = await closedPort();
    const conn = pool([`tcp://127.0.0.1:${dead}`]);
    conn.start();
    await expect(conn.waitForClient(150)).rejects.toThrow(`no Electrum connection within 150 ms: tcp://127.0.0.1:${dead}: cannot connect to tcp://127.0.0.1:${dead}: ECONNREFUSED`);
  });
});
