import net from 'node:net';
import tls from 'node:tls';
import { Transaction } from 'bitcoinjs-lib';
import type { NetworkName } from '../../core/network.ts';
import {
  ElectrumConnectError,
  ElectrumDisconnectedError,
  ElectrumError,
  ElectrumNetworkMismatchError,
  ElectrumProtocolError,
  ElectrumRpcError,
  ElectrumTimeoutError,
  ElectrumTlsError,
  ElectrumUnsupportedError,
  normaliseRpcError,
} from './errors.ts';
import { DEFAULT_MAX_LINE_BYTES, LineDecoder } from './framing.ts';
import { socks5Connect, type ProxyConfig } from './socks.ts';
import { formatServerUrl, parseServerUrl, type ServerUrl } from './url.ts';
import {
  isHash64,
  parseBlockHeader,
  parseBlockHeaders,
  parseFeatures,
  parseHeaderInfo,
  parseHistory,
  parseMerkle,
  parseStatus,
  parseTransactionHex,
  parseTxid,
  parseVersionReply,
  type BlockHeadersResult,
  type HeaderInfo,
  type HistoryEntry,
  type MerkleProof,
  type ServerFeatures,
} from './validate.ts';

/** Genesis block hashes (display order), checked against server.features. testnet = testnet3. */
export const GENESIS_HASHES: Record<NetworkName, string> = {
  mainnet: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
  testnet: '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943',
  signet: '00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6',
  regtest: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
};

export const CLIENT_NAME = 'satdesk/0.1.0';
export const PROTOCOL_MIN = '1.4';
export const PROTOCOL_MAX = '1.4.2';

export type IpFamily = 0 | 4 | 6;

export interface ElectrumClientOptions {
  server: ServerUrl | string;
  network: NetworkName;
  clientName?: string;
  /** 4 or 6 forces the address family; 0 (default) lets Node pick (happy eyeballs). Not applied through a proxy. */
  family?: IpFamily;
  /** Covers TCP (or proxy) connect, TLS and the version/features handshake. Default 15 s. */
  connectTimeoutMs?: number;
  /** Default per-request timeout. Default 30 s. */
  requestTimeoutMs?: number;
  /** server.ping interval; 0 disables. Default 60 s. */
  pingIntervalMs?: number;
  /** No ping answer within this time declares the connection dead. Default 20 s. */
  pingTimeoutMs?: number;
  maxLineBytes?: number;
  proxy?: ProxyConfig;
  /** Extra CA certificates for normal TLS verification (tests, private CAs). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Where exceptions thrown by listeners go (never back into the socket handler). Default console.error. */
  onListenerError?: (err: unknown) => void;
}

export type BatchCall = { method: string; params?: unknown[] };
export type BatchResult<T = unknown> = { ok: true; result: T } | { ok: false; error: ElectrumError };

export type ClientState = 'idle' | 'connecting' | 'handshaking' | 'ready' | 'closed';

interface Pending {
  method: string;
  params: unknown[];
  timeoutMs: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
  page: BatchPage | null;
}

interface BatchPage {
  ids: number[];
  answered: boolean;
}

type Listener<A extends unknown[]> = (...args: A) => void;

interface ClientEvents {
  header: [HeaderInfo];
  scripthash: [string, string | null];
  notification: [string, unknown[]];
  disconnected: [string, Error | undefined];
  /** Every JSON-RPC error reply, so a supervisor (the pool) can spot throttling. */
  rpcError: [ElectrumRpcError];
  /** A malformed notification or answer that was ignored or rejected. */
  protocolError: [ElectrumProtocolError];
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number(x));
  const pb = b.split('.').map((x) => Number(x));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function isVersionString(v: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){0,3}$/.test(v);
}

/**
 * One Electrum connection (single use: after close/disconnect make a new client; ElectrumConnection in pool.ts
 * does that). Never throws from socket handlers; every way the socket ends becomes one 'disconnected' event.
 */
export class ElectrumClient {
  readonly server: ServerUrl;
  readonly network: NetworkName;
  private readonly opts: Required<Pick<ElectrumClientOptions,
    'clientName' | 'family' | 'connectTimeoutMs' | 'requestTimeoutMs' | 'pingIntervalMs' | 'pingTimeoutMs' | 'maxLineBytes'>>;
  private readonly proxy: ProxyConfig | undefined;
  private readonly ca: ElectrumClientOptions['ca'];
  private readonly onListenerError: (err: unknown) => void;

  private socket: net.Socket | null = null;
  private decoder: LineDecoder;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly pages: BatchPage[] = [];
  private readonly listeners: { [K in keyof ClientEvents]: Set<Listener<ClientEvents[K]>> } = {
    header: new Set(),
    scripthash: new Set(),
    notification: new Set(),
    disconnected: new Set(),
    rpcError: new Set(),
    protocolError: new Set(),
  };
  private pingTimer: NodeJS.Timeout | null = null;
  private _state: ClientState = 'idle';
  private _closeReason: string | null = null;
  private connectReject: ((e: Error) => void) | null = null;
  private closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  /** Negotiated protocol version (server.version reply's second element). */
  protocolVersion: string | null = null;
  serverSoftware: string | null = null;
  features: ServerFeatures | null = null;
  /** Whether batches still go out as JSON arrays (false after a server refused one). */
  batchesEnabled = true;
  readonly stats = { unknownIds: 0, notifications: 0, requests: 0, batchFallbacks: 0 };

  constructor(options: ElectrumClientOptions) {
    this.server = typeof options.server === 'string' ? parseServerUrl(options.server) : { ...options.server };
    this.network = options.network;
    this.opts = {
      clientName: options.clientName ?? CLIENT_NAME,
      family: options.family ?? 0,
      connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      pingIntervalMs: options.pingIntervalMs ?? 60_000,
      pingTimeoutMs: options.pingTimeoutMs ?? 20_000,
      maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    };
    this.proxy = options.proxy;
    this.ca = options.ca;
    this.onListenerError = options.onListenerError ?? ((e) => console.error('electrum listener error:', e));
    this.decoder = this.newDecoder();
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
  }

  get state(): ClientState {
    return this._state;
  }
  get isReady(): boolean {
    return this._state === 'ready';
  }
  /** Why the connection ended, or null while it is open. */
  get closeReason(): string | null {
    return this._closeReason;
  }
  /** True only when the server negotiated 1.4.2 (blockchain.scripthash.unsubscribe exists). */
  get supportsUnsubscribe(): boolean {
    return this.protocolVersion !== null && compareVersions(this.protocolVersion, '1.4.2') >= 0;
  }
  get label(): string {
    return formatServerUrl(this.server);
  }
  get pendingCount(): number {
    return this.pending.size;
  }

  // ---- listeners ---------------------------------------------------------------------------------------------

  on<K extends keyof ClientEvents>(event: K, fn: Listener<ClientEvents[K]>): () => void {
    const set = this.listeners[event] as Set<Listener<ClientEvents[K]>>;
    set.add(fn);
    return () => set.delete(fn);
  }
  onHeader(fn: (h: HeaderInfo) => void): () => void {
    return this.on('header', fn);
  }
  onScripthash(fn: (scripthash: string, status: string | null) => void): () => void {
    return this.on('scripthash', fn);
  }
  onDisconnected(fn: (reason: string, err?: Error) => void): () => void {
    return this.on('disconnected', fn);
  }

  private emit<K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]): void {
    for (const fn of [...(this.listeners[event] as Set<Listener<ClientEvents[K]>>)]) {
      try {
        fn(...args);
      } catch (e) {
        try {
          this.onListenerError(e);
        } catch {
          /* nothing left to tell */
        }
      }
    }
  }

  // ---- connection --------------------------------------------------------------------------------------------

  /** Opens the socket (TCP, TLS, optionally through SOCKS5), then server.version and the server.features check. */
  connect(): Promise<void> {
    if (this._state !== 'idle') return Promise.reject(new ElectrumConnectError(`client already ${this._state}`));
    this._state = 'connecting';
    return new Promise<void>((resolve, reject) => {
      this.connectReject = reject;
      const timer = setTimeout(() => {
        this.fail(`connect timeout after ${this.opts.connectTimeoutMs} ms`, new ElectrumConnectError(`connecting to ${this.label} timed out after ${this.opts.connectTimeoutMs} ms`));
      }, this.opts.connectTimeoutMs);
      timer.unref?.();
      this.openSocket()
        .then(() => this.handshake())
        .then(() => {
          clearTimeout(timer);
          if (this._state !== 'handshaking') return; // failed meanwhile; the rejection already happened
          this._state = 'ready';
          this.connectReject = null;
          this.startPing();
          resolve();
        })
        .catch((e: unknown) => {
          clearTimeout(timer);
          const err = e instanceof Error ? e : new ElectrumConnectError(String(e));
          this.fail(this._closeReason ?? err.message, err);
        });
    });
  }

  private async openSocket(): Promise<void> {
    const { host, port } = this.server;
    let raw: net.Socket;
    if (this.proxy) {
      try {
        raw = await socks5Connect(this.proxy, host, port, this.opts.connectTimeoutMs);
      } catch (e) {
        throw new ElectrumConnectError(`cannot reach ${this.label} through the proxy: ${(e as Error).message}`);
      }
    } else {
      const literal = net.isIP(host);
      if (this.opts.family !== 0 && literal !== 0 && literal !== this.opts.family) {
        throw new ElectrumConnectError(`cannot connect to ${this.label}: ${host} is not an IPv${this.opts.family} address (ip-family ipv${this.opts.family})`);
      }
      raw = await new Promise<net.Socket>((resolve, reject) => {
        const opts: net.NetConnectOpts = { host, port };
        if (this.opts.family !== 0) opts.family = this.opts.family;
        const s = net.connect(opts);
        const onErr = (e: NodeJS.ErrnoException) => {
          s.destroy();
          reject(new ElectrumConnectError(`cannot connect to ${this.label}: ${e.code ?? e.message}`));
        };
        const onClose = () => reject(new ElectrumConnectError(`cannot connect to ${this.label}: ${this._closeReason ?? 'closed'}`));
        s.once('error', onErr);
        s.once('close', onClose);
        s.once('connect', () => {
          s.removeListener('error', onErr);
          s.removeListener('close', onClose);
          resolve(s);
        });
        this.socket = s; // so fail() can destroy it on timeout
      });
    }
    if (this._state === 'closed') {
      raw.destroy();
      throw new ElectrumDisconnectedError(this._closeReason ?? 'closed');
    }
    this.socket = raw;
    // Errors of the TCP socket under TLS must never go unhandled; the TLS socket reports the failure itself.
    raw.on('error', (e: NodeJS.ErrnoException) => this.fail(`socket error: ${e.code ?? e.message}`, e));
    raw.setNoDelay(true);
    raw.setKeepAlive(true, 30_000);
    if (this.server.protocol === 'ssl') {
      this.socket = await this.startTls(raw);
    }
    this.attach(this.socket);
  }

  private startTls(raw: net.Socket): Promise<tls.TLSSocket> {
    const { host, fingerprint } = this.server;
    return new Promise((resolve, reject) => {
      const opts: tls.ConnectionOptions = { socket: raw, rejectUnauthorized: fingerprint === undefined };
      if (net.isIP(host) === 0) opts.servername = host;
      if (this.ca !== undefined) opts.ca = this.ca;
      raw.resume();
      const t = tls.connect(opts);
      this.socket = t;
      const onErr = (e: NodeJS.ErrnoException) => {
        t.destroy();
        reject(new ElectrumTlsError(`TLS with ${this.label} failed: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' ')));
      };
      const onClose = () => reject(new ElectrumTlsError(`TLS with ${this.label} failed: ${this._closeReason ?? 'connection closed during the TLS handshake'}`));
      t.once('error', onErr);
      t.once('close', onClose);
      t.once('secureConnect', () => {
        t.removeListener('error', onErr);
        t.removeListener('close', onClose);
        if (fingerprint !== undefined) {
          // Checked before anything is written to the socket.
          const cert = t.getPeerCertificate();
          const got = (cert?.fingerprint256 ?? '').replace(/:/g, '').toLowerCase();
          if (got !== fingerprint) {
            t.destroy();
            reject(new ElectrumTlsError(`TLS certificate of ${this.label} does not match the pinned fingerprint (expected ${fingerprint}, got ${got || 'none'})`));
            return;
          }
        } else if (!t.authorized) {
          t.destroy();
          reject(new ElectrumTlsError(`TLS certificate of ${this.label} not trusted: ${String(t.authorizationError)}`));
          return;
        }
        resolve(t);
      });
    });
  }

  private attach(sock: net.Socket): void {
    sock.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk);
      } catch (e) {
        this.fail(`internal error while reading: ${(e as Error).message}`, e as Error);
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      this.fail(`socket error: ${e.code ?? e.message}`, e);
    });
    sock.on('end', () => this.fail('server closed the connection'));
    sock.on('close', () => this.fail('connection closed'));
    sock.resume();
  }

  private newDecoder(): LineDecoder {
    return new LineDecoder({
      maxLineBytes: this.opts.maxLineBytes,
      onLine: (line) => this.handleLine(line),
      onError: (err) => this.fail(`protocol error: ${err.message}`, new ElectrumProtocolError(err.message)),
    });
  }

  private async handshake(): Promise<void> {
    if (this._state !== 'connecting') throw new ElectrumDisconnectedError(this._closeReason ?? 'closed');
    this._state = 'handshaking';
    const v = parseVersionReply(await this.send('server.version', [this.opts.clientName, [PROTOCOL_MIN, PROTOCOL_MAX]], this.opts.requestTimeoutMs));
    if (!isVersionString(v.protocol) || compareVersions(v.protocol, PROTOCOL_MIN) < 0 || compareVersions(v.protocol, PROTOCOL_MAX) > 0) {
      throw new ElectrumProtocolError(`server negotiated protocol ${v.protocol.slice(0, 40)}, outside ${PROTOCOL_MIN}–${PROTOCOL_MAX}`);
    }
    this.protocolVersion = v.protocol;
    this.serverSoftware = v.serverSoftware;
    const f = parseFeatures(await this.send('server.features', [], this.opts.requestTimeoutMs));
    const expected = GENESIS_HASHES[this.network];
    if (f.genesis_hash !== expected) {
      throw new ElectrumNetworkMismatchError(this.network, expected, f.genesis_hash.slice(0, 64));
    }
    this.features = f;
  }

  private startPing(): void {
    if (this.opts.pingIntervalMs <= 0) return;
    this.pingTimer = setInterval(() => {
      this.send('server.ping', [], this.opts.pingTimeoutMs).catch((e: unknown) => {
        if (e instanceof ElectrumTimeoutError) this.fail(`ping timeout: no answer within ${this.opts.pingTimeoutMs} ms`);
      });
    }, this.opts.pingIntervalMs);
    this.pingTimer.unref?.();
  }

  /** Closes the connection; pending requests reject with ElectrumDisconnectedError('closed by client'). */
  close(reason = 'closed by client'): Promise<void> {
    if (this._state === 'idle') {
      this._state = 'closed';
      this._closeReason = reason;
      this.resolveClosed();
    } else {
      this.fail(reason);
    }
    return this.closedPromise;
  }

  /** Resolves when the socket is gone. */
  whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  /** Single exit path: idempotent, never throws. */
  private fail(reason: string, err?: Error): void {
    if (this._state === 'closed') return;
    const wasConnecting = this._state !== 'ready';
    this._state = 'closed';
    this._closeReason = reason;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    const pendingErr = new ElectrumDisconnectedError(reason);
    for (const [id, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(pendingErr);
    }
    this.pages.length = 0;
    this.decoder.reset();
    const sock = this.socket;
    if (sock && !sock.destroyed) {
      sock.once('close', () => this.resolveClosed());
      sock.destroy();
    } else {
      this.resolveClosed();
    }
    if (wasConnecting && this.connectReject) {
      const rej = this.connectReject;
      this.connectReject = null;
      rej(err instanceof ElectrumError ? err : new ElectrumConnectError(`cannot connect to ${this.label}: ${reason}`));
    }
    this.emit('disconnected', reason, err);
  }

  // ---- messages ----------------------------------------------------------------------------------------------

  private handleLine(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.fail('protocol error: server sent a line that is not JSON', new ElectrumProtocolError('server sent a line that is not JSON'));
      return;
    }
    if (Array.isArray(msg)) {
      for (const m of msg) this.handleMessage(m);
    } else {
      this.handleMessage(msg);
    }
  }

  private handleMessage(m: unknown): void {
    if (this._state === 'closed') return;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) {
      this.fail('protocol error: server sent a JSON value that is not a message', new ElectrumProtocolError('server sent a JSON value that is not a message'));
      return;
    }
    const msg = m as Record<string, unknown>;
    const id = msg.id;
    if (typeof msg.method === 'string') {
      if (id === undefined || id === null) this.handleNotification(msg.method, msg.params);
      else this.stats.unknownIds++; // a request from the server: not part of the protocol, never a response
      return;
    }
    if (typeof id !== 'number') {
      if ((id === null || id === undefined) && msg.error !== undefined && msg.error !== null && this.failOldestPage(msg.error)) return;
      this.stats.unknownIds++;
      return;
    }
    const p = this.pending.get(id);
    if (!p) {
      this.stats.unknownIds++;
      return;
    }
    this.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    if (p.page) p.page.answered = true;
    this.prunePages();
    if (msg.error !== undefined && msg.error !== null) {
      const { code, message } = normaliseRpcError(msg.error);
      const err = new ElectrumRpcError(p.method, code, message);
      this.emit('rpcError', err);
      p.reject(err);
    } else if (!('result' in msg)) {
      p.reject(new ElectrumProtocolError(`response to ${p.method} has neither result nor error`));
    } else {
      p.resolve(msg.result);
    }
  }

  private handleNotification(method: string, params: unknown): void {
    this.stats.notifications++;
    const args = Array.isArray(params) ? params : [];
    try {
      if (method === 'blockchain.headers.subscribe') {
        this.emit('header', parseHeaderInfo(args[0], 'header notification'));
      } else if (method === 'blockchain.scripthash.subscribe') {
        const sh = args[0];
        if (!isHash64(sh)) throw new ElectrumProtocolError('malformed scripthash notification from server: bad scripthash');
        this.emit('scripthash', sh, parseStatus(args[1], 'scripthash notification'));
      } else {
        this.emit('notification', method, args);
      }
    } catch (e) {
      if (e instanceof ElectrumProtocolError) this.emit('protocolError', e);
      else throw e;
    }
  }

  /** A whole batch refused with one error (id null): resend that page's calls one by one. */
  private failOldestPage(error: unknown): boolean {
    const page = this.pages.find((pg) => !pg.answered && pg.ids.some((id) => this.pending.has(id)));
    if (!page) return false;
    this.pages.splice(this.pages.indexOf(page), 1);
    this.batchesEnabled = false;
    this.stats.batchFallbacks++;
    const { code, message } = normaliseRpcError(error);
    this.emit('rpcError', new ElectrumRpcError('batch', code, message));
    for (const id of page.ids) {
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      this.send(p.method, p.params, p.timeoutMs).then(p.resolve, p.reject);
    }
    return true;
  }

  private prunePages(): void {
    while (this.pages.length > 0 && (this.pages[0]?.ids.every((id) => !this.pending.has(id)) ?? false)) this.pages.shift();
  }

  private register(method: string, params: unknown[], timeoutMs: number, page: BatchPage | null): { id: number; promise: Promise<unknown> } {
    const id = this.nextId++;
    const promise = new Promise<unknown>((resolve, reject) => {
      const p: Pending = { method, params, timeoutMs, resolve, reject, timer: null, page };
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        p.timer = setTimeout(() => {
          if (this.pending.get(id) !== p) return;
          this.pending.delete(id);
          this.prunePages();
          reject(new ElectrumTimeoutError(method, timeoutMs));
        }, timeoutMs);
        p.timer.unref?.();
      }
      this.pending.set(id, p);
    });
    return { id, promise };
  }

  private write(payload: unknown): boolean {
    const sock = this.socket;
    if (!sock || sock.destroyed) return false;
    try {
      sock.write(`${JSON.stringify(payload)}\n`);
      return true;
    } catch (e) {
      this.fail(`write failed: ${(e as Error).message}`, e as Error);
      return false;
    }
  }

  /** Internal send, allowed during the handshake. */
  private send(method: string, params: unknown[], timeoutMs: number): Promise<unknown> {
    if (this._state !== 'handshaking' && this._state !== 'ready') {
      return Promise.reject(new ElectrumDisconnectedError(this._closeReason ?? 'not connected'));
    }
    this.stats.requests++;
    const { id, promise } = this.register(method, params, timeoutMs, null);
    this.write({ jsonrpc: '2.0', id, method, params });
    return promise;
  }

  private assertReady(): Error | null {
    if (this._state === 'ready') return null;
    return new ElectrumDisconnectedError(this._closeReason ?? `not connected (${this._state})`);
  }

  /** A raw JSON-RPC request. `null` results resolve as `null`. */
  request<T = unknown>(method: string, params: unknown[] = [], opts: { timeoutMs?: number } = {}): Promise<T> {
    const notReady = this.assertReady();
    if (notReady) return Promise.reject(notReady);
    return this.send(method, params, opts.timeoutMs ?? this.opts.requestTimeoutMs) as Promise<T>;
  }

  /**
   * Sends calls as JSON arrays of at most pageSize, one page at a time, and returns each call's result or error
   * in order. If a server refuses a batch as a whole, that page and all later ones go out as single requests.
   */
  async batch<T = unknown>(calls: BatchCall[], opts: { pageSize?: number; timeoutMs?: number } = {}): Promise<BatchResult<T>[]> {
    const notReady = this.assertReady();
    if (notReady) throw notReady;
    const pageSize = Math.max(1, Math.floor(opts.pageSize ?? 50));
    const timeoutMs = opts.timeoutMs ?? this.opts.requestTimeoutMs;
    const out: BatchResult<T>[] = [];
    const settle = (p: Promise<unknown>): Promise<BatchResult<T>> =>
      p.then(
        (result) => ({ ok: true as const, result: result as T }),
        (e: unknown) => ({ ok: false as const, error: e instanceof ElectrumError ? e : new ElectrumError(String(e)) }),
      );
    for (let i = 0; i < calls.length; i += pageSize) {
      const slice = calls.slice(i, i + pageSize);
      let promises: Promise<unknown>[];
      if (!this.batchesEnabled || slice.length === 1 || this._state !== 'ready') {
        promises = slice.map((c) => (this._state === 'ready' ? this.send(c.method, c.params ?? [], timeoutMs) : Promise.reject(new ElectrumDisconnectedError(this._closeReason ?? 'not connected'))));
      } else {
        const page: BatchPage = { ids: [], answered: false };
        const payload: unknown[] = [];
        promises = slice.map((c) => {
          const params = c.params ?? [];
          const { id, promise } = this.register(c.method, params, timeoutMs, page);
          page.ids.push(id);
          payload.push({ jsonrpc: '2.0', id, method: c.method, params });
          return promise;
        });
        this.pages.push(page);
        this.stats.requests += slice.length;
        this.write(payload);
      }
      out.push(...(await Promise.all(promises.map(settle))));
    }
    return out;
  }

  // ---- typed helpers -----------------------------------------------------------------------------------------

  async ping(timeoutMs?: number): Promise<void> {
    await this.request('server.ping', [], { timeoutMs: timeoutMs ?? this.opts.pingTimeoutMs });
  }

  async headersSubscribe(): Promise<HeaderInfo> {
    return this.checked(await this.request('blockchain.headers.subscribe', []), parseHeaderInfo);
  }

  async scripthashSubscribe(scripthash: string): Promise<string | null> {
    assertScripthash(scripthash);
    return this.checked(await this.request('blockchain.scripthash.subscribe', [scripthash]), (v) => parseStatus(v));
  }

  /** Only when 1.4.2 was negotiated; otherwise throws ElectrumUnsupportedError (shed subscriptions by reconnecting). */
  async unsubscribe(scripthash: string): Promise<boolean> {
    assertScripthash(scripthash);
    if (!this.supportsUnsubscribe) {
      throw new ElectrumUnsupportedError(`blockchain.scripthash.unsubscribe needs protocol 1.4.2; negotiated ${this.protocolVersion ?? 'none'}`);
    }
    const r = await this.request('blockchain.scripthash.unsubscribe', [scripthash]);
    if (typeof r !== 'boolean') this.protocolError('malformed unsubscribe result from server: not a boolean');
    return r as boolean;
  }

  async getHistory(scripthash: string): Promise<HistoryEntry[]> {
    assertScripthash(scripthash);
    return this.checked(await this.request('blockchain.scripthash.get_history', [scripthash]), parseHistory);
  }

  /** Raw transaction hex; rejected with ElectrumProtocolError unless it hashes to txid. */
  async getTransaction(txid: string): Promise<string> {
    assertTxid(txid);
    const hex = this.checked(await this.request('blockchain.transaction.get', [txid, false]), parseTransactionHex);
    let got: string;
    try {
      got = Transaction.fromHex(hex).getId();
    } catch (e) {
      return this.protocolError(`transaction ${txid} from server does not parse: ${(e as Error).message}`);
    }
    if (got !== txid) return this.protocolError(`transaction from server hashes to ${got}, not the requested ${txid}`);
    return hex;
  }

  async getMerkle(txid: string, height: number): Promise<MerkleProof> {
    assertTxid(txid);
    return this.checked(await this.request('blockchain.transaction.get_merkle', [txid, height]), (v) => parseMerkle(v, height));
  }

  async blockHeader(height: number): Promise<string> {
    return this.checked(await this.request('blockchain.block.header', [height]), parseBlockHeader);
  }

  async blockHeaders(startHeight: number, count: number): Promise<BlockHeadersResult> {
    return this.checked(await this.request('blockchain.block.headers', [startHeight, count]), (v) => parseBlockHeaders(v, count));
  }

  /** Returns the txid the server reports. */
  async broadcast(rawTxHex: string): Promise<string> {
    return this.checked(await this.request('blockchain.transaction.broadcast', [rawTxHex]), (v) => parseTxid(v, 'broadcast result'));
  }

  private checked<T>(value: unknown, parse: (v: unknown) => T): T {
    try {
      return parse(value);
    } catch (e) {
      if (e instanceof ElectrumProtocolError) this.emit('protocolError', e);
      throw e;
    }
  }

  private protocolError(message: string): never {
    const e = new ElectrumProtocolError(message);
    this.emit('protocolError', e);
    throw e;
  }
}

function assertScripthash(sh: string): void {
  if (!isHash64(sh)) throw new TypeError(`not a scripthash (64 lowercase hex digits): ${String(sh).slice(0, 80)}`);
}
function assertTxid(txid: string): void {
  if (!isHash64(txid)) throw new TypeError(`not a txid (64 lowercase hex digits): ${String(txid).slice(0, 80)}`);
}
