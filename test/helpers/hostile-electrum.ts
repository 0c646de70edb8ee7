/**
 * A hostile Electrum server for the chain-trust suite: real TCP on loopback, newline-delimited JSON-RPC, enough of
 * protocol 1.4 for Satdesk's watcher, and every answer under the test's control so it can lie on purpose — a short
 * or low-work chain, a huge claimed tip with no headers behind it, a tip 10 blocks ahead of an honest upstream
 * (proxy mode), history below the anchor, a forged mempool transaction, a stall.
 *
 * Headers come from a function (`headerAt`), so a chain of any length costs no memory here. Every request is logged
 * (`requests`) so tests can assert what the client asked for — e.g. that it never requested more than a page ahead.
 */
import net from 'node:net';
import { electrumStatus } from '../../src/core/chain/index.ts';

export interface HistoryItem {
  tx_hash: string;
  height: number;
  fee?: number;
}

export interface HostileOptions {
  /** genesis hash announced in server.features (the client checks it against its network) */
  genesis: string;
  /** the header at a height, or null beyond what this server has */
  headerAt: (height: number) => string | null;
  /** the tip height announced by headers.subscribe (may be a lie) */
  tip: () => number;
  histories?: Map<string, HistoryItem[]>;
  /** raw transactions by txid */
  txs?: Map<string, string>;
  merkle?: (txid: string, height: number) => { block_height: number; merkle: string[]; pos: number } | null;
  /** stop answering anything (the socket stays open) once this many requests arrived */
  stallAfter?: number;
  /** while true, answer nothing and forward no notification (a stalled server) */
  stalled?: () => boolean;
  /** most headers one blockchain.block.headers answer carries (default 2016) */
  maxHeaders?: number;
  /** proxy mode: forward every request this server does not answer itself to an honest server, `host:port` */
  upstream?: { host: string; port: number };
  /** proxy mode: rewrite an upstream answer or notification (e.g. add 10 to the tip) */
  rewrite?: (method: string, result: unknown) => unknown;
}

export interface HostileServer {
  url: string;
  port: number;
  requests: { method: string; params: unknown[] }[];
  /** announce a new tip to every connected client */
  notifyTip(): void;
  /** announce a scripthash status change to every client that subscribed it */
  notifyScripthash(sh: string): void;
  connections(): number;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

/** Calls `on` with each newline-delimited JSON message read from `sock` (lines that do not parse are skipped). */
function onJsonLines(sock: net.Socket, on: (msg: unknown) => void): void {
  let buf = '';
  sock.on('data', (d) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      on(msg);
    }
  });
}

function statusOf(items: HistoryItem[] | undefined): string | null {
  return items && items.length ? electrumStatus(items) : null;
}

export async function startHostileElectrum(o: HostileOptions): Promise<HostileServer> {
  const requests: { method: string; params: unknown[] }[] = [];
  const sockets = new Set<net.Socket>();
  const subscribed = new Map<net.Socket, Set<string>>();
  const headerSubs = new Set<net.Socket>();

  const send = (s: net.Socket, msg: Json): void => {
    if (!s.destroyed) s.write(JSON.stringify({ jsonrpc: '2.0', ...msg }) + '\n');
  };
  const tipInfo = (): Json => {
    const h = o.tip();
    return { height: h, hex: o.headerAt(h) ?? o.headerAt(lastReal()) ?? '' };
  };
  // the highest height with a header, for a claimed tip beyond the chain (hex of the last real header)
  const lastReal = (): number => {
    let lo = 0;
    let hi = o.tip();
    if (o.headerAt(hi) !== null) return hi;
    while (lo < hi - 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (o.headerAt(mid) !== null) lo = mid;
      else hi = mid;
    }
    return lo;
  };

  /** Proxy mode: only what the test overrides is answered here; everything else goes to the honest upstream. */
  const PROXY_LOCAL = new Set(['blockchain.scripthash.subscribe', 'blockchain.scripthash.get_history', 'blockchain.transaction.get', 'blockchain.transaction.get_merkle']);

  function answer(method: string, params: unknown[], s: net.Socket): { result: unknown } | { error: Json } | null {
    const n = (i: number): number => Number(params[i]);
    if (o.upstream && !PROXY_LOCAL.has(method)) return null;
    switch (method) {
      case 'server.version':
        return { result: ['hostile/0.1', '1.4'] };
      case 'server.features':
        return { result: { genesis_hash: o.genesis, hash_function: 'sha256', protocol_min: '1.4', protocol_max: '1.4', server_version: 'hostile/0.1', hosts: {}, pruning: null } };
      case 'server.ping':
        return { result: null };
      case 'server.banner':
        return { result: '' };
      case 'server.peers.subscribe':
        return { result: [] };
      case 'blockchain.relayfee':
        return { result: 0.00001 };
      case 'blockchain.estimatefee':
        return { result: 0.0001 };
      case 'blockchain.headers.subscribe':
        headerSubs.add(s);
        return { result: tipInfo() };
      case 'blockchain.block.header': {
        const hex = o.headerAt(n(0));
        return hex === null ? { error: { code: 1, message: `height ${n(0)} out of range` } } : { result: hex };
      }
      case 'blockchain.block.headers': {
        const start = n(0);
        const count = Math.min(n(1), o.maxHeaders ?? 2016);
        let hex = '';
        let c = 0;
        for (; c < count; c++) {
          const h = o.headerAt(start + c);
          if (h === null) break;
          hex += h;
        }
        return { result: { count: c, hex, max: o.maxHeaders ?? 2016 } };
      }
      case 'blockchain.scripthash.subscribe': {
        const sh = String(params[0]);
        if (!subscribed.has(s)) subscribed.set(s, new Set());
        subscribed.get(s)!.add(sh);
        if (o.upstream && !o.histories?.has(sh)) return null;
        return { result: statusOf(o.histories?.get(sh)) };
      }
      case 'blockchain.scripthash.unsubscribe':
        subscribed.get(s)?.delete(String(params[0]));
        return o.upstream ? null : { result: true };
      case 'blockchain.scripthash.get_history': {
        const sh = String(params[0]);
        if (o.upstream && !o.histories?.has(sh)) return null;
        return { result: o.histories?.get(sh) ?? [] };
      }
      case 'blockchain.transaction.get': {
        const hex = o.txs?.get(String(params[0]));
        if (hex) return { result: hex };
        return o.upstream ? null : { error: { code: 2, message: 'no such transaction' } };
      }
      case 'blockchain.transaction.get_merkle': {
        const p = o.merkle?.(String(params[0]), n(1));
        if (p) return { result: p };
        return o.upstream ? null : { error: { code: 2, message: 'no merkle proof' } };
      }
      default:
        return o.upstream ? null : { error: { code: -32601, message: `unknown method ${method}` } };
    }
  }

  const server = net.createServer((s) => {
    sockets.add(s);
    let up: net.Socket | null = null;
    const pending = new Map<unknown, string>();
    if (o.upstream) {
      up = net.connect(o.upstream.port, o.upstream.host);
      onJsonLines(up, (line) => {
        const m = line as Json;
        const method = m.id !== undefined ? pending.get(m.id) : (m.method as string);
        if (m.id !== undefined) pending.delete(m.id);
        if (method && o.rewrite && m.id !== undefined && 'result' in m) m.result = o.rewrite(method, m.result);
        if (method && o.rewrite && m.id === undefined && Array.isArray(m.params)) m.params = (m.params as unknown[]).map((p) => o.rewrite!(method, p));
        if (!o.stalled?.()) send(s, m);
      });
      up.on('error', () => s.destroy());
      up.on('close', () => s.destroy());
    }
    onJsonLines(s, (msg) => {
      for (const m of Array.isArray(msg) ? (msg as Json[]) : [msg as Json]) {
        const method = String(m.method);
        const params = Array.isArray(m.params) ? (m.params as unknown[]) : [];
        requests.push({ method, params });
        if (o.stallAfter !== undefined && requests.length > o.stallAfter) continue;
        if (o.stalled?.()) continue;
        const a = answer(method, params, s);
        if (a === null) {
          pending.set(m.id, method);
          up?.write(JSON.stringify(m) + '\n');
        } else send(s, { id: m.id, ...a });
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      sockets.delete(s);
      subscribed.delete(s);
      headerSubs.delete(s);
      up?.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `tcp://127.0.0.1:${port}`,
    port,
    requests,
    notifyTip: () => {
      for (const s of headerSubs) send(s, { method: 'blockchain.headers.subscribe', params: [tipInfo()] });
    },
    notifyScripthash: (sh) => {
      for (const [s, set] of subscribed) if (set.has(sh)) send(s, { method: 'blockchain.scripthash.subscribe', params: [sh, statusOf(o.histories?.get(sh))] });
    },
    connections: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
