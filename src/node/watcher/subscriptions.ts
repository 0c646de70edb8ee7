/**
 * Subscriptions: which script hashes are subscribed on the current connection, and the latest status the server
 * announced for each. A status notification is the newer fact: one that arrives before or with the answer to its
 * subscribe request wins over that answer (real servers answer and notify from different tasks, and ElectrumX has
 * been seen to deliver a stale answer and the new status in one read). Every notification leads to a history fetch.
 */
import type { Statement } from 'better-sqlite3';
import type { ElectrumClient } from '../electrum/index.ts';
import { ServerMisbehaviour } from './errors.ts';
import type { WatchedRow } from './watched.ts';

export interface SubscriptionStats {
  subscriptions: number;
  unsubscriptions: number;
}

export interface SubscriptionOptions {
  sql: (text: string) => Statement<unknown[]>;
  stats: SubscriptionStats;
  /** Subscriptions per JSON-RPC batch. */
  batchSize: number;
  /** Batches in flight. */
  concurrency: number;
  /** The watched rows with id > afterId. */
  watchedRows(afterId: number): WatchedRow[];
  /** A status to act on: `forced` when a notification said it changed. */
  changed(sh: string, forced: boolean): void;
  isQueued(sh: string): boolean;
}

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

  constructor(private readonly o: SubscriptionOptions) {}

  get subscribing(): boolean {
    return this.running;
  }

  reset(): void {
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
        await this.subscribeRows(client, live, rows.filter((r) => !this.subscribed.has(r.scripthash)));
        if (!live()) return;
        this.maxAddressId = Math.max(this.maxAddressId, max);
        // Addresses added while we subscribed (a new invoice, pool additions): once more for those.
        if (this.maxId() === max) break;
        after = max;
      }
      if (prune && client.supportsUnsubscribe) {
        const drop = [...this.subscribed.keys()].filter((sh) => !keep.has(sh) && !this.o.isQueued(sh));
        await this.unsubscribe(client, live, drop);
      }
    } finally {
      this.running = false;
    }
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

  private async subscribeRows(client: ElectrumClient, live: () => boolean, rows: WatchedRow[]): Promise<void> {
    const size = Math.max(1, this.o.batchSize);
    const chunks: WatchedRow[][] = [];
    for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chunks.length && live()) {
        const chunk = chunks[next++]!;
        for (const r of chunk) this.pending.add(r.scripthash);
        const results = await client.batch<string | null>(
          chunk.map((r) => ({ method: 'blockchain.scripthash.subscribe', params: [r.scripthash] })),
          { pageSize: chunk.length },
        );
        if (!live()) return;
        for (let i = 0; i < chunk.length; i++) this.settle(chunk[i]!, results[i]!);
      }
    };
    const n = Math.max(1, Math.min(this.o.concurrency, chunks.length));
    await Promise.all(Array.from({ length: n }, worker));
  }

  private settle(row: WatchedRow, res: { ok: true; result: string | null } | { ok: false; error: Error }): void {
    const sh = row.scripthash;
    this.pending.delete(sh);
    if (!res.ok) throw res.error;
    const st = res.result;
    if (st !== null && !/^[0-9a-f]{64}$/.test(String(st))) throw new ServerMisbehaviour(`malformed status for ${sh} from server`);
    this.o.stats.subscriptions++;
    this.subscribed.set(sh, row.id);
    // A notification that arrived first is newer than this answer (and already queued a fetch).
    if (this.notified.delete(sh)) return;
    this.announced.set(sh, st);
    if (st !== row.electrum_status) this.o.changed(sh, false);
  }

  private async unsubscribe(client: ElectrumClient, live: () => boolean, shs: string[]): Promise<void> {
    const size = Math.max(1, this.o.batchSize);
    for (let i = 0; i < shs.length && live(); i += size) {
      const chunk = shs.slice(i, i + size);
      const results = await client.batch(chunk.map((sh) => ({ method: 'blockchain.scripthash.unsubscribe', params: [sh] })), { pageSize: chunk.length });
      if (!live()) return;
      chunk.forEach((sh, k) => {
        if (results[k]?.ok) {
          this.subscribed.delete(sh);
          this.announced.delete(sh);
          this.o.stats.unsubscriptions++;
        }
      });
    }
  }
}
