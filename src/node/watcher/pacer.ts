/**
 * How many subscribe requests the watcher keeps in flight on one connection, learned from the server. Real servers
 * limit what one client may ask at once: Fulcrum 2.1.1 allows 345 batch items in flight per IP (`max_batch`,
 * src/Options.h) and refuses more with code 4 "Batch limit exceeded" (src/RPC.cpp); ElectrumX 1.20.0 meters each
 * session's cost and, past its soft limit, delays every answer (up to REQUEST_SLEEP, 2.5 s) and shrinks its
 * concurrency, answering -101/-102 when pushed further (src/electrumx/server/env.py; aiorpcx session.py). So:
 * start under 345, grow while answers are quick, and when refused or slow cut the window once, remember a ceiling
 * under where it happened, back off — never reconnect and start over because one request was slow — and let the
 * ceiling climb again while the server stays quiet. The window is always split into several batches, so a well
 * filled pipeline keeps the server busy while earlier answers travel back. docs/electrum.md,
 * docs/decisions/0022-server-aware-subscription.md.
 */
import { ElectrumRpcError, ElectrumTimeoutError, isServerRefusal } from '../electrum/index.ts';

export interface PacerOptions {
  /** Requests in flight to start with (default 256: with one more batch that Fulcrum may still count, under its 345). */
  initialWindow: number;
  /** Never more than this in flight (default 1,000); a refusal lowers the ceiling for the connection. */
  maxWindow: number;
  /** Largest JSON-RPC batch (default 250). */
  batchSize: number;
  /** Batches the window is split into, at least (default 4): smaller batches when the window is small. */
  pipeline: number;
  /** An answer slower than this counts as throttling (default 5 s). */
  slowMs: number;
  /** Per-batch timeout: a timed-out batch is sent again, not a reason to leave the server (default 60 s). */
  timeoutMs: number;
  /** First back-off after a refusal; doubles up to 20 s (default 250 ms). */
  backoffMs: number;
  /** After a refusal, the ceiling climbs by one batch per this long without another (default 10 s). */
  recoverMs: number;
}

const DEFAULTS: PacerOptions = {
  initialWindow: 256,
  maxWindow: 1000,
  batchSize: 250,
  pipeline: 4,
  slowMs: 5000,
  timeoutMs: 60_000,
  backoffMs: 250,
  recoverMs: 10_000,
};

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
  /** The most in flight the server has shown it accepts on this connection (maxWindow until it refuses). */
  ceiling: number;
  inFlight = 0;
  private backoff: number;
  /** When the window was last cut: refusals of batches sent before it belong to the same event. */
  private cutAt = -Infinity;
  private raisedAt = 0;
  private waiters: (() => void)[] = [];
  readonly stats = { refusals: 0, cuts: 0, slow: 0, lastRefusal: null as string | null };

  constructor(o: Partial<PacerOptions> = {}, private readonly now: () => number = Date.now) {
    this.o = { ...DEFAULTS, ...o };
    this.window = Math.min(this.o.initialWindow, this.o.maxWindow);
    this.ceiling = this.o.maxWindow;
    this.backoff = this.o.backoffMs;
  }

  /** The next batch's size: the window split into `pipeline` batches, at most `batchSize`. */
  get batchSize(): number {
    return Math.max(1, Math.min(this.o.batchSize, Math.floor(this.window / this.o.pipeline)));
  }
  get timeoutMs(): number {
    return this.o.timeoutMs;
  }

  reset(): void {
    this.inFlight = 0;
    this.ceiling = this.o.maxWindow;
    this.window = Math.min(this.window, this.o.initialWindow);
    this.backoff = this.o.backoffMs;
    this.cutAt = -Infinity;
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

  /** A batch of `n` answered in `ms`: grow while quick (by half each round trip until the first refusal, then by one batch), shrink when slow. */
  answered(n: number, ms: number): void {
    if (ms > this.o.slowMs) {
      this.stats.slow++;
      this.window = Math.max(this.batchSize, Math.floor(this.window * 0.7));
      return;
    }
    this.backoff = this.o.backoffMs;
    this.recover();
    const grown = this.ceiling === this.o.maxWindow ? this.window + Math.ceil(n / 2) : this.window + Math.ceil((n * this.batchSize) / this.window);
    this.window = Math.min(this.ceiling, grown);
  }

  /** The ceiling climbs back by one batch per `recoverMs` without a refusal (a refusal may have been someone else's load). */
  private recover(): void {
    if (this.ceiling >= this.o.maxWindow) return;
    const t = this.now();
    const since = Math.max(this.cutAt, this.raisedAt);
    if (t - since < this.o.recoverMs) return;
    this.raisedAt = t;
    this.ceiling = Math.min(this.o.maxWindow, this.ceiling + this.batchSize);
  }

  /**
   * The server refused a batch sent at `sentAt`: the first refusal of an event cuts the window to three quarters of
   * what is in flight and makes that the ceiling; refusals of batches sent before the cut belong to the same event (a
   * whole-batch error fails every batch in flight). Resolves after the back-off.
   */
  async refused(why: string, sentAt: number): Promise<void> {
    this.stats.refusals++;
    this.stats.lastRefusal = why;
    const wait = this.backoff;
    if (sentAt >= this.cutAt) {
      this.stats.cuts++;
      this.cutAt = this.now();
      this.ceiling = Math.max(1, Math.floor(Math.min(this.window, this.inFlight) * 0.75));
      this.window = this.ceiling;
      this.backoff = Math.min(20_000, this.backoff * 2);
    }
    await new Promise((r) => setTimeout(r, wait).unref?.());
  }
}
