/**
 * The sandbox's Electrum server: TCP and TLS sessions over a SandboxChain, switchable faults for testing clients,
 * and a profile (fidelity.ts) that makes it behave like ElectrumX or Fulcrum: notifications on a polling schedule,
 * subscribe answers held and sent with them, batch and subscription caps, cost-based throttling.
 */
import net from 'node:net';
import tls from 'node:tls';
import { electrumStatus, merkleBranch, merkleRoot } from '../core/chain/index.ts';
import type { HistoryItem, SandboxChain } from './chain.ts';
import { PARAM_NAMES, RpcError, Session, buildMethods, type Handler, type MethodHost, type Params } from './electrum-methods.ts';
import { CostMeter, PROFILES, requestCost, type ServerProfile } from './fidelity.ts';
import { PaddedWriter, type PaddingStats } from './padding.ts';

export { PROTOCOL_MAX, PROTOCOL_MIN, SERVER_VERSION, MAX_HEADERS } from './electrum-methods.ts';
/** Per-line cap (ElectrumX's default max request size is about 1 MB). */
export const MAX_LINE_BYTES = 1_000_000;
/** Fulcrum's `max_batch` (src/Options.h, v2.1.1). */
export const MAX_BATCH = 345;
const IDLE_MS = 600_000;

export type FaultKind = 'disconnect' | 'stall' | 'garbage' | 'lie' | 'lag';
export const FAULT_KINDS: readonly FaultKind[] = ['disconnect', 'stall', 'garbage', 'lie', 'lag'];
export const GARBAGE_LINE = '<html>502 Bad Gateway: this is not JSON</html>';

export interface ElectrumServerOptions {
  host: string;
  port: number;
  tlsPort: number;
  tlsKey: string;
  tlsCert: string;
  log: (line: string) => void;
  profile?: Partial<ServerProfile>;
}

export class ElectrumServer implements MethodHost {
  private tcp: net.Server;
  private tlsServer: tls.Server;
  private sessions = new Set<Session>();
  private nextId = 1;
  private unsubscribe: () => void;
  fault: FaultKind | null = null;
  private faultTimer: NodeJS.Timeout | null = null;
  private refuseUntil = 0;
  lagHeight: number | null = null;
  private lieHeight = 0;
  private methods: Record<string, Handler>;
  readonly profile: ServerProfile;
  /** Changes not yet announced (scheduled notifications): touched script hashes, or all. */
  private pendingChange: Set<string> | 'all' | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  /** Batch items answered but held for the next tick (Fulcrum's extant batch items). */
  private extantBatchItems = 0;
  readonly stats = { batchRefusals: 0, subsRefusals: 0, costClosures: 0, heldAnswers: 0 };
  /** Why padded writes went out (padding.ts): tests tell answers that waited from answers that did not. */
  readonly padding: PaddingStats = { warmup: 0, bySize: 0, idle: 0, byTimer: 0 };

  constructor(public chain: SandboxChain, private opts: ElectrumServerOptions) {
    this.profile = { ...PROFILES.sandbox, ...opts.profile };
    this.tcp = net.createServer((s) => this.accept(s));
    this.tlsServer = tls.createServer({ key: opts.tlsKey, cert: opts.tlsCert }, (s) => this.accept(s));
    this.tlsServer.on('tlsClientError', () => {});
    this.unsubscribe = chain.onChange((e) => this.onChainChange(e.touched));
    this.methods = buildMethods(this);
    if (this.profile.notifyIntervalMs > 0) {
      this.tickTimer = setInterval(() => this.tick(), this.profile.notifyIntervalMs);
      this.tickTimer.unref();
    }
  }

  get protocolMax(): string { return this.profile.protocolMax; }
  get software(): string { return this.profile.software; }

  log(line: string): void {
    this.opts.log(line);
  }

  private onChainChange(touched: ReadonlySet<string> | undefined): void {
    if (this.profile.notifyIntervalMs === 0) {
      if (touched) this.notifyTouched(touched);
      else this.notifyAll();
      return;
    }
    if (!touched || this.pendingChange === 'all') this.pendingChange = 'all';
    else {
      this.pendingChange ??= new Set();
      for (const sh of touched) this.pendingChange.add(sh);
    }
  }

  /** A scheduled round (a real server's poll of its node): notifications first, then the held answers, in one write.
   * Public: a test runs one at the moment it chooses instead of racing the timer. */
  tick(): void {
    const change = this.pendingChange;
    this.pendingChange = null;
    for (const s of this.sessions) {
      if (s.closed) continue;
      s.socket.cork();
      if (change === 'all') this.notify(s);
      else if (change) this.notifyTouchedIn(s, change);
      for (const line of s.held.splice(0)) s.writeRaw(line);
      process.nextTick(() => s.socket.uncork());
    }
    this.extantBatchItems = 0;
  }

  checkSubscriptionLimit(): void {
    const cap = this.profile.maxSubs;
    if (cap > 0 && this.subscriptionCount() >= cap) {
      this.stats.subsRefusals++;
      throw new RpcError(4, 'Subscription limit reached');
    }
  }

  /** Subscriptions over all sessions (the sandbox's clients share one IP, as Fulcrum counts them). */
  subscriptionCount(): number {
    let n = 0;
    for (const s of this.sessions) n += s.subs.size;
    return n;
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
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.faultTimer) clearTimeout(this.faultTimer);
    for (const s of this.sessions) s.socket.destroy();
    this.sessions.clear();
    await Promise.all([this.tcp, this.tlsServer].map((srv) => new Promise<void>((r) => srv.close(() => r()))));
  }

  get sessionCount(): number { return this.sessions.size; }

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
    if (this.profile.padding) s.padder = new PaddedWriter(this.profile.padding, (d) => socket.write(d), this.padding);
    this.sessions.add(s);
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => this.onData(s, chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      s.closed = true;
      s.padder?.close();
      this.sessions.delete(s);
    });
    if (this.fault === 'garbage') s.writeRaw(GARBAGE_LINE);
  }

  private onData(s: Session, chunk: Buffer): void {
    if (s.closed) return;
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
    const items = Array.isArray(msg) ? msg : [msg];
    if (this.profile.versionFirst && s.version === null) {
      const first = items[0] as { method?: unknown } | undefined;
      if (first?.method !== 'server.version') {
        // ElectrumX: "server.version must be first msg" — it answers and closes the session.
        this.send(s, { jsonrpc: '2.0', id: (first as { id?: unknown })?.id ?? null, error: { code: -32600, message: 'use server.version to identify client' } });
        s.socket.end();
        s.closed = true;
        return;
      }
    }
    if (Array.isArray(msg)) {
      if (msg.length === 0) return this.send(s, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request: empty batch' } });
      const cap = this.profile.maxBatchInFlight;
      if (cap > 0 && (msg.length > cap || this.extantBatchItems + msg.length > cap)) {
        this.stats.batchRefusals++;
        return this.send(s, { jsonrpc: '2.0', id: null, error: { code: 4, message: 'Batch limit exceeded' } });
      }
    }
    const out = items.map((m) => this.handleRequest(s, m)).filter((r) => r !== null);
    if (!out.length) return;
    const payload = Array.isArray(msg) ? out : out[0];
    const methods = items.map((m) => String((m as { method?: unknown })?.method ?? ''));
    let delay = 0;
    if (this.profile.cost) {
      s.meter ??= new CostMeter(this.profile.cost);
      const charged = s.meter.charge(methods.reduce((c, m) => c + requestCost(m, 0), 0) + Buffer.byteLength(line) / 5000, s.subs.size, items.length);
      if (charged === 'close') {
        this.stats.costClosures++;
        this.send(s, { jsonrpc: '2.0', id: null, error: { code: -101, message: 'excessive resource usage' } });
        s.socket.end();
        s.closed = true;
        return;
      }
      delay = charged;
    }
    const hold = this.profile.notifyIntervalMs > 0 && methods.includes('blockchain.scripthash.subscribe');
    if (hold) {
      // A real server answers a subscribe from another task than the one that notifies: the answer can come late,
      // in the same write as a newer notification for the same script hash.
      this.stats.heldAnswers++;
      if (Array.isArray(msg)) this.extantBatchItems += msg.length;
      s.held.push(JSON.stringify(payload));
    } else if (delay > 0) {
      const t = setTimeout(() => this.send(s, payload), delay);
      t.unref();
    } else this.send(s, payload);
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

  get viewHeight(): number {
    return this.lagHeight ?? this.chain.height;
  }

  readonly lies = new Set<string>();

  /** A txid no transaction has: the "confirmed" entry a lying server invents for a script hash. */
  private fakeTxid(sh: string): string {
    const id = electrumStatus([{ tx_hash: sh, height: this.lieHeight }])!;
    this.lies.add(id);
    return id;
  }

  history(sh: string): HistoryItem[] {
    const h = this.chain.history(sh, this.lagHeight ?? Infinity);
    if (this.fault !== 'lie' || this.lieHeight < 1) return h;
    const confirmed = h.filter((e) => e.height > 0);
    const mempool = h.filter((e) => e.height <= 0);
    return [...confirmed, { tx_hash: this.fakeTxid(sh), height: this.lieHeight }, ...mempool];
  }

  status(sh: string): string | null {
    return electrumStatus(this.history(sh));
  }

  private notifyAll(): void {
    for (const s of this.sessions) this.notify(s);
  }

  /** A mempool-only change: re-check just the script hashes it touched, for the sessions subscribed to them. */
  private notifyTouched(touched: ReadonlySet<string>): void {
    for (const s of this.sessions) this.notifyTouchedIn(s, touched);
  }

  private notifyTouchedIn(s: Session, touched: ReadonlySet<string>): void {
    if (this.fault === 'stall' || s.closed) return;
    for (const sh of touched) {
      if (!s.subs.has(sh)) continue;
      const st = this.status(sh);
      if (st !== s.subs.get(sh)) {
        s.subs.set(sh, st);
        this.send(s, { jsonrpc: '2.0', method: 'blockchain.scripthash.subscribe', params: [sh, st] });
      }
    }
  }

  private notify(s: Session): void {
    if (this.fault === 'stall' || s.closed) return;
    if (s.headersSubscribed && this.lagHeight === null) {
      const tip = this.chain.tip;
      const shorter = s.lastTipHeight !== null && tip.height < s.lastTipHeight;
      if (tip.hash !== s.lastTipHash && (!shorter || this.profile.notifyShorterTip)) {
        s.lastTipHash = tip.hash;
        s.lastTipHeight = tip.height;
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

  // ---------- header views ----------

  headerAt(height: number): string {
    if (height < 0 || height > this.viewHeight) throw new RpcError(1, `height ${height} out of range`);
    return this.chain.blocks[height]!.headerHex;
  }

  headerProof(height: number, cp: number): { branch: string[]; root: string } {
    if (cp < height || cp > this.viewHeight) throw new RpcError(1, `header height ${height} must be <= cp_height ${cp} which must be <= chain height ${this.viewHeight}`);
    const hashes = this.chain.blocks.slice(0, cp + 1).map((b) => b.hash);
    return { branch: merkleBranch(hashes, height), root: merkleRoot(hashes) };
  }
}
