/**
 * One Electrum session: the transport (transport.ts) carries a JSON-RPC channel (rpc.ts); this file adds the
 * handshake (server.version first, then the genesis check of server.features), keep-alive pings and the events.
 * The typed methods are in client.ts. Single use: after close/disconnect make a new client (pool.ts does that).
 * Never throws from socket handlers; every way the socket ends becomes one 'disconnected' event.
 */
import type net from 'node:net';
import type { NetworkName } from '../../core/network.ts';
import {
  ElectrumConnectError,
  ElectrumDisconnectedError,
  ElectrumError,
  ElectrumNetworkMismatchError,
  ElectrumProtocolError,
  ElectrumRpcError,
  ElectrumTimeoutError,
} from './errors.ts';
import { DEFAULT_MAX_LINE_BYTES } from './framing.ts';
import { holdsSmallAnswers, padded, TrickleFlush, unpadded } from './padding.ts';
import { RpcChannel, type BatchCall, type BatchResult } from './rpc.ts';
import type { ProxyConfig } from './socks.ts';
import { openTransport, type IpFamily } from './transport.ts';
import { GENESIS_HASHES, PROTOCOL_MAX, PROTOCOL_MIN, CLIENT_NAME, compareVersions, isVersionString } from './protocol.ts';
import { PROTOCOL_UNSUBSCRIBE } from '../../core/chain/protocol.ts';
import { formatServerUrl, parseServerUrl, type ServerUrl } from './url.ts';
import { isHash64, parseFeatures, parseHeaderInfo, parseStatus, parseVersionReply, type HeaderInfo, type ServerFeatures } from './validate.ts';

export type { BatchCall, BatchResult } from './rpc.ts';
export type { IpFamily } from './transport.ts';

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

export type ClientState = 'idle' | 'connecting' | 'handshaking' | 'ready' | 'closed';

type Listener<A extends unknown[]> = (...args: A) => void;

interface ClientEvents {
  header: [HeaderInfo];
  scripthash: [string, string | null];
  notification: [string, unknown[]];
  disconnected: [string, Error | undefined];
  /** Every JSON-RPC error reply, so a supervisor (the pool, the subscriber) can spot throttling. */
  rpcError: [ElectrumRpcError];
  /** A malformed notification or answer that was ignored or rejected. */
  protocolError: [ElectrumProtocolError];
}

export class ElectrumSession {
  readonly server: ServerUrl;
  readonly network: NetworkName;
  protected readonly opts: Required<Pick<ElectrumClientOptions,
    'clientName' | 'family' | 'connectTimeoutMs' | 'requestTimeoutMs' | 'pingIntervalMs' | 'pingTimeoutMs' | 'maxLineBytes'>>;
  private readonly proxy: ProxyConfig | undefined;
  private readonly ca: ElectrumClientOptions['ca'];
  private readonly onListenerError: (err: unknown) => void;

  private socket: net.Socket | null = null;
  private readonly rpc: RpcChannel;
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
  /** The server holds answers under 1 KB for up to a second (padding.ts): small requests travel with a filler. */
  holdsSmallAnswers = false;
  private flush: TrickleFlush | null = null;

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
    this.rpc = new RpcChannel({
      maxLineBytes: this.opts.maxLineBytes,
      write: (line) => this.write(line),
      closedError: () =>
        this._state === 'handshaking' || this._state === 'ready' ? null : new ElectrumDisconnectedError(this._closeReason ?? 'not connected'),
      onNotification: (method, params) => (this.flush?.notified(), this.handleNotification(method, params)),
      onRpcError: (e) => this.emit('rpcError', e),
      onFatal: (reason, err) => this.fail(reason, err),
    });
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
  /** True when the server negotiated 1.4.2 or later (blockchain.scripthash.unsubscribe exists). */
  get supportsUnsubscribe(): boolean {
    return this.protocolVersion !== null && compareVersions(this.protocolVersion, PROTOCOL_UNSUBSCRIBE) >= 0;
  }
  get label(): string {
    return formatServerUrl(this.server);
  }
  get pendingCount(): number {
    return this.rpc.pendingCount;
  }
  get stats(): RpcChannel['stats'] {
    return this.rpc.stats;
  }
  /** Whether batches still go out as JSON arrays (false after a server refused one). */
  get batchesEnabled(): boolean {
    return this.rpc.batchesEnabled;
  }
  set batchesEnabled(v: boolean) {
    this.rpc.batchesEnabled = v;
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

  /** Opens the transport (TCP, TLS, optionally through SOCKS5), then server.version and the server.features check. */
  connect(): Promise<void> {
    if (this._state !== 'idle') return Promise.reject(new ElectrumConnectError(`client already ${this._state}`));
    this._state = 'connecting';
    return new Promise<void>((resolve, reject) => {
      this.connectReject = reject;
      const timer = setTimeout(() => {
        this.fail(`connect timeout after ${this.opts.connectTimeoutMs} ms`, new ElectrumConnectError(`connecting to ${this.label} timed out after ${this.opts.connectTimeoutMs} ms`));
      }, this.opts.connectTimeoutMs);
      timer.unref?.();
      openTransport({
        server: this.server,
        family: this.opts.family,
        proxy: this.proxy,
        connectTimeoutMs: this.opts.connectTimeoutMs,
        ca: this.ca,
        track: (s) => (this.socket = s),
        closeReason: () => this._closeReason,
      })
        .then((sock) => {
          if (this._state === 'closed') {
            sock.destroy();
            throw new ElectrumDisconnectedError(this._closeReason ?? 'closed');
          }
          this.attach(sock);
          return this.handshake();
        })
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

  private attach(sock: net.Socket): void {
    this.socket = sock;
    sock.on('data', (chunk: Buffer) => {
      try {
        this.rpc.push(chunk);
      } catch (e) {
        this.fail(`internal error while reading: ${(e as Error).message}`, e as Error);
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => this.fail(`socket error: ${e.code ?? e.message}`, e));
    sock.on('end', () => this.fail('server closed the connection'));
    sock.on('close', () => this.fail('connection closed'));
    sock.resume();
  }

  private async handshake(): Promise<void> {
    if (this._state !== 'connecting') throw new ElectrumDisconnectedError(this._closeReason ?? 'closed');
    this._state = 'handshaking';
    // server.version must be the first message: ElectrumX closes a session whose first request is anything else.
    const v = parseVersionReply(await this.rpc.send('server.version', [this.opts.clientName, [PROTOCOL_MIN, PROTOCOL_MAX]], this.opts.requestTimeoutMs));
    if (!isVersionString(v.protocol) || compareVersions(v.protocol, PROTOCOL_MIN) < 0 || compareVersions(v.protocol, PROTOCOL_MAX) > 0) {
      throw new ElectrumProtocolError(`server negotiated protocol ${v.protocol.slice(0, 40)}, outside ${PROTOCOL_MIN}–${PROTOCOL_MAX}`);
    }
    this.protocolVersion = v.protocol;
    this.serverSoftware = v.serverSoftware;
    this.holdsSmallAnswers = holdsSmallAnswers(v.serverSoftware);
    if (this.holdsSmallAnswers) this.flush = new TrickleFlush({ send: (c) => this.rpc.send(c.method, c.params ?? [], this.opts.requestTimeoutMs), pending: () => this.rpc.pendingCount });
    const f = parseFeatures(await this.rpc.send('server.features', [], this.opts.requestTimeoutMs));
    const expected = GENESIS_HASHES[this.network];
    if (f.genesis_hash !== expected) {
      throw new ElectrumNetworkMismatchError(this.network, expected, f.genesis_hash.slice(0, 64));
    }
    this.features = f;
  }

  private startPing(): void {
    if (this.opts.pingIntervalMs <= 0) return;
    this.pingTimer = setInterval(() => {
      this.rpc.send('server.ping', [], this.opts.pingTimeoutMs).catch((e: unknown) => {
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
    this.flush?.stop();
    this.rpc.close(new ElectrumDisconnectedError(reason));
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

  private write(line: string): boolean {
    const sock = this.socket;
    if (!sock || sock.destroyed) return false;
    try {
      sock.write(`${line}\n`);
      return true;
    } catch (e) {
      this.fail(`write failed: ${(e as Error).message}`, e as Error);
      return false;
    }
  }

  private handleNotification(method: string, args: unknown[]): void {
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

  private assertReady(): Error | null {
    if (this._state === 'ready') return null;
    return new ElectrumDisconnectedError(this._closeReason ?? `not connected (${this._state})`);
  }

  /** A raw JSON-RPC request. `null` results resolve as `null`. */
  async request<T = unknown>(method: string, params: unknown[] = [], opts: { timeoutMs?: number } = {}): Promise<T> {
    const notReady = this.assertReady();
    if (notReady) throw notReady;
    const timeoutMs = opts.timeoutMs ?? this.opts.requestTimeoutMs;
    if (!this.holdsSmallAnswers || method === 'server.ping') return (await this.rpc.send(method, params, timeoutMs)) as T;
    const [r] = await this.batch<T>([{ method, params }], { timeoutMs });
    if (!r!.ok) throw r!.error;
    return r!.result;
  }

  /**
   * Sends calls as JSON arrays of at most pageSize, one page at a time, and returns each call's result or error
   * in order. If a server refuses a batch as a whole, that page and all later ones go out as single requests.
   */
  async batch<T = unknown>(calls: BatchCall[], opts: { pageSize?: number; timeoutMs?: number } = {}): Promise<BatchResult<T>[]> {
    const notReady = this.assertReady();
    if (notReady) throw notReady;
    const sent = padded(calls, this.holdsSmallAnswers);
    const pageSize = sent === calls ? Math.max(1, Math.floor(opts.pageSize ?? 50)) : sent.length;
    return unpadded(await this.rpc.batch<T>(sent, pageSize, opts.timeoutMs ?? this.opts.requestTimeoutMs), calls);
  }

  protected checked<T>(value: unknown, parse: (v: unknown) => T): T {
    try {
      return parse(value);
    } catch (e) {
      if (e instanceof ElectrumProtocolError) this.emit('protocolError', e);
      throw e;
    }
  }

  protected protocolError(message: string): never {
    const e = new ElectrumProtocolError(message);
    this.emit('protocolError', e);
    throw e;
  }
}
