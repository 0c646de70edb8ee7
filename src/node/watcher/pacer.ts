/**
 * How many subscribe requests the watcher keeps in flight on one connection, learned from the server. Real servers
 * limit what one client may ask at once: Fulcrum 2.1.1 allows 345 batch items in flight per IP (`max_batch`,
 * src/Options.h) and refuses more with code 4 "Batch limit exceeded" (src/RPC.cpp); ElectrumX 1.20.0 meters each
 * session's cost and, past its soft limit, delays every answer (up to REQUEST_SLEEP, 2.5 s) and shrinks its
 * concurrency, answering -101/-102 when pushed further (src/electrumx/server/env.py; aiorpcx session.py). So: start
 * well under 345, grow while answers are quick, and when refused or slow halve, remember a ceiling under where it
 * happened, and back off — never reconnect and start over because one request was slow. docs/electrum.md, docs/decisions/0022-server-aware-subscription.md.
 */
import { ElectrumRpcError, ElectrumTimeoutError, isServerRefusal } from '../electrum/index.ts';

export interface PacerOptions {
  /** Requests in flight to start with (default 100). */
  initialWindow: number;
  /** Never more than this in flight (default 1,000); a refusal lowers the ceiling for the connection. */
  maxWindow: number;
  /** Subscriptions per JSON-RPC batch (default 250). */
  batchSize: number;
  /** An answer slower than this counts as throttling (default 5 s). */
  slowMs: number;
  /** Per-batch timeout: a timed-out batch is sent again, not a reason to leave the server (default 60 s). */
  timeoutMs: number;
  /** First back-off after a refusal; doubles up to 20 s (default 250 ms). */
  backoffMs: number;
}

const DEFAULTS: PacerOptions = { initialWindow: 100, maxWindow: 1000, batchSize: 250, slowMs: 5000, timeoutMs: 60_000, backoffMs: 250 };

/** A refusal that means "slow down", not "this server is broken". */
export function isPacingError(e: unknown): boolean {
  if (e instanceof ElectrumTimeoutError) return true;
  if (!(e instanceof ElectrumRpcError)) return false;
  if (isSubscriptionCap(e)) return false;
  return e.code === 4 || isServerRefusal(e);
}

/** Fulcrum's `max_subs_per_ip` answer (src/Servers.cpp): the cap, not a pace. */
export function isSubscriptionCap(e: unknown): boolean {
  return e instanceof ElectrumRpcError && /subscription limit|subs limit/i.test(e.rpcMessage);
}

export class Pacer {
  readonly o: PacerOptions;
  window: number;
  /** The most in flight the server has shown it accepts on this connection. */
  ceiling: number;
  inFlight = 0;
  private backoff: number;
  readonly stats = { refusals: 0, slow: 0, lastRefusal: null as string | null };

  constructor(o: Partial<PacerOptions> = {}) {
    this.o = { ...DEFAULTS, ...o };
    this.window = this.o.initialWindow;
    this.ceiling = this.o.maxWindow;
    this.backoff = this.o.backoffMs;
  }

  get batchSize(): number {
    return Math.max(1, Math.min(this.o.batchSize, this.window));
  }
  get timeoutMs(): number {
    return this.o.timeoutMs;
  }

  private waiters: (() => void)[] = [];

  reset(): void {
    this.inFlight = 0;
    this.ceiling = this.o.maxWindow;
    this.window = Math.min(this.window, this.o.initialWindow);
    this.backoff = this.o.backoffMs;
    this.wake();
  }

  take(n: number): void {
    this.inFlight += n;
  }

  release(n: number): void {
    this.inFlight = Math.max(0, this.inFlight - n);
    this.wake();
  }

  /** Resolves when requests in flight (of any caller on this connection) come back. */
  freed(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** A batch answered in `ms`: grow additively while quick, shrink when the server is throttling. */
  answered(n: number, ms: number): void {
    if (ms > this.o.slowMs) {
      this.stats.slow++;
      this.window = Math.max(this.o.batchSize, Math.floor(this.window * 0.7));
      return;
    }
    this.backoff = this.o.backoffMs;
    // Until the server has refused once, double (slow start); after, grow by half a batch at a time.
    const grown = this.ceiling === this.o.maxWindow ? this.window * 2 : this.window + Math.ceil(n / 2);
    this.window = Math.min(this.ceiling, grown);
  }

  /** The server refused a batch: halve the window and wait before the same batch goes again. */
  async refused(why: string): Promise<void> {
    this.stats.refusals++;
    this.stats.lastRefusal = why;
    this.ceiling = Math.max(1, Math.floor(this.window * 0.75));
    this.window = Math.max(1, Math.floor(this.window / 2));
    const wait = this.backoff;
    this.backoff = Math.min(20_000, this.backoff * 2);
    await new Promise((r) => setTimeout(r, wait).unref?.());
  }
}
