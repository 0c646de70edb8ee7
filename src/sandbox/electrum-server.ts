import net from 'node:net';
import tls from 'node:tls';
import { StringDecoder } from 'node:string_decoder';
import { randomBytes } from 'node:crypto';
import { REGTEST_GENESIS_HASH, electrumStatus, merkleBranch, merkleRoot } from '../core/chain/index.ts';
import type { HistoryItem, SandboxChain } from './chain.ts';
import { RejectError, decodeTx } from './tx.ts';

export const SERVER_VERSION = 'Satdesk-sandbox 0.1';
export const PROTOCOL_MIN = '1.4';
export const PROTOCOL_MAX = '1.4.2';
/** Per-line cap (ElectrumX's default max request size is about 1 MB) and batch cap (Fulcrum's 345). */
export const MAX_LINE_BYTES = 1_000_000;
export const MAX_BATCH = 345;
export const MAX_HEADERS = 2016;
const IDLE_MS = 600_000;

export type FaultKind = 'disconnect' | 'stall' | 'garbage' | 'lie' | 'lag';
export const FAULT_KINDS: readonly FaultKind[] = ['disconnect', 'stall', 'garbage', 'lie', 'lag'];
export const GARBAGE_LINE = '<html>502 Bad Gateway: this is not JSON</html>';

class RpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

type Params = unknown[];
type Handler = (s: Session, p: Params) => unknown;

function parseVersion(v: string): number[] | null {
  if (typeof v !== 'string' || !/^\d+(\.\d+)+$/.test(v)) return null;
  return v.split('.').map(Number);
}

function cmpVersion(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function badParams(msg: string): RpcError {
  return new RpcError(-32602, msg);
}

function int(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw badParams(`${name} must be an integer, got ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}

function hash32(v: unknown, what: string): string {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v)) throw badParams(`${JSON.stringify(v) ?? 'nothing'} should be a ${what}`);
  return v.toLowerCase();
}

class Session {
  readonly decoder = new StringDecoder('utf8');
  buf = '';
  version: string | null = null;
  headersSubscribed = false;
  lastTipHash: string | null = null;
  subs = new Map<string, string | null>();
  queue: string[] = [];
  closed = false;
  constructor(readonly socket: net.Socket, readonly id: number) {}

  get negotiated(): string {
    return this.version ?? PROTOCOL_MIN;
  }

  write(obj: unknown): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(JSON.stringify(obj) + '\n');
  }

  writeRaw(line: string): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(line + '\n');
  }
}

const PARAM_NAMES: Record<string, string[]> = {
  'server.version': ['client_name', 'protocol_version'],
  'blockchain.block.header': ['height', 'cp_height'],
  'blockchain.block.headers': ['start_height', 'count', 'cp_height'],
  'blockchain.scripthash.subscribe': ['scripthash'],
  'blockchain.scripthash.unsubscribe': ['scripthash'],
  'blockchain.scripthash.get_history': ['scripthash'],
  'blockchain.scripthash.get_balance': ['scripthash'],
  'blockchain.scripthash.listunspent': ['scripthash'],
  'blockchain.scripthash.get_mempool': ['scripthash'],
  'blockchain.transaction.get': ['tx_hash', 'verbose'],
  'blockchain.transaction.get_merkle': ['tx_hash', 'height'],
  'blockchain.transaction.id_from_pos': ['height', 'tx_pos', 'merkle'],
  'blockchain.transaction.broadcast': ['raw_tx'],
  'blockchain.estimatefee': ['number', 'mode'],
};

export interface ElectrumServerOptions {
  host: string;
  port: number;
  tlsPort: number;
  tlsKey: string;
  tlsCert: string;
  log: (line: string) => void;
}

/**
 * Electrum protocol 1.4 (up to 1.4.2 for scripthash.unsubscribe) over TCP and TLS on top of a SandboxChain, with
 * switchable faults for testing clients.
 */
export class ElectrumServer {
  private tcp: net.Server;
  private tlsServer: tls.Server;
  private sessions = new Set<Session>();
  private nextId = 1;
  private unsubscribe: () => void;
  fault: FaultKind | null = null;
  private faultTimer: NodeJS.Timeout | null = null;
  private refuseUntil = 0;
  private lagHeight: number | null = null;
  private lieHeight = 0;
  private methods: Record<string, Handler>;

  constructor(private chain: SandboxChain, private opts: ElectrumServerOptions) {
    this.tcp = net.createServer((s) => this.accept(s));
    this.tlsServer = tls.createServer({ key: opts.tlsKey, cert: opts.tlsCert }, (s) => this.accept(s));
    this.tlsServer.on('tlsClientError', () => {});
    this.unsubscribe = chain.onChange((e) => (e.touched ? this.notifyTouched(e.touched) : this.notifyAll()));
    this.methods = this.buildMethods();
  }

  async listen(): Promise<{ tcpPort: number; tlsPort: number }> {
    const listen = (srv: net.Server, port: number): Promise<number> =>
      new Promise((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, this.opts.host, () => {
          srv.off('error', reject);
          resolve((srv.address() as net.AddressInfo).port);
        });
      });
    const tcpPort = await listen(this.tcp, this.opts.port);
    const tlsPort = await listen(this.tlsServer, this.opts.tlsPort);
    return { tcpPort, tlsPort };
  }

  async close(): Promise<void> {
    this.unsubscribe();
    if (this.faultTimer) clearTimeout(this.faultTimer);
    for (const s of this.sessions) s.socket.destroy();
    this.sessions.clear();
    await Promise.all([this.tcp, this.tlsServer].map((srv) => new Promise<void>((r) => srv.close(() => r()))));
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  // ---------- faults ----------

  setFault(kind: FaultKind | null, seconds?: number): void {
    const previous = this.fault;
    if (this.faultTimer) clearTimeout(this.faultTimer);
    this.faultTimer = null;
    this.fault = null;
    this.refuseUntil = 0;
    this.lagHeight = null;
    if (previous === 'stall') for (const s of this.sessions) this.drain(s);
    this.opts.log(`fault: ${kind ?? 'none'}${seconds ? ` for ${seconds}s` : ''}`);
    if (kind === 'disconnect') {
      for (const s of this.sessions) s.socket.destroy();
      this.sessions.clear();
      if (!seconds) {
        if (previous) this.notifyAll();
        return;
      }
      this.refuseUntil = Date.now() + seconds * 1000;
    }
    this.fault = kind;
    if (kind === 'garbage') for (const s of this.sessions) s.writeRaw(GARBAGE_LINE);
    if (kind === 'lag') this.lagHeight = this.chain.height;
    if (kind === 'lie') this.lieHeight = this.chain.height;
    if (kind && seconds) {
      this.faultTimer = setTimeout(() => this.setFault(null), seconds * 1000);
      this.faultTimer.unref();
    }
    if (kind === 'lie' || previous === 'lie' || previous === 'lag' || previous === 'stall') this.notifyAll();
  }

  // ---------- connections ----------

  private accept(socket: net.Socket): void {
    if (this.refuseUntil > Date.now()) {
      socket.destroy();
      return;
    }
    const s = new Session(socket, this.nextId++);
    this.sessions.add(s);
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => this.onData(s, chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      s.closed = true;
      this.sessions.delete(s);
    });
    if (this.fault === 'garbage') s.writeRaw(GARBAGE_LINE);
  }

  private onData(s: Session, chunk: Buffer): void {
    s.buf += s.decoder.write(chunk);
    let nl: number;
    while ((nl = s.buf.indexOf('\n')) >= 0) {
      const line = s.buf.slice(0, nl).trim();
      s.buf = s.buf.slice(nl + 1);
      if (Buffer.byteLength(line) > MAX_LINE_BYTES) return this.tooLarge(s);
      if (line) {
        if (this.fault === 'stall') s.queue.push(line);
        else this.handleLine(s, line);
      }
      if (s.closed) return;
    }
    if (Buffer.byteLength(s.buf) > MAX_LINE_BYTES) this.tooLarge(s);
  }

  private tooLarge(s: Session): void {
    s.write({ jsonrpc: '2.0', id: null, error: { code: -32600, message: `request too large (max ${MAX_LINE_BYTES} bytes)` } });
    s.socket.end();
    s.closed = true;
  }

  private drain(s: Session): void {
    const q = s.queue;
    s.queue = [];
    for (const line of q) this.handleLine(s, line);
  }

  private send(s: Session, obj: unknown): void {
    if (this.fault === 'garbage') s.writeRaw(GARBAGE_LINE);
    s.write(obj);
  }

  private handleLine(s: Session, line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.send(s, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
      return;
    }
    if (Array.isArray(msg)) {
      if (msg.length === 0) return this.send(s, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request: empty batch' } });
      if (msg.length > MAX_BATCH) return this.send(s, { jsonrpc: '2.0', id: null, error: { code: -32600, message: `batch too large (max ${MAX_BATCH})` } });
      const out = msg.map((m) => this.handleRequest(s, m)).filter((r) => r !== null);
      if (out.length) this.send(s, out);
      return;
    }
    const r = this.handleRequest(s, msg);
    if (r) this.send(s, r);
  }

  private handleRequest(s: Session, m: unknown): Record<string, unknown> | null {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } };
    const req = m as { id?: unknown; method?: unknown; params?: unknown };
    const id = req.id === undefined ? undefined : req.id;
    if (id !== undefined && id !== null && typeof id !== 'string' && typeof id !== 'number') {
      return { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request: bad id' } };
    }
    const reply = (body: { result: unknown } | { error: { code: number; message: string } }): Record<string, unknown> | null =>
      id === undefined ? null : { jsonrpc: '2.0', id, ...body };
    if (typeof req.method !== 'string') return reply({ error: { code: -32600, message: 'Invalid Request: no method' } });
    const handler = this.methods[req.method];
    if (!handler) return reply({ error: { code: -32601, message: `unknown method "${req.method}"` } });
    let params: Params;
    if (req.params === undefined || req.params === null) params = [];
    else if (Array.isArray(req.params)) params = req.params;
    else if (typeof req.params === 'object') {
      const named = req.params as Record<string, unknown>;
      params = (PARAM_NAMES[req.method] ?? []).map((n) => named[n]);
      while (params.length && params[params.length - 1] === undefined) params.pop();
    } else return reply({ error: { code: -32602, message: 'params must be an array or an object' } });
    try {
      return reply({ result: handler(s, params) ?? null });
    } catch (e) {
      if (e instanceof RpcError) return reply({ error: { code: e.code, message: e.message } });
      this.opts.log(`internal error in ${req.method}: ${(e as Error).stack ?? String(e)}`);
      return reply({ error: { code: -32603, message: 'internal error' } });
    }
  }

  // ---------- views (lag and lie) ----------

  private get viewHeight(): number {
    return this.lagHeight ?? this.chain.height;
  }

  private lies = new Set<string>();

  /** A txid no transaction has: the "confirmed" entry a lying server invents for a script hash. */
  private fakeTxid(sh: string): string {
    const id = electrumStatus([{ tx_hash: sh, height: this.lieHeight }])!;
    this.lies.add(id);
    return id;
  }

  private history(sh: string): HistoryItem[] {
    const h = this.chain.history(sh, this.lagHeight ?? Infinity);
    if (this.fault !== 'lie' || this.lieHeight < 1) return h;
    const confirmed = h.filter((e) => e.height > 0);
    const mempool = h.filter((e) => e.height <= 0);
    return [...confirmed, { tx_hash: this.fakeTxid(sh), height: this.lieHeight }, ...mempool];
  }

  private status(sh: string): string | null {
    return electrumStatus(this.history(sh));
  }

  private notifyAll(): void {
    for (const s of this.sessions) this.notify(s);
  }

  /** A mempool-only change: re-check just the script hashes it touched, for the sessions subscribed to them. */
  private notifyTouched(touched: ReadonlySet<string>): void {
    if (this.fault === 'stall') return;
    for (const s of this.sessions) {
      if (s.closed) continue;
      for (const sh of touched) {
        if (!s.subs.has(sh)) continue;
        const st = this.status(sh);
        if (st !== s.subs.get(sh)) {
          s.subs.set(sh, st);
          this.send(s, { jsonrpc: '2.0', method: 'blockchain.scripthash.subscribe', params: [sh, st] });
        }
      }
    }
  }

  private notify(s: Session): void {
    if (this.fault === 'stall' || s.closed) return;
    if (s.headersSubscribed && this.lagHeight === null) {
      const tip = this.chain.tip;
      if (tip.hash !== s.lastTipHash) {
        s.lastTipHash = tip.hash;
        this.send(s, { jsonrpc: '2.0', method: 'blockchain.headers.subscribe', params: [{ height: tip.height, hex: tip.headerHex }] });
      }
    }
    for (const [sh, last] of s.subs) {
      const st = this.status(sh);
      if (st !== last) {
        s.subs.set(sh, st);
        this.send(s, { jsonrpc: '2.0', method: 'blockchain.scripthash.subscribe', params: [sh, st] });
      }
    }
  }

  // ---------- methods ----------

  private headerAt(height: number): string {
    if (height < 0 || height > this.viewHeight) throw new RpcError(1, `height ${height} out of range`);
    return this.chain.blocks[height]!.headerHex;
  }

  private headerProof(height: number, cp: number): { branch: string[]; root: string } {
    if (cp < height || cp > this.viewHeight) throw new RpcError(1, `header height ${height} must be <= cp_height ${cp} which must be <= chain height ${this.viewHeight}`);
    const hashes = this.chain.blocks.slice(0, cp + 1).map((b) => b.hash);
    return { branch: merkleBranch(hashes, height), root: merkleRoot(hashes) };
  }

  private buildMethods(): Record<string, Handler> {
    const chain = this.chain;
    return {
      'server.version': (s, p) => {
        if (s.version !== null) throw new RpcError(1, 'server.version already sent');
        const pv = p[1] ?? PROTOCOL_MIN;
        let min: number[] | null;
        let max: number[] | null;
        if (Array.isArray(pv) && pv.length === 2) {
          min = parseVersion(pv[0] as string);
          max = parseVersion(pv[1] as string);
        } else {
          min = max = parseVersion(pv as string);
        }
        if (!min || !max) throw badParams(`invalid protocol version: ${JSON.stringify(pv)}`);
        const sMin = parseVersion(PROTOCOL_MIN)!;
        const sMax = parseVersion(PROTOCOL_MAX)!;
        const chosen = cmpVersion(max, sMax) < 0 ? max : sMax;
        if (cmpVersion(chosen, min) < 0 || cmpVersion(chosen, sMin) < 0) {
          setImmediate(() => s.socket.end());
          throw new RpcError(1, `unsupported protocol version: ${JSON.stringify(pv)}`);
        }
        s.version = chosen.join('.');
        return [SERVER_VERSION, s.version];
      },
      'server.ping': () => null,
      'server.features': () => ({
        genesis_hash: REGTEST_GENESIS_HASH,
        hosts: {},
        protocol_max: PROTOCOL_MAX,
        protocol_min: PROTOCOL_MIN,
        pruning: null,
        server_version: SERVER_VERSION,
        hash_function: 'sha256',
        services: [],
      }),
      'server.banner': () => 'Satdesk sandbox: a regtest chain for testing. Nothing here is real money.',
      'server.donation_address': () => '',
      'server.peers.subscribe': () => [],
      'blockchain.headers.subscribe': (s) => {
        s.headersSubscribed = true;
        const h = this.viewHeight;
        if (this.lagHeight === null) s.lastTipHash = chain.tip.hash;
        return { height: h, hex: this.headerAt(h) };
      },
      'blockchain.block.header': (_s, p) => {
        const height = int(p[0], 'height');
        const cp = p[1] === undefined ? 0 : int(p[1], 'cp_height');
        const hex = this.headerAt(height);
        return cp ? { header: hex, ...this.headerProof(height, cp) } : hex;
      },
      'blockchain.block.headers': (_s, p) => {
        const start = int(p[0], 'start_height');
        const count = int(p[1], 'count');
        const cp = p[2] === undefined ? 0 : int(p[2], 'cp_height');
        if (start < 0 || count < 0) throw badParams('start_height and count must be non-negative');
        const n = Math.max(0, Math.min(count, MAX_HEADERS, this.viewHeight - start + 1));
        let hex = '';
        for (let h = start; h < start + n; h++) hex += chain.blocks[h]!.headerHex;
        const result: Record<string, unknown> = { count: n, hex, max: MAX_HEADERS };
        if (cp && n > 0) Object.assign(result, this.headerProof(start + n - 1, cp));
        return result;
      },
      'blockchain.scripthash.subscribe': (s, p) => {
        const sh = hash32(p[0], 'script hash');
        const st = this.status(sh);
        s.subs.set(sh, st);
        return st;
      },
      'blockchain.scripthash.unsubscribe': (s, p) => {
        if (cmpVersion(parseVersion(s.negotiated)!, [1, 4, 2]) < 0) throw new RpcError(-32601, 'unknown method "blockchain.scripthash.unsubscribe"');
        const sh = hash32(p[0], 'script hash');
        return s.subs.delete(sh);
      },
      'blockchain.scripthash.get_history': (_s, p) => this.history(hash32(p[0], 'script hash')),
      'blockchain.scripthash.get_balance': (_s, p) => chain.balance(hash32(p[0], 'script hash')),
      'blockchain.scripthash.listunspent': (_s, p) => chain.listUnspent(hash32(p[0], 'script hash')),
      'blockchain.scripthash.get_mempool': (_s, p) => this.history(hash32(p[0], 'script hash')).filter((e) => e.height <= 0),
      'blockchain.transaction.get': (_s, p) => {
        const txid = hash32(p[0], 'transaction hash');
        const verbose = p[1] === undefined ? false : p[1];
        if (typeof verbose !== 'boolean') throw badParams('verbose must be a boolean');
        if (this.fault === 'lie' && this.lies.has(txid)) {
          return chain.tip.txs[0]!.hex; // a real transaction, but not the one asked for: it does not hash to txid
        }
        const t = chain.getTx(txid);
        const height = chain.txHeight(txid);
        if (!t || height === undefined) throw new RpcError(2, 'No such mempool or blockchain transaction. Use gettransaction for wallet transactions.');
        if (!verbose) return t.hex;
        const v = decodeTx(t.tx, t.hex);
        if (height > 0) {
          const b = chain.blocks[height]!;
          Object.assign(v, { blockhash: b.hash, confirmations: chain.height - height + 1, time: b.time, blocktime: b.time });
        }
        return v;
      },
      'blockchain.transaction.get_merkle': (_s, p) => {
        const txid = hash32(p[0], 'transaction hash');
        const height = int(p[1], 'height');
        if (this.fault === 'lie') {
          const depth = Math.max(1, Math.ceil(Math.log2(Math.max(2, chain.blocks[height]?.txs.length ?? 2))));
          return { block_height: height, merkle: Array.from({ length: depth }, () => randomBytes(32).toString('hex')), pos: 1 };
        }
        const proof = height <= this.viewHeight ? chain.merkleProof(txid, height) : null;
        if (!proof) throw new RpcError(1, `tx ${txid} not in block at height ${height}`);
        return proof;
      },
      'blockchain.transaction.id_from_pos': (_s, p) => {
        const height = int(p[0], 'height');
        const pos = int(p[1], 'tx_pos');
        const merkle = p[2] === undefined ? false : p[2] === true;
        this.headerAt(height);
        const txs = chain.blocks[height]!.txs;
        if (pos < 0 || pos >= txs.length) throw new RpcError(1, `no tx at position ${pos} in block at height ${height}`);
        const txid = txs[pos]!.txid;
        return merkle ? { tx_hash: txid, merkle: merkleBranch(txs.map((t) => t.txid), pos) } : txid;
      },
      'blockchain.transaction.broadcast': (_s, p) => {
        const hex = p[0];
        if (typeof hex !== 'string') throw badParams('raw_tx must be a hex string');
        try {
          return chain.accept(hex).t.txid;
        } catch (e) {
          if (e instanceof RejectError) {
            this.opts.log(`broadcast rejected: ${e.reason}`);
            throw new RpcError(1, `the transaction was rejected by network rules.\n\n${e.reason}\n[${hex.slice(0, 2000)}]`);
          }
          throw e;
        }
      },
      'blockchain.estimatefee': (_s, p) => {
        const n = int(p[0], 'number');
        if (n < 1) throw badParams('number must be at least 1');
        return 0.00002; // BTC/kvB: 2 sat/vB, above the relay floor
      },
      'blockchain.relayfee': () => 0.00001,
      'mempool.get_fee_histogram': () => chain.feeHistogram(),
    };
  }
}
