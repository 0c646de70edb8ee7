/**
 * Wallet scan: derived addresses with history are never handed out (docs/spec/wallet.md "Gap scan", docs/trust.md,
 * docs/decisions/0036-wallet-scan.md). An xpub or descriptor may already have been paid — by the merchant's own
 * wallet before setup, or after the backup Satdesk was restored from. So, once the header chain is verified on every
 * connection and whenever the wallet source changes, the scan walks forward from `next_index` with `get_history`, as
 * wallets do, until `GAP` unused addresses in a row: every used one becomes a `used` row (its history recorded as
 * wallet history, never counted toward an invoice) and `next_index` moves past it. Then it keeps the next `GAP`
 * unused addresses subscribed, so one paid before it is handed out is seen and skipped too.
 */
import type { Statement } from 'better-sqlite3';
import type { ElectrumClient } from '../electrum/index.ts';
import { insertEvent } from '../events.ts';
import type { Satdesk } from '../service.ts';
import { limit } from '../store/sqlite.ts';

/** Unused addresses in a row that end a scan (the usual wallet gap limit). */
export const GAP = 20;
/** Rows past next_index read at once by the look-ahead (addresses found used ahead of it: normally none). */
const ROWS_AHEAD = 256;

export interface WalletScanOptions {
  service: Satdesk;
  /** Queue a history fetch for a script hash (its payments are recorded as wallet history). */
  markDirty: (sh: string) => void;
  log: (line: string) => void;
}

export class WalletScan {
  /** script hash → derivation index, subscribed ahead of next_index on the current connection */
  private readonly ahead = new Map<string, number>();
  private scannedSource: string | null = null;
  private running: Promise<void> | null = null;
  /** next_index the look-ahead was last built for: nothing to do after a write that handed nothing out */
  private aheadFrom: number | null = null;
  private rowStmt: Statement | null = null;
  private rowsStmt: Statement | null = null;
  private extending = false;
  /** derivation index → script hash (deriving costs ~1 ms; the same indexes are looked at again and again) */
  private readonly shOf = new Map<number, string>();

  constructor(private readonly o: WalletScanOptions) {}

  /** A new connection: nothing is subscribed ahead on it yet. */
  reset(): void {
    this.ahead.clear();
    this.scannedSource = null;
    this.aheadFrom = null;
  }

  private scripthash(index: number): string {
    let sh = this.shOf.get(index);
    if (sh === undefined) {
      sh = this.o.service.pool.derivedAt(index)!.scripthash;
      this.shOf.set(index, sh);
      if (this.shOf.size > 10_000) this.shOf.delete(this.shOf.keys().next().value as number);
    }
    return sh;
  }

  /** Scans if this connection has not scanned the current wallet source yet (start, setup, a changed source). */
  maybeRun(client: ElectrumClient, live: () => boolean): Promise<void> {
    const source = this.o.service.pool.walletRow()?.source ?? null;
    if (source === null || source === this.scannedSource || this.running) return this.running ?? Promise.resolve();
    this.running = this.run(client, live, source).finally(() => (this.running = null));
    return this.running;
  }

  /** A status notification that is not for a watched address: a subscribed-ahead address was just used. */
  onNotification(client: ElectrumClient, live: () => boolean, sh: string, status: string | null): boolean {
    const index = this.ahead.get(sh);
    if (index === undefined) return false;
    if (this.hasRow(index)) {
      // Handed out meanwhile: it is an invoice's address now, watched like any other.
      this.ahead.delete(sh);
      return false;
    }
    if (status !== null) {
      this.ahead.delete(sh);
      this.record([index]);
      void this.watchAhead(client, live).catch((e: unknown) => this.o.log(`wallet scan: ${(e as Error).message}`));
    }
    return true;
  }

  /** After a write that may have handed out addresses: keep GAP unused ones subscribed ahead of next_index. */
  extend(client: ElectrumClient | null, live: () => boolean): void {
    if (!client || this.scannedSource === null || this.running || this.extending) return;
    if (this.o.service.pool.walletRow()?.next_index === this.aheadFrom) return;
    // Deriving the new look-ahead address costs more than the rest of an invoice's write: it runs in the next turn,
    // after the response that handed an address out, and once for a burst of such writes.
    this.extending = true;
    setImmediate(() => {
      this.extending = false;
      if (live()) void this.watchAhead(client, live).catch((e: unknown) => this.o.log(`wallet scan: ${(e as Error).message}`));
    });
  }

  private async run(client: ElectrumClient, live: () => boolean, source: string): Promise<void> {
    const pool = this.o.service.pool;
    const start = pool.walletRow()!.next_index;
    const used: number[] = [];
    let empty = 0;
    let i = start;
    while (empty < GAP && live()) {
      const batch: { index: number; sh: string }[] = [];
      for (; batch.length < GAP - empty; i++) {
        if (this.hasRow(i)) continue;
        batch.push({ index: i, sh: this.scripthash(i) });
      }
      const histories = await Promise.all(batch.map((b) => client.getHistory(b.sh)));
      if (!live()) return;
      histories.forEach((h, k) => {
        if (h.length) {
          used.push(batch[k]!.index);
          empty = 0;
        } else empty++;
      });
    }
    if (!live() || pool.walletRow()?.source !== source) return;
    if (used.length) this.record(used, start);
    this.scannedSource = source;
    this.o.log(`wallet scan: from index ${start}, ${used.length} used address(es) found; next index ${pool.walletRow()!.next_index}`);
    await this.watchAhead(client, live);
  }

  /** Records used indexes (rows, next_index, an event with a warning) and queues their histories. */
  private record(indexes: number[], scanFrom?: number): void {
    const svc = this.o.service;
    const now = svc.clock.now();
    const shs: string[] = [];
    svc.write(() => {
      for (const index of indexes) if (svc.pool.markUsed(index) !== null) shs.push(this.scripthash(index));
      if (!shs.length) return;
      const next = svc.pool.walletRow()!.next_index;
      const first = scanFrom === 0 && indexes[0]! < GAP;
      const message = first
        ? `The first addresses of this wallet already have history (${indexes.length} used, up to index ${indexes[indexes.length - 1]}). ` +
          `Invoices start at index ${next}; payments to the used addresses are shown as wallet history and never count toward an invoice.`
        : `Derived address(es) ${indexes.join(', ')} already have history (paid outside Satdesk, or after the backup this data dir was ` +
          `restored from): they are never handed out; invoices continue at index ${next}.`;
      insertEvent(svc.db, 'wallet.history_found', null, null, { indexes, next_index: next, message }, now);
    });
    for (const sh of shs) this.o.markDirty(sh);
  }

  /**
   * Whether a derived index at or past `from` has a row, from one read of the index instead of a query per index: past
   * next_index only the few addresses found used ahead have rows. Beyond the first `ROWS_AHEAD` of them it asks again.
   */
  private rowsFrom(from: number): (index: number) => boolean {
    this.rowsStmt ??= this.o.service.db.prepare(`SELECT derivation_index AS i FROM addresses WHERE derivation_index >= ? ORDER BY derivation_index ${limit(ROWS_AHEAD)}`);
    const rows = (this.rowsStmt.all(from) as { i: number }[]).map((r) => r.i);
    const set = new Set(rows);
    const last = rows.length === ROWS_AHEAD ? rows[rows.length - 1]! : Infinity;
    return (index) => set.has(index) || (index > last && this.hasRow(index));
  }

  private hasRow(index: number): boolean {
    this.rowStmt ??= this.o.service.db.prepare('SELECT 1 FROM addresses WHERE derivation_index = ?');
    return this.rowStmt.get(index) !== undefined;
  }

  /** Subscribes the next GAP unused, unhanded addresses; any that already has history is recorded as used. */
  private async watchAhead(client: ElectrumClient, live: () => boolean): Promise<void> {
    const pool = this.o.service.pool;
    const row = pool.walletRow();
    if (!row) return;
    const taken = this.rowsFrom(row.next_index);
    for (const [sh, index] of this.ahead) if (index < row.next_index || taken(index)) this.ahead.delete(sh); // handed out
    const want: { index: number; sh: string }[] = [];
    this.aheadFrom = row.next_index;
    for (let i = row.next_index; want.length < GAP; i++) if (!taken(i)) want.push({ index: i, sh: this.scripthash(i) });
    const fresh = want.filter((w) => !this.ahead.has(w.sh));
    for (const w of fresh) this.ahead.set(w.sh, w.index);
    const statuses = await Promise.all(fresh.map((w) => client.scripthashSubscribe(w.sh)));
    if (!live()) return;
    const usedNow = fresh.filter((_, k) => statuses[k] !== null).map((w) => w.index);
    for (const w of fresh) if (usedNow.includes(w.index)) this.ahead.delete(w.sh);
    if (usedNow.length) {
      this.record(usedNow);
      await this.watchAhead(client, live);
    }
  }
}
