import { ElectrumClient, type ElectrumClientOptions } from './client.ts';
import { ElectrumNetworkMismatchError, ElectrumTlsError, isServerRefusal } from './errors.ts';
import { formatServerUrl, parseServerUrl, type ServerUrl } from './url.ts';

export interface BackoffOptions {
  /** First retry delay (default 1000 ms). */
  baseMs?: number;
  /** Largest delay (default 60 000 ms). */
  capMs?: number;
  /** Fraction of the delay that is randomised, 0..1 (default 0.5: delay in [d/2, d]). */
  jitter?: number;
}

/** Exponential backoff with jitter; attempt 1 is the first retry. */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = opts.baseMs ?? 1000;
  const cap = opts.capMs ?? 60_000;
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.5));
  const d = Math.min(cap, base * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(d * (1 - jitter) + d * jitter * random());
}

export interface ElectrumConnectionOptions extends Omit<ElectrumClientOptions, 'server'> {
  servers: Array<string | ServerUrl>;
  backoff?: BackoffOptions;
  /** How long a server marked bad (refusals, wrong network, TLS mismatch, markBad) is skipped. Default 10 min. */
  badServerCooldownMs?: number;
  /** A connection that stayed up this long resets the backoff. Default 30 s. */
  stableAfterMs?: number;
  /** Fail over automatically when a server throttles or refuses (-101, -102, "history too large"…). Default true. */
  failoverOnRefusal?: boolean;
  random?: () => number;
  log?: (message: string) => void;
}

export interface ServerHealth {
  url: string;
  failures: number;
  lastError: string | null;
  badUntil: number | null;
  lastConnectedAt: number | null;
}

export interface ConnectionStatus {
  running: boolean;
  connected: boolean;
  /** Display URL of the server in use (or being tried). */
  server: string | null;
  protocolVersion: string | null;
  /** Why we are not connected / why we left the last server. */
  lastError: string | null;
  lastErrorAt: number | null;
  consecutiveFailures: number;
  nextRetryAt: number | null;
  servers: ServerHealth[];
}

type ConnectedHook = (client: ElectrumClient) => void | Promise<void>;

/**
 * Keeps one live ElectrumClient over a list of servers: connects to the first reachable, reconnects with
 * exponential backoff and jitter, fails over on connection failure, refusals and markBad(), and runs the
 * onConnected hooks after every (re)connect so the watcher can re-subscribe.
 */
export class ElectrumConnection {
  private readonly servers: ServerUrl[];
  private readonly health: ServerHealth[];
  private readonly opts: ElectrumConnectionOptions;
  private readonly clientOpts: Omit<ElectrumClientOptions, 'server'>;
  private readonly random: () => number;
  private index = 0;
  /** A server the watcher asked for next (the cross-check found it ahead by verified work). */
  private preferred: number | null = null;
  private running = false;
  private current: ElectrumClient | null = null;
  private attempting: ElectrumClient | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stableTimer: NodeJS.Timeout | null = null;
  private _lastError: string | null = null;
  private _lastErrorAt: number | null = null;
  private consecutiveFailures = 0;
  private nextRetryAt: number | null = null;
  private readonly badReasons = new WeakMap<ElectrumClient, string>();
  private readonly connectedHooks = new Set<ConnectedHook>();
  private readonly disconnectedHooks = new Set<(reason: string) => void>();
  private readonly statusHooks = new Set<(s: ConnectionStatus) => void>();
  private waiters: Array<(c: ElectrumClient) => void> = [];

  constructor(options: ElectrumConnectionOptions) {
    if (options.servers.length === 0) throw new Error('ElectrumConnection needs at least one server');
    this.servers = options.servers.map((s) => (typeof s === 'string' ? parseServerUrl(s) : { ...s }));
    this.health = this.servers.map((s) => ({ url: formatServerUrl(s), failures: 0, lastError: null, badUntil: null, lastConnectedAt: null }));
    this.opts = options;
    const { servers: _s, backoff: _b, badServerCooldownMs: _c, stableAfterMs: _st, failoverOnRefusal: _f, random: _r, log: _l, ...clientOpts } = options;
    this.clientOpts = clientOpts;
    this.random = options.random ?? Math.random;
  }

  get connected(): boolean {
    return this.current !== null && this.current.isReady;
  }
  /** The ready client, or null. */
  get client(): ElectrumClient | null {
    return this.connected ? this.current : null;
  }
  get currentServer(): ServerUrl | null {
    return this.servers[this.index] ?? null;
  }
  get lastError(): string | null {
    return this._lastError;
  }

  status(): ConnectionStatus {
    const c = this.client;
    return {
      running: this.running,
      connected: c !== null,
      server: this.running || c ? (this.health[this.index]?.url ?? null) : null,
      protocolVersion: c?.protocolVersion ?? null,
      lastError: this._lastError,
      lastErrorAt: this._lastErrorAt,
      consecutiveFailures: this.consecutiveFailures,
      nextRetryAt: this.nextRetryAt,
      servers: this.health.map((h) => ({ ...h })),
    };
  }

  onConnected(fn: ConnectedHook): () => void {
    this.connectedHooks.add(fn);
    return () => this.connectedHooks.delete(fn);
  }
  onDisconnected(fn: (reason: string) => void): () => void {
    this.disconnectedHooks.add(fn);
    return () => this.disconnectedHooks.delete(fn);
  }
  onStatus(fn: (s: ConnectionStatus) => void): () => void {
    this.statusHooks.add(fn);
    return () => this.statusHooks.delete(fn);
  }

  /** Resolves with the ready client (now or after the next connect); rejects after timeoutMs. */
  waitForClient(timeoutMs = 30_000): Promise<ElectrumClient> {
    const c = this.client;
    if (c) return Promise.resolve(c);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no Electrum connection within ${timeoutMs} ms${this._lastError ? `: ${this._lastError}` : ''}`));
      }, timeoutMs);
      timer.unref?.();
      const waiter = (client: ElectrumClient) => {
        clearTimeout(timer);
        resolve(client);
      };
      this.waiters.push(waiter);
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.consecutiveFailures = 0;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.retryTimer = null;
    this.nextRetryAt = null;
    const clients = [this.current, this.attempting].filter((c): c is ElectrumClient => c !== null);
    this.current = null;
    this.attempting = null;
    await Promise.all(clients.map((c) => c.close('stopped')));
    this.emitStatus();
  }

  /**
   * The watcher caught the server misbehaving (bad status, bad proof, lagging tip, refusals): skip it for the
   * cooldown, drop the connection and move on to the next server.
   */
  markBad(reason: string): void {
    const h = this.health[this.index];
    if (h) {
      h.badUntil = Date.now() + (this.opts.badServerCooldownMs ?? 600_000);
      h.lastError = reason;
      h.failures++;
    }
    this.setError(`${h?.url ?? 'server'}: ${reason}`);
    this.log(`marking ${h?.url} bad: ${reason}`);
    const c = this.current ?? this.attempting;
    if (c) {
      this.badReasons.set(c, reason);
      void c.close(`marked bad: ${reason}`);
    }
  }

  /**
   * Another connection to the server in use, with the same transport settings (proxy and stream isolation, IP
   * family, TLS pin) — for extra subscription sessions. The caller owns and closes it.
   */
  async openSide(): Promise<ElectrumClient> {
    const server = this.servers[this.index];
    if (!server || !this.connected) throw new Error('no server connected');
    const c = new ElectrumClient({ ...this.clientOpts, server });
    await c.connect();
    return c;
  }

  /** The next connection goes to `url` unless it is cooling down: servers follow verified work (watcher/witness.ts). */
  prefer(url: string): void {
    const key = url.split('#')[0];
    const i = this.health.findIndex((h) => h.url.split('#')[0] === key);
    if (i >= 0) this.preferred = i;
  }

  /** Hand any error from a request here: refusals trigger failover. Returns true if it acted. */
  reportError(err: unknown): boolean {
    if (isServerRefusal(err)) {
      this.markBad(`server refused: ${err.rpcMessage} (code ${err.code})`);
      return true;
    }
    return false;
  }

  // ---- internals ---------------------------------------------------------------------------------------------

  private log(m: string): void {
    try {
      this.opts.log?.(m);
    } catch {
      /* ignore */
    }
  }

  private setError(reason: string): void {
    this._lastError = reason;
    this._lastErrorAt = Date.now();
  }

  private emitStatus(): void {
    const s = this.status();
    for (const fn of [...this.statusHooks]) {
      try {
        fn(s);
      } catch (e) {
        this.log(`status listener failed: ${(e as Error).message}`);
      }
    }
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.nextRetryAt = Date.now() + delayMs;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.nextRetryAt = null;
      void this.attempt();
    }, delayMs);
    this.retryTimer.unref?.();
    this.emitStatus();
  }

  private scheduleRetry(): void {
    this.consecutiveFailures++;
    const d = backoffDelay(this.consecutiveFailures, this.opts.backoff, this.random);
    this.log(`retrying in ${d} ms`);
    this.schedule(d);
  }

  /** Picks the next server not in its bad cooldown, starting at the current index. */
  private chooseServer(): void {
    const now = Date.now();
    const n = this.servers.length;
    const p = this.preferred;
    this.preferred = null;
    if (p !== null && (this.health[p]?.badUntil ?? 0) <= now) {
      this.index = p;
      return;
    }
    for (let k = 0; k < n; k++) {
      const i = (this.index + k) % n;
      const b = this.health[i]?.badUntil ?? null;
      if (b === null || b <= now) {
        this.index = i;
        return;
      }
    }
    let best = this.index;
    for (let i = 0; i < n; i++) if ((this.health[i]?.badUntil ?? 0) < (this.health[best]?.badUntil ?? 0)) best = i;
    this.index = best;
  }

  private advance(): void {
    this.index = (this.index + 1) % this.servers.length;
  }

  private async attempt(): Promise<void> {
    if (!this.running || this.current || this.attempting) return;
    this.chooseServer();
    const idx = this.index;
    const server = this.servers[idx] as ServerUrl;
    const health = this.health[idx] as ServerHealth;
    const client = new ElectrumClient({ ...this.clientOpts, server });
    this.attempting = client;
    client.on('rpcError', (e) => {
      if ((this.opts.failoverOnRefusal ?? true) && isServerRefusal(e) && (this.current === client || this.attempting === client)) {
        this.index = idx;
        this.markBad(`server refused: ${e.rpcMessage} (code ${e.code})`);
      }
    });
    client.onDisconnected((reason) => this.handleDisconnect(client, idx, reason));
    this.log(`connecting to ${health.url}`);
    this.emitStatus();
    try {
      await client.connect();
    } catch (e) {
      if (this.attempting !== client) return;
      this.attempting = null;
      const reason = this.badReasons.get(client) ?? (e as Error).message;
      health.failures++;
      health.lastError = reason;
      if (e instanceof ElectrumNetworkMismatchError || e instanceof ElectrumTlsError) {
        health.badUntil = Date.now() + (this.opts.badServerCooldownMs ?? 600_000);
      }
      this.setError(`${health.url}: ${reason}`);
      this.log(`connect to ${health.url} failed: ${reason}`);
      if (!this.running) return;
      if (this.index === idx) this.advance();
      this.scheduleRetry();
      return;
    }
    if (this.attempting !== client || !this.running) {
      void client.close('stopped');
      return;
    }
    this.attempting = null;
    this.current = client;
    this.index = idx;
    health.lastConnectedAt = Date.now();
    health.lastError = null;
    this.log(`connected to ${health.url} (protocol ${client.protocolVersion})`);
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => {
      if (this.current === client) {
        this.consecutiveFailures = 0;
        health.failures = 0;
      }
    }, this.opts.stableAfterMs ?? 30_000);
    this.stableTimer.unref?.();
    this.emitStatus();
    const onHookError = (e: unknown) => {
      if (this.current !== client) return;
      if (isServerRefusal(e)) return; // the rpcError listener already failed over
      this.markBad(`re-subscribing failed: ${(e as Error)?.message ?? String(e)}`);
    };
    // Hooks start (synchronously) before anyone waiting for a client is woken.
    for (const hook of [...this.connectedHooks]) {
      try {
        Promise.resolve(hook(client)).catch(onHookError);
      } catch (e) {
        onHookError(e);
      }
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(client);
  }

  private handleDisconnect(client: ElectrumClient, idx: number, reason: string): void {
    if (this.current !== client) return; // connect failures are handled in attempt()
    this.current = null;
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.stableTimer = null;
    const bad = this.badReasons.get(client);
    const health = this.health[idx];
    if (bad === undefined) {
      this.setError(`${health?.url ?? 'server'}: ${reason}`);
      if (health) health.lastError = reason;
    }
    this.log(`disconnected from ${health?.url}: ${bad ?? reason}`);
    for (const fn of [...this.disconnectedHooks]) {
      try {
        fn(bad ?? reason);
      } catch (e) {
        this.log(`disconnect listener failed: ${(e as Error).message}`);
      }
    }
    if (!this.running) {
      this.emitStatus();
      return;
    }
    if (bad !== undefined && this.index === idx) this.advance();
    this.scheduleRetry();
  }
}
