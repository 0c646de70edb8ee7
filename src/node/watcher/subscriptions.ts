/**
 * Subscriptions: which script hashes are subscribed on the current connection, and the latest status the server
 * announced for each. A status notification is the newer fact: one that arrives before or with the answer to its
 * subscribe request wins over that answer (real servers answer and notify from different tasks, and ElectrumX has
 * been seen to deliver a stale answer and the new status in one read). Every notification leads to a history fetch.
 */
import type { Statement } from 'better-sqlite3';
import type { ElectrumClient } from '../electrum/index.ts';
import { ServerMisbehaviour } from './errors.ts';
import { isPacingError, isSubscriptionCap, Pacer, type PacerOptions } from './pacer.ts';
import { SubscriptionSessions, type SessionOptions, type SubSession } from './sessions.ts';
import type { WatchedRow } from './watched.ts';

export interface SubscriptionStats {
  subscriptions: number;
  unsubscriptions: number;
}

export interface SubscriptionOptions {
  sql: (text: string) => Statement<unknown[]>;
  stats: SubscriptionStats;
  /** The watched rows with id > afterId. */
  watchedRows(afterId: number): WatchedRow[];
  /** A status to act on: `forced` when a notification said it changed. */
  changed(sh: string, forced: boolean): void;
  isQueued(sh: string): boolean;
  /** A watched script hash the server would not let us subscribe: check it on a schedule. */
  overflowed(sh: string): void;
  /** Subscribing just ended (`subscribing` is false): whoever waits for "synced" looks again. */
  settled(): void;
  pacing?: Partial<PacerOptions>;
  sessions: SessionOptions;
}

/** A batch slower than this tells that its session is being throttled: subscribe elsewhere. */
const SESSION_FULL_MS = 2000;

export class Subscriptions {
  /** scripthash -> address id, subscribed on the current connection */
  subscribed = new Map<string, number>();
  /** latest status the server announced per scripthash (subscribe answer or notification) */
  announced = new Map<string, string | null>();
  /** subscribe requests sent whose answers are not processed yet */
  private pending = new Set<string>();
  /** notifications that arrived while their subscribe request was pending: newer than its answer */
  private notified = new Set<string>();
  private maxAddressId = 0;
  private running = false;
  private active = 0;
  readonly pacer: Pacer;
  /** The server's subscription cap, once it refused one (Fulcrum's `max_subs_per_ip`); null: not met. */
  cap: number | null = null;
  /** Watched script hashes beyond the cap: checked on a schedule (get_history) instead of subscribed. */
  overflow = new Map<string, WatchedRow>();
  readonly sessions: SubscriptionSessions;
  /** which session holds each subscription (unsubscribe goes there) */
  private where = new Map<string, SubSession>();

  constructor(private readonly o: SubscriptionOptions) {
    this.pacer = new Pacer(o.pacing);
    this.sessions = new SubscriptionSessions(o.sessions);
  }

  /** A full pass or an incremental subscription is in progress (the watcher is not synced meanwhile). */
  get subscribing(): boolean {
    return this.running || this.active > 0;
  }

  /** A new connection (or none): every subscription starts over on `main`. */
  reset(main: ElectrumClient | null): void {
    this.sessions.reset(main);
    this.where = new Map();
    this.pacer.reset();
    this.cap = null;
    this.overflow = new Map();
    this.subscribed = new Map();
    this.announced = new Map();
    this.pending = new Set();
    this.notified = new Set();
  }

  /** A status notification; false when it is not for a script hash we subscribed (it is then ignored). */
  onNotification(sh: string, status: string | null): boolean {
    if (!this.subscribed.has(sh) && !this.pending.has(sh)) return false;
    this.announced.set(sh, status);
    if (this.pending.has(sh)) this.notified.add(sh);
    this.o.changed(sh, true);
    return true;
  }

  maxId(): number {
    return (this.o.sql('SELECT COALESCE(MAX(id), 0) AS m FROM addresses').get() as { m: number }).m;
  }

  /** Subscribes every watched address not yet subscribed; with `prune`, unsubscribes those no longer watched. */
  async subscribeWatched(client: ElectrumClient, live: () => boolean, prune: boolean): Promise<void> {
    this.running = true;
    try {
      const keep = new Set<string>();
      let after = 0;
      for (;;) {
        const max = this.maxId();
        const rows = this.o.watchedRows(after);
        for (const r of rows) keep.add(r.scripthash);
        await this.subscribeRows(client, live, rows.filter((r) => !this.subscribed.has(r.scripthash) && !this.overflow.has(r.scripthash)));
        if (!live()) return;
        this.maxAddressId = Math.max(this.maxAddressId, max);
        // Addresses added while we subscribed (a new invoice, pool additions): once more for those.
        if (this.maxId() === max) break;
        after = max;
      }
      for (const sh of [...this.overflow.keys()]) if (!keep.has(sh)) this.overflow.delete(sh);
      if (prune && client.supportsUnsubscribe) {
        const drop = [...this.subscribed.keys()].filter((sh) => !keep.has(sh) && !this.o.isQueued(sh));
        await this.unsubscribe(live, drop);
      }
    } finally {
      this.running = false;
      this.settledIfDone();
    }
  }

  /** Unsubscribes addresses that left the watch set (src/node/watcher/tip-watch.ts), but not one with a fetch queued. */
  async drop(client: ElectrumClient, live: () => boolean, shs: string[]): Promise<void> {
    for (const sh of shs) this.overflow.delete(sh);
    if (client.supportsUnsubscribe) await this.unsubscribe(live, shs.filter((sh) => this.subscribed.has(sh) && !this.o.isQueued(sh)));
  }

  /** After a commit: subscribes addresses added since the last look (a cheap MAX(id) check). */
  checkNew(client: ElectrumClient | null, live: () => boolean, fail: (e: unknown) => void): void {
    const m = this.maxId();
    if (m <= this.maxAddressId) return;
    // While a full subscription runs it re-checks MAX(id) before it ends; without a client, the next connect
    // subscribes everything.
    if (!client || this.running) return;
    const after = this.maxAddressId;
    this.maxAddressId = m;
    const rows = this.o.watchedRows(after);
    if (rows.length) void this.subscribeRows(client, live, rows).catch(fail);
  }

  noteMaxId(): void {
    this.maxAddressId = this.maxId();
  }

  /**
   * Subscribes `rows` with a bounded number of requests in flight (the pacer), adapting to the server: a batch it
   * refuses (Fulcrum's "Batch limit exceeded", code 4) or throttles (ElectrumX's cost limits: slow answers,
   * -101/-102, timeouts) cuts the window (pacer.ts) and is sent again after a back-off — on the same connection,
   * from where it stopped. Past the server's subscription cap the rest is checked on a schedule instead (`overflow`).
   */
  private async subscribeRows(client: ElectrumClient, live: () => boolean, rows: WatchedRow[]): Promise<void> {
    this.active++;
    try {
      await this.paced(client, live, rows);
    } finally {
      this.active--;
      this.settledIfDone();
    }
  }

  /**
   * The last pass ended: say so. A pass can outlive the scheduler's work (the tip update that starts one for what
   * confirmations changed settles first); unheard, "synced" waited for the next tip check, 30 s later.
   */
  private settledIfDone(): void {
    if (!this.subscribing) this.o.settled();
  }

  private async paced(client: ElectrumClient, live: () => boolean, rows: WatchedRow[]): Promise<void> {
    const queue = new RowQueue(rows);
    const inflight = new Set<Promise<void>>();
    let failure: unknown = null;
    const send = async (chunk: WatchedRow[]): Promise<void> => {
      const sess = await this.sessions.reserve(chunk.length);
      if (!live()) return;
      if (!sess) {
        for (const r of chunk) this.capReached(r);
        return;
      }
      for (const r of chunk) this.pending.add(r.scripthash);
      const t0 = Date.now();
      const results = await sess.client.batch<string | null>(
        chunk.map((r) => ({ method: 'blockchain.scripthash.subscribe', params: [r.scripthash] })),
        { pageSize: chunk.length, timeoutMs: this.pacer.timeoutMs },
      );
      if (!live()) return;
      const refused = results.filter((r) => !r.ok && isPacingError(r.error));
      if (refused.length === chunk.length || (refused.length > 0 && !results.some((r) => r.ok))) {
        for (const r of chunk) this.pending.delete(r.scripthash);
        this.sessions.release(sess, chunk.length);
        queue.putBack(chunk);
        await this.pacer.refused(String((refused[0] as { error: Error }).error.message), t0);
        return;
      }
      const ms = Date.now() - t0;
      this.pacer.answered(chunk.length, ms);
      if (ms > SESSION_FULL_MS) this.sessions.full(sess);
      for (let i = 0; i < chunk.length; i++) {
        const res = results[i]!;
        const row = chunk[i]!;
        if (!res.ok && (isSubscriptionCap(res.error) || isPacingError(res.error))) {
          this.pending.delete(row.scripthash);
          this.sessions.release(sess, 1);
          if (isSubscriptionCap(res.error)) this.capReached(row);
          else queue.putBack([row]);
          continue;
        }
        this.settle(row, res);
        this.where.set(row.scripthash, sess);
      }
    };
    while ((queue.length || inflight.size) && live() && failure === null) {
      if (this.cap !== null && queue.length) {
        // The server's cap is reached: what is left is checked on a schedule.
        for (const r of queue.takeAll()) this.capReached(r);
        continue;
      }
      // Another pass may have taken some of these meanwhile (a full pass and a new invoice's subscription overlap).
      queue.skip((r) => this.subscribed.has(r.scripthash) || this.pending.has(r.scripthash));
      const size = Math.min(this.pacer.batchSize, queue.length);
      if (size > 0 && this.pacer.inFlight + size <= this.pacer.window) {
        const chunk = queue.take(size).filter((r) => !this.subscribed.has(r.scripthash) && !this.pending.has(r.scripthash));
        if (!chunk.length) continue;
        this.pacer.take(chunk.length);
        const p: Promise<void> = send(chunk)
          .catch((e: unknown) => {
            failure ??= e;
          })
          .finally(() => {
            this.pacer.release(chunk.length);
            inflight.delete(p);
          });
        inflight.add(p);
        continue;
      }
      if (!queue.length) {
        if (!inflight.size) break;
        await Promise.race(inflight);
        continue;
      }
      // The window is full (maybe with another caller's requests): wait for some to come back.
      await Promise.race([...inflight, this.pacer.freed()]);
    }
    await Promise.all(inflight);
    if (failure !== null) throw failure;
  }

  private capReached(row: WatchedRow): void {
    this.cap ??= this.subscribed.size;
    if (this.subscribed.has(row.scripthash)) return;
    this.overflow.set(row.scripthash, row);
    this.o.overflowed(row.scripthash);
  }

  private settle(row: WatchedRow, res: { ok: true; result: string | null } | { ok: false; error: Error }): void {
    const sh = row.scripthash;
    this.pending.delete(sh);
    if (!res.ok) throw res.error;
    const st = res.result;
    if (st !== null && !/^[0-9a-f]{64}$/.test(String(st))) throw new ServerMisbehaviour(`malformed status for ${sh} from server`);
    this.o.stats.subscriptions++;
    this.subscribed.set(sh, row.id);
    this.overflow.delete(sh);
    // A notification that arrived first is newer than this answer (and already queued a fetch).
    if (this.notified.delete(sh)) return;
    this.announced.set(sh, st);
    if (st !== row.electrum_status) this.o.changed(sh, false);
  }

  private async unsubscribe(live: () => boolean, shs: string[]): Promise<void> {
    const bySession = new Map<SubSession, string[]>();
    for (const sh of shs) {
      const sess = this.where.get(sh);
      if (!sess || !sess.client.supportsUnsubscribe) continue;
      let list = bySession.get(sess);
      if (!list) bySession.set(sess, (list = []));
      list.push(sh);
    }
    const size = this.pacer.batchSize;
    for (const [sess, list] of bySession) {
      for (let i = 0; i < list.length && live(); i += size) {
        const chunk = list.slice(i, i + size);
        const results = await sess.client.batch(chunk.map((sh) => ({ method: 'blockchain.scripthash.unsubscribe', params: [sh] })), { pageSize: chunk.length });
        if (!live()) return;
        chunk.forEach((sh, k) => {
          if (results[k]?.ok) {
            this.subscribed.delete(sh);
            this.announced.delete(sh);
            this.where.delete(sh);
            this.sessions.release(sess, 1);
            this.o.stats.unsubscriptions++;
          }
        });
      }
    }
  }
}

/** The rows still to subscribe, taken from the front without moving the rest (100,000 rows, batches of 64). */
class RowQueue {
  private head = 0;
  constructor(private rows: WatchedRow[]) {}

  get length(): number {
    return this.rows.length - this.head;
  }
  take(n: number): WatchedRow[] {
    const out = this.rows.slice(this.head, this.head + n);
    this.head += out.length;
    return out;
  }
  takeAll(): WatchedRow[] {
    return this.take(this.length);
  }
  /** Drops rows from the front while `done` says they need nothing more. */
  skip(done: (r: WatchedRow) => boolean): void {
    while (this.head < this.rows.length && done(this.rows[this.head]!)) this.head++;
  }
  /** Rows sent and refused go back to the front, to be sent first. */
  putBack(chunk: WatchedRow[]): void {
    if (chunk.length <= this.head) {
      this.head -= chunk.length;
      for (let i = 0; i < chunk.length; i++) this.rows[this.head + i] = chunk[i]!;
    } else {
      this.rows = [...chunk, ...this.rows.slice(this.head)];
      this.head = 0;
    }
  }
}
