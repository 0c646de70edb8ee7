import { Transaction } from 'bitcoinjs-lib';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/wait.ts';
import { ElectrumClient, type ElectrumClientOptions } from '../../src/node/electrum/client.ts';
import {
  ElectrumConnectError,
  ElectrumDisconnectedError,
  ElectrumNetworkMismatchError,
  ElectrumProtocolError,
  ElectrumRpcError,
  ElectrumTimeoutError,
  ElectrumTlsError,
  ElectrumUnsupportedError,
} from '../../src/node/electrum/errors.ts';
import type { HeaderInfo } from '../../src/node/electrum/validate.ts';
import { closedPort, MAINNET_GENESIS, makeSelfSigned, startPeer, startSocks5Proxy, type Msg, type Peer, type PeerConn, type PeerOptions } from './electrum-peer.ts';

const SH = 'f04bf26fc16a27abaa2f10540da7a24e369e6ec408f2d901202a7c0cd4a6112d';
const STATUS = 'd22435c14ab4c6a2d1cc5b90fc9938c2807118d3d173a488e962db7d595b81b6';
const TXID = 'f6f71f4e246d25ceee56a1f3726720e1fcce75ccc131bf5fe59346bc8d17a27b';
const HEADER_HEX = '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f2002000000';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function peer(opts: PeerOptions = {}): Promise<Peer> {
  const p = await startPeer(opts);
  cleanups.push(() => p.close());
  return p;
}

function client(server: string, extra: Partial<ElectrumClientOptions> = {}): ElectrumClient {
  const c = new ElectrumClient({ server, network: 'regtest', pingIntervalMs: 0, requestTimeoutMs: 2000, connectTimeoutMs: 3000, ...extra });
  cleanups.push(() => c.close());
  return c;
}

async function connected(opts: PeerOptions = {}, extra: Partial<ElectrumClientOptions> = {}) {
  const p = await peer(opts);
  const c = client(p.url, extra);
  await c.connect();
  return { p, c };
}

function nextDisconnect(c: ElectrumClient): Promise<string> {
  return new Promise((resolve) => c.onDisconnected((reason) => resolve(reason)));
}

function on(method: string, fn: (m: Msg, conn: PeerConn) => void): PeerOptions['onMessage'] {
  return (m, conn) => {
    if (m.method !== method) return false;
    fn(m, conn);
    return true;
  };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('ElectrumClient handshake', () => {
  it('sends server.version first with the 1.4–1.6 range, then server.features; 1.4.2 enables unsubscribe', async () => {
    const { p, c } = await connected({
      onMessage: on('blockchain.scripthash.unsubscribe', (m, conn) => conn.reply(m.id, true)),
    });
    expect(p.messages[0]).toMatchObject({ jsonrpc: '2.0', method: 'server.version', params: ['satdesk/0.1.0', ['1.4', '1.6']] });
    expect(p.messages[1]).toMatchObject({ method: 'server.features', params: [] });
    expect(c.protocolVersion).toBe('1.4.2');
    expect(c.serverSoftware).toBe('ScriptedPeer 1.0');
    expect(c.supportsUnsubscribe).toBe(true);
    expect(c.isReady).toBe(true);
    await expect(c.unsubscribe(SH)).resolves.toBe(true);
  });

  it('with a 1.4 server it records 1.4 and refuses unsubscribe without sending it', async () => {
    const { p, c } = await connected({ version: '1.4' });
    expect(c.protocolVersion).toBe('1.4');
    expect(c.supportsUnsubscribe).toBe(false);
    const err = await rejection(c.unsubscribe(SH));
    expect(err).toBeInstanceOf(ElectrumUnsupportedError);
    expect(p.messages.map((m) => m.method)).toEqual(['server.version', 'server.features']);
  });

  it('refuses a version outside the offered range', async () => {
    const p = await peer({ version: '1.7' });
    const c = client(p.url);
    const err = await rejection(c.connect());
    expect(err).toBeInstanceOf(ElectrumProtocolError);
    expect(err.message).toBe('server negotiated protocol 1.7, outside 1.4–1.6');
    expect(c.state).toBe('closed');
  });

  it('refuses a server on another network (genesis mismatch)', async () => {
    const p = await peer({ genesis: MAINNET_GENESIS });
    const c = client(p.url);
    const reasons: string[] = [];
    c.onDisconnected((r) => reasons.push(r));
    const err = await rejection(c.connect());
    expect(err).toBeInstanceOf(ElectrumNetworkMismatchError);
    expect(err.message).toBe(
      `Electrum server is on another network: expected regtest genesis 0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206, got ${MAINNET_GENESIS}`,
    );
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain('another network');
  });

  it('rejects a refused connection with ElectrumConnectError and emits one disconnected event', async () => {
    const port = await closedPort();
    const c = client(`tcp://127.0.0.1:${port}`);
    const reasons: string[] = [];
    c.onDisconnected((r) => reasons.push(r));
    const err = await rejection(c.connect());
    expect(err).toBeInstanceOf(ElectrumConnectError);
    expect(err.message).toBe(`cannot connect to tcp://127.0.0.1:${port}: ECONNREFUSED`);
    expect(reasons).toEqual([err.message]);
  });

  it('times out a connect whose handshake never answers', async () => {
    const p = await peer({ onMessage: () => true });
    const c = client(p.url, { connectTimeoutMs: 200 });
    const err = await rejection(c.connect());
    expect(err).toBeInstanceOf(ElectrumConnectError);
    expect(err.message).toBe(`connecting to ${p.url} timed out after 200 ms`);
  });

  it('honours family 4 (and fails cleanly for family 6 on an IPv4-only name)', async () => {
    const p = await peer();
    const c4 = client(`tcp://localhost:${p.port}`, { family: 4 });
    await c4.connect();
    expect(c4.isReady).toBe(true);
    const c6 = client(`tcp://localhost:${p.port}`, { family: 6 });
    await expect(c6.connect()).rejects.toBeInstanceOf(ElectrumConnectError);
    const literal = client(`tcp://127.0.0.1:${p.port}`, { family: 6 });
    const err = await rejection(literal.connect());
    expect(err.message).toBe(`cannot connect to tcp://127.0.0.1:${p.port}: 127.0.0.1 is not an IPv6 address (ip-family ipv6)`);
  });
});

describe('ElectrumClient requests', () => {
  it('resolves null results as null', async () => {
    const { c } = await connected({ onMessage: on('blockchain.scripthash.subscribe', (m, conn) => conn.reply(m.id, null)) });
    await expect(c.scripthashSubscribe(SH)).resolves.toBeNull();
    await expect(c.request('server.ping')).resolves.toBeNull();
    await expect(c.ping()).resolves.toBeUndefined();
  });

  it('ignores (and counts) responses with unknown ids', async () => {
    const { c } = await connected({
      onMessage: on('blockchain.scripthash.subscribe', (m, conn) => {
        conn.reply(9999, 'bogus');
        conn.send({ jsonrpc: '2.0', id: 'str', result: 1 });
        conn.send({ jsonrpc: '2.0', id: m.id, method: 'client.request', params: [] });
        conn.reply(m.id, STATUS);
      }),
    });
    await expect(c.scripthashSubscribe(SH)).resolves.toBe(STATUS);
    expect(c.stats.unknownIds).toBe(3);
    expect(c.isReady).toBe(true);
  });

  it('normalises JSON-RPC error objects into ElectrumRpcError', async () => {
    const errors: unknown[] = [
      { code: -32600, message: 'history too large' },
      'plain string error',
      { code: 2, message: { detail: 'nested', n: 1 } },
      { message: 'no code' },
      42,
      '',
    ];
    let i = 0;
    const { c } = await connected({ onMessage: on('x.fail', (m, conn) => conn.error(m.id, errors[i++])) });
    const got: Array<[number, string]> = [];
    for (let k = 0; k < errors.length - 1; k++) {
      const e = await rejection(c.request('x.fail'));
      expect(e).toBeInstanceOf(ElectrumRpcError);
      got.push([(e as ElectrumRpcError).code, (e as ElectrumRpcError).rpcMessage]);
    }
    expect(got).toEqual([
      [-32600, 'history too large'],
      [0, 'plain string error'],
      [2, '{"detail":"nested","n":1}'],
      [0, 'no code'],
      [0, '42'],
    ]);
    const e = await rejection(c.request('x.fail'));
    expect(e.message).toBe('Electrum server error on x.fail (code 0): unspecified error');
    expect(c.isReady).toBe(true);
  });

  it('times out a request with ElectrumTimeoutError and ignores the late answer', async () => {
    let late: (() => void) | null = null;
    const { c } = await connected({ onMessage: on('slow', (m, conn) => (late = () => conn.reply(m.id, 'late'))) });
    const err = await rejection(c.request('slow', [], { timeoutMs: 50 }));
    expect(err).toBeInstanceOf(ElectrumTimeoutError);
    expect(err.message).toBe('Electrum request slow timed out after 50 ms');
    expect(c.pendingCount).toBe(0);
    (late as unknown as () => void)();
    await expect(c.request('server.ping')).resolves.toBeNull();
    expect(c.stats.unknownIds).toBe(1);
  });

  it('rejects pending requests with ElectrumDisconnectedError when the server closes mid-request', async () => {
    const { c } = await connected({
      onMessage: (m, conn) => {
        if (m.method === 'never') return true;
        if (m.method === 'blockchain.scripthash.get_history') conn.socket.end();
        return m.method === 'blockchain.scripthash.get_history';
      },
    });
    const disc = nextDisconnect(c);
    const other = c.request('never', [], { timeoutMs: 5000 }).catch((e: unknown) => e);
    const err = await rejection(c.getHistory(SH));
    expect(err).toBeInstanceOf(ElectrumDisconnectedError);
    expect((err as ElectrumDisconnectedError).reason).toBe('server closed the connection');
    expect(await other).toBeInstanceOf(ElectrumDisconnectedError);
    expect(await disc).toBe('server closed the connection');
    expect(c.state).toBe('closed');
    expect(await rejection(c.request('server.ping'))).toBeInstanceOf(ElectrumDisconnectedError);
  });

  it('drops the connection on a garbage line', async () => {
    const { c } = await connected({ onMessage: on('x', (_m, conn) => conn.write('this is not json\n')) });
    const disc = nextDisconnect(c);
    const err = await rejection(c.request('x'));
    expect(err).toBeInstanceOf(ElectrumDisconnectedError);
    expect(await disc).toBe('protocol error: server sent a line that is not JSON');
  });

  it('drops the connection on an oversize line, without throwing', async () => {
    const { c } = await connected({ onMessage: on('big', (m, conn) => conn.write(`{"id":${m.id},"result":"${'a'.repeat(5000)}"}\n`)) }, { maxLineBytes: 1024 });
    const disc = nextDisconnect(c);
    expect(await rejection(c.request('big'))).toBeInstanceOf(ElectrumDisconnectedError);
    expect(await disc).toBe('protocol error: line longer than 1024 bytes from server');
  });

  it('handles a response split into single bytes and several responses in one chunk', async () => {
    const { c } = await connected({
      onMessage: (m, conn) => {
        if (m.method === 'split') {
          const bytes = Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id: m.id, result: 'ünïcødé €' })}\n`);
          for (const b of bytes) conn.write(Buffer.from([b]));
          return true;
        }
        if (m.method === 'pair') {
          conn.write(`${JSON.stringify({ id: m.id, result: 'second' })}\n${JSON.stringify({ id: m.id - 1, result: 'first' })}\n`);
          return true;
        }
        if (m.method === 'hold') return true;
        return false;
      },
    });
    await expect(c.request('split')).resolves.toBe('ünïcødé €');
    const [a, b] = await Promise.all([c.request('hold'), c.request('pair')]);
    expect([a, b]).toEqual(['first', 'second']);
  });

  it('turns malformed results of typed helpers into ElectrumProtocolError', async () => {
    const bad: Record<string, unknown> = {
      'blockchain.headers.subscribe': { height: -1, hex: 'zz' },
      'blockchain.scripthash.subscribe': 'not-a-status',
      'blockchain.scripthash.get_history': [{ tx_hash: TXID, height: 'x' }],
      'blockchain.transaction.get_merkle': { block_height: 7, merkle: [], pos: 0 },
      'blockchain.block.header': 'abcd',
      'blockchain.block.headers': { count: 2, hex: HEADER_HEX, max: 2016 },
      'blockchain.transaction.broadcast': { txid: TXID },
      'blockchain.transaction.get': 'nothex!',
    };
    const { c } = await connected({
      onMessage: (m, conn) => {
        if (!(m.method in bad)) return false;
        conn.reply(m.id, bad[m.method]);
        return true;
      },
    });
    const protocolErrors: string[] = [];
    c.on('protocolError', (e) => protocolErrors.push(e.message));
    const calls: Array<Promise<unknown>> = [
      c.headersSubscribe(),
      c.scripthashSubscribe(SH),
      c.getHistory(SH),
      c.getMerkle(TXID, 5),
      c.blockHeader(0),
      c.blockHeaders(0, 2),
      c.broadcast('00'),
      c.getTransaction(TXID),
    ];
    for (const p of calls) expect(await rejection(p)).toBeInstanceOf(ElectrumProtocolError);
    expect(protocolErrors).toEqual([
      'malformed header from server: height is not a non-negative integer',
      'malformed scripthash status from server: not null or a 64-digit hex hash',
      'malformed history from server: entry 0 height is not an integer >= -1',
      'malformed merkle proof from server: block_height 7 != requested 5',
      'malformed block header from server: not an 80-byte hex header',
      'malformed block headers from server: hex is not count × 80 bytes',
      'malformed broadcast result from server: not a 64-digit hex txid',
      'malformed transaction from server: not a hex string',
    ]);
    expect(c.isReady).toBe(true);
  });

  it('returns well-formed typed results and checks that a transaction hashes to its txid', async () => {
    const tx = new Transaction();
    tx.addInput(new Uint8Array(32).fill(7), 0);
    tx.addOutput(Buffer.from('00149f9aa3795e57c535d2f7b160ff023804c60fca6e', 'hex'), 12_345n);
    const other = new Transaction();
    other.addInput(new Uint8Array(32).fill(8), 1);
    other.addOutput(Buffer.from('00149f9aa3795e57c535d2f7b160ff023804c60fca6e', 'hex'), 1n);
    const txid = tx.getId();
    const { c } = await connected({
      onMessage: (m, conn) => {
        const r: Record<string, unknown> = {
          'blockchain.headers.subscribe': { height: 0, hex: HEADER_HEX },
          'blockchain.scripthash.get_history': [{ tx_hash: txid, height: 3 }, { tx_hash: TXID, height: 0, fee: 200 }],
          'blockchain.transaction.get_merkle': { block_height: 3, merkle: [TXID], pos: 1 },
          'blockchain.block.header': HEADER_HEX,
          'blockchain.block.headers': m.params[0] === 7 ? { count: 2, headers: [HEADER_HEX, HEADER_HEX], max: 2016 } : { count: 2, hex: HEADER_HEX + HEADER_HEX, max: 2016 },
          'blockchain.transaction.broadcast': txid,
        };
        if (m.method === 'blockchain.transaction.get') {
          conn.reply(m.id, m.params[0] === txid ? tx.toHex() : other.toHex());
          return true;
        }
        if (!(m.method in r)) return false;
        conn.reply(m.id, r[m.method]);
        return true;
      },
    });
    await expect(c.headersSubscribe()).resolves.toEqual({ height: 0, hex: HEADER_HEX });
    await expect(c.getHistory(SH)).resolves.toEqual([{ tx_hash: txid, height: 3 }, { tx_hash: TXID, height: 0, fee: 200 }]);
    await expect(c.getMerkle(txid, 3)).resolves.toEqual({ block_height: 3, merkle: [TXID], pos: 1 });
    await expect(c.blockHeader(0)).resolves.toBe(HEADER_HEX);
    await expect(c.blockHeaders(0, 5)).resolves.toEqual({ count: 2, hex: HEADER_HEX + HEADER_HEX, max: 2016 });
    // Protocol 1.6 answers an array of headers: the same result.
    await expect(c.blockHeaders(7, 5)).resolves.toEqual({ count: 2, hex: HEADER_HEX + HEADER_HEX, max: 2016 });
    await expect(c.broadcast(tx.toHex())).resolves.toBe(txid);
    await expect(c.getTransaction(txid)).resolves.toBe(tx.toHex());
    const err = await rejection(c.getTransaction(TXID));
    expect(err).toBeInstanceOf(ElectrumProtocolError);
    expect(err.message).toBe(`transaction from server hashes to ${other.getId()}, not the requested ${TXID}`);
  });

  it('refuses bad arguments before sending', async () => {
    const { p, c } = await connected();
    await expect(c.getHistory('XYZ')).rejects.toThrow('not a scripthash (64 lowercase hex digits): XYZ');
    expect(p.messages).toHaveLength(2);
  });
});

describe('ElectrumClient notifications', () => {
  it('dispatches header and scripthash notifications and ignores malformed ones', async () => {
    const listenerErrors: unknown[] = [];
    const { p, c } = await connected({}, { onListenerError: (e) => listenerErrors.push(e) });
    const headers: HeaderInfo[] = [];
    const statuses: Array<[string, string | null]> = [];
    const others: string[] = [];
    const protocolErrors: string[] = [];
    c.onHeader((h) => headers.push(h));
    c.onScripthash((sh, st) => statuses.push([sh, st]));
    c.on('notification', (m) => others.push(m));
    c.on('protocolError', (e) => protocolErrors.push(e.message));
    c.onHeader(() => {
      throw new Error('a listener bug must not reach the socket');
    });
    const conn = p.conns[0] as PeerConn;
    conn.notify('blockchain.headers.subscribe', [{ height: 5, hex: HEADER_HEX }]);
    conn.notify('blockchain.scripthash.subscribe', [SH, STATUS]);
    conn.notify('blockchain.scripthash.subscribe', [SH, null]);
    conn.notify('blockchain.headers.subscribe', [{ height: 'x' }]);
    conn.notify('blockchain.scripthash.subscribe', ['nope', STATUS]);
    conn.notify('server.something', [1]);
    await expect(c.request('server.ping')).resolves.toBeNull();
    expect(headers).toEqual([{ height: 5, hex: HEADER_HEX }]);
    expect(statuses).toEqual([[SH, STATUS], [SH, null]]);
    expect(others).toEqual(['server.something']);
    expect(listenerErrors).toEqual([new Error('a listener bug must not reach the socket')]);
    expect(protocolErrors).toEqual([
      'malformed header notification from server: height is not a non-negative integer',
      'malformed scripthash notification from server: bad scripthash',
    ]);
    expect(c.isReady).toBe(true);
  });
});

describe('ElectrumClient batch', () => {
  it('sends pages of at most pageSize and returns results and errors per call, in order', async () => {
    const { p, c } = await connected({
      onMessage: on('echo', (m, conn) => {
        const n = m.params[0] as number;
        if (n % 7 === 3) conn.error(m.id, { code: 1, message: `no ${n}` });
        else conn.reply(m.id, n === 10 ? null : n * 2);
      }),
      // Answer each page reversed, as one JSON array, to prove matching is by id.
      onBatch: (batch, conn) => {
        const replies = batch.map((m) => {
          const n = m.params[0] as number;
          return n % 7 === 3 ? { jsonrpc: '2.0', id: m.id, error: { code: 1, message: `no ${n}` } } : { jsonrpc: '2.0', id: m.id, result: n === 10 ? null : n * 2 };
        });
        conn.send(replies.reverse());
        return true;
      },
    });
    const calls = Array.from({ length: 23 }, (_, n) => ({ method: 'echo', params: [n] }));
    const out = await c.batch<number | null>(calls, { pageSize: 10 });
    expect(p.batches.map((b) => b.length)).toEqual([10, 10, 3]);
    expect(out).toHaveLength(23);
    out.forEach((r, n) => {
      if (n % 7 === 3) {
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.error).toBeInstanceOf(ElectrumRpcError);
          expect(r.error.message).toBe(`Electrum server error on echo (code 1): no ${n}`);
        }
      } else {
        expect(r).toEqual({ ok: true, result: n === 10 ? null : n * 2 });
      }
    });
  });

  it('falls back to single requests when the server refuses a batch as a whole', async () => {
    const { p, c } = await connected({
      onBatch: (_batch, conn) => {
        conn.error(null, { code: -32600, message: 'batches not supported' });
        return true;
      },
      onMessage: on('echo', (m, conn) => conn.reply(m.id, m.params[0])),
    });
    const calls = Array.from({ length: 5 }, (_, n) => ({ method: 'echo', params: [n] }));
    const out = await c.batch(calls, { pageSize: 3 });
    expect(out).toEqual([0, 1, 2, 3, 4].map((n) => ({ ok: true, result: n })));
    expect(p.batches).toHaveLength(1); // the second page went out as single requests
    expect(c.batchesEnabled).toBe(false);
    expect(c.stats.batchFallbacks).toBe(1);
  });
});

describe('ElectrumClient keep-alive', () => {
  it('pings on the interval and declares the connection dead when a ping goes unanswered', async () => {
    let answer = true;
    const { p, c } = await connected(
      { onMessage: on('server.ping', (m, conn) => answer && conn.reply(m.id, null)) },
      { pingIntervalMs: 40, pingTimeoutMs: 60 },
    );
    await until(() => p.messages.filter((m) => m.method === 'server.ping').length >= 2, 'two pings');
    expect(c.isReady).toBe(true);
    answer = false;
    expect(await nextDisconnect(c)).toBe('ping timeout: no answer within 60 ms');
  });
});

describe('ElectrumClient TLS', () => {
  const cert = makeSelfSigned();

  it('connects when the pinned SHA-256 fingerprint matches (colon form accepted)', async () => {
    const p = await peer({ tls: { key: cert.key, cert: cert.cert } });
    const c = client(`ssl://127.0.0.1:${p.port}#${cert.fingerprint256}`);
    await c.connect();
    expect(c.isReady).toBe(true);
    expect(c.server.fingerprint).toBe(cert.fingerprint256.replace(/:/g, '').toLowerCase());
  });

  it('refuses a wrong fingerprint before sending any request', async () => {
    const p = await peer({ tls: { key: cert.key, cert: cert.cert } });
    const wrong = 'ab'.repeat(32);
    const c = client(`ssl://127.0.0.1:${p.port}#${wrong}`);
    const err = await rejection(c.connect());
    expect(err).toBeInstanceOf(ElectrumTlsError);
    expect(err.message).toBe(
      `TLS certificate of ssl://127.0.0.1:${p.port} does not match the pinned fingerprint (expected ${wrong}, got ${cert.fingerprint256.replace(/:/g, '').toLowerCase()})`,
    );
    // Once the peer has seen the connection close, everything the client sent has arrived: nothing.
    await until(async () => (await p.openConnections()) === 0, 'the refused connection to close');
    expect(p.messages).toHaveLength(0);
    expect(p.conns.every((cn) => cn.rawChunks.length === 0)).toBe(true);
  });

  it('verifies certificates normally without a fingerprint: untrusted self-signed refused, trusted CA accepted', async () => {
    const p = await peer({ tls: { key: cert.key, cert: cert.cert } });
    const untrusted = client(`ssl://localhost:${p.port}`);
    const err = await rejection(untrusted.connect());
    expect(err).toBeInstanceOf(ElectrumTlsError);
    expect(err.message).toContain('SELF_SIGNED');
    expect(p.messages).toHaveLength(0);
    const trusted = client(`ssl://localhost:${p.port}`, { ca: cert.cert });
    await trusted.connect();
    expect(trusted.isReady).toBe(true);
  });
});

describe('ElectrumClient through a SOCKS5 proxy', () => {
  it('connects over TCP and over TLS through the proxy, by domain name', async () => {
    const proxy = await startSocks5Proxy();
    cleanups.push(() => proxy.close());
    const plain = await peer({ onMessage: on('blockchain.scripthash.subscribe', (m, conn) => conn.reply(m.id, STATUS)) });
    const c = client(`tcp://localhost:${plain.port}`, { proxy: { host: '127.0.0.1', port: proxy.port } });
    await c.connect();
    await expect(c.scripthashSubscribe(SH)).resolves.toBe(STATUS);
    expect(proxy.targets).toEqual([`localhost:${plain.port}`]);

    const cert = makeSelfSigned();
    const secure = await peer({ tls: { key: cert.key, cert: cert.cert } });
    const t = client(`ssl://localhost:${secure.port}#${cert.fingerprint256}`, { proxy: { host: '127.0.0.1', port: proxy.port } });
    await t.connect();
    expect(t.isReady).toBe(true);
    expect(proxy.targets).toEqual([`localhost:${plain.port}`, `localhost:${secure.port}`]);
    // Stream isolation: each server gets its own SOCKS credentials (Tor puts them on different circuits); a second
    // connection to the same server reuses its pair.
    const again = client(`tcp://localhost:${plain.port}`, { proxy: { host: '127.0.0.1', port: proxy.port } });
    await again.connect();
    expect(proxy.credentials).toHaveLength(3);
    expect(proxy.credentials[0]!.user).toMatch(/^satdesk-[0-9a-f]{16}$/);
    expect(proxy.credentials[1]!.user).not.toBe(proxy.credentials[0]!.user);
    expect(proxy.credentials[2]).toEqual(proxy.credentials[0]);
  });

  it('reports a proxy that cannot reach the server', async () => {
    const proxy = await startSocks5Proxy();
    cleanups.push(() => proxy.close());
    const port = await closedPort();
    const c = client(`tcp://127.0.0.1:${port}`, { proxy: { host: '127.0.0.1', port: proxy.port } });
    const err = await rejection(c.connect());
    expect(err).toBeInstanceOf(ElectrumConnectError);
    expect(err.message).toBe(`cannot reach tcp://127.0.0.1:${port} through the proxy: SOCKS5 proxy could not reach 127.0.0.1:${port}: connection refused`);
  });
});
