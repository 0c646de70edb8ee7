/**
 * The chain watcher: keeps a verified header chain and one subscription per watched address on an
 * Electrum server (with failover), and turns what the server says into payments and invoice statuses.
 *
 * Trust rules (docs/electrum.md#what-a-careful-client-checks): a history is accepted only if its recomputed status equals the announced one; every
 * transaction must hash to its txid (the client checks); a confirmation counts only after its merkle proof folds to
 * the merkle root of our own checked header at that height. A server failing any of these is marked bad and left.
 *
 * Work is serialised: header updates (tip, reorg) and history processing never interleave, so a merkle proof is
 * always checked against the header chain the write commits with. Each notification's facts, invoice statuses,
 * events and chain state commit in one `service.write` transaction.
 */
import type { Statement } from 'better-sqlite3';
import { Transaction } from 'bitcoinjs-lib';
import {
  checkProofOfWork,
  electrumStatus,
  headerHash,
  merkleRootFromProof,
  parseHeader,
} from '../../core/chain/index.ts';
import type { NetworkName } from '../../core/network.ts';
import {
  ElectrumClient,
  ElectrumConnection,
  ElectrumDisconnectedError,
  ElectrumProtocolError,
  ElectrumRpcError,
  ElectrumTimeoutError,
  GENESIS_HASHES,
  isServerRefusal,
  parseProxyUrl,
  type ElectrumConnectionOptions,
  type HeaderInfo,
  type HistoryEntry,
  type IpFamily,
  type ProxyConfig,
} from '../electrum/index.ts';
import { insertEvent } from '../events.ts';
import { statementCache } from '../store/sqlite.ts';
import { getInvoiceRow, refreshInvoice, type InvoiceRow, type PaymentRow } from '../invoices.ts';
import type { ChainStatus, Satdesk } from '../service.ts';
import {
  anchorHeight,
  CHAIN_PARAMS,
  checkHeader,
  HeaderCheckError,
  HeaderStore,
  type StoredHeader,
} from './headers.ts';
import { maxConfirmations, watchedAddresses, type WatchedRow } from './watched.ts';

/** The server broke a trust rule (status mismatch, bad proof, forged transaction): leave it. */
export class ServerMisbehaviour extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerMisbehaviour';
  }
}

export interface WatcherOptions {
  service: Satdesk;
  servers: string[];
  network: NetworkName;
  family?: IpFamily;
  /** socks5://host:port (settings.electrum.proxy) or a parsed config. */
  proxy?: string | ProxyConfig | null;
  log?: (line: string) => void;
  /** Overrides for the connection pool (backoff, timeouts): tests and the bench. */
  connection?: Partial<Omit<ElectrumConnectionOptions, 'servers' | 'network'>>;
  /** Subscriptions per JSON-RPC batch (default 250; Fulcrum caps batches at 345). */
  batchSize?: number;
  /** Batches in flight while subscribing (default 4). */
  batchConcurrency?: number;
  /** Deepest reorg followed before the server is considered broken (default 1000). */
  maxReorgDepth?: number;
}

export interface WatcherStats {
  /** get_history calls made, in total. */
  historyFetches: number;
  txFetches: number;
  merkleFetches: number;
  subscriptions: number;
  unsubscriptions: number;
  reorgs: number;
  connects: number;
  /** histories that did not match the announced status at first and were fetched again */
  statusRetries: number;
}

interface AddressRow {
  id: number;
  address: string;
  scripthash: string;
  script_hex: string;
  origin: 'derived' | 'static';
  state: string;
  invoice_id: string | null;
  electrum_status: string | null;
}

interface EntryFacts {
  txid: string;
  height: number;
  /** sats to this address; 0: the transaction only spends from it */
  sats: number;
  rbf: boolean;
  verified: boolean;
  blockHash: string | null;
  blockTime: number | null;
}

const FINAL_SEQUENCE = 0xfffffffe;
const TX_CACHE = 2000;

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref?.());

export class ChainWatcher {
  readonly stats: WatcherStats = {
    historyFetches: 0,
    txFetches: 0,
    merkleFetches: 0,
    subscriptions: 0,
    unsubscriptions: 0,
    reorgs: 0,
    connects: 0,
    statusRetries: 0,
  };
  /** get_history calls per scripthash (tests assert that unchanged addresses are not re-fetched). */
  readonly historyFetchesBy = new Map<string, number>();

  private readonly service: Satdesk;
  private readonly db: Satdesk['db'];
  private readonly network: NetworkName;
  private readonly conn: ElectrumConnection;
  private readonly headers: HeaderStore;
  private readonly log: (line: string) => void;
  private readonly opts: WatcherOptions;

  private gen = 0;
  private client: ElectrumClient | null = null;
  /** scripthash -> address id, subscribed on the current connection */
  private subscribed = new Map<string, number>();
  /** latest status the server announced per scripthash (subscribe result or notification) */
  private announced = new Map<string, string | null>();
  /** scripthashes whose history must be fetched */
  private dirty = new Set<string>();
  /** refetch even when the announced status equals the stored one (after a reorg) */
  private forced = new Set<string>();
  private pendingHeader: HeaderInfo | null = null;
  private initialDone = false;
  private subscribing = false;
  private pumping = false;
  private busy = false;
  private lastError: string | null = null;
  private maxAddressId = 0;
  private running = false;
  private readonly txCache = new Map<string, Transaction>();
  private readonly irrelevant = new Set<string>();
  /** Prepared statements, cached (preparing costs more than running these small queries). */
  private readonly sql: (text: string) => Statement<unknown[]>;
  private readonly offs: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private lagProbeAt = 0;
  private syncedLogged = false;
  private lastStatusConnected: boolean | null = null;
  private wakePump: (() => void) | null = null;
  private writeQueue: { fn: () => void; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private lag: number | null = null;
  private readonly proxy: ProxyConfig | undefined;

  constructor(opts: WatcherOptions) {
    this.opts = opts;
    this.service = opts.service;
    this.db = opts.service.db;
    this.sql = statementCache(this.db);
    this.network = opts.network;
    this.headers = new HeaderStore(this.db);
    this.log = opts.log ?? (() => {});
    const proxy = typeof opts.proxy === 'string' ? parseProxyUrl(opts.proxy) : (opts.proxy ?? undefined);
    this.proxy = proxy;
    this.conn = new ElectrumConnection({
      servers: opts.servers,
      network: opts.network,
      family: opts.family ?? 0,
      ...(proxy ? { proxy } : {}),
      backoff: { baseMs: 500, capMs: 30_000 },
      log: (m) => this.log(`electrum: ${m}`),
      onListenerError: (e) => this.log(`electrum listener error: ${(e as Error)?.message ?? String(e)}`),
      ...opts.connection,
    });
  }

  // ---- lifecycle ---------------------------------------------------------------------------------------------

  start(): void {
    if (this.running) return;
    this.running = true;
    this.maxAddressId = this.maxId();
    this.offs.push(this.conn.onConnected((client) => this.onConnect(client)));
    this.offs.push(this.conn.onDisconnected((reason) => this.onDisconnect(reason)));
    // New invoices take new (derived) addresses and new pool addresses are added by writes: after each commit, a
    // cheap MAX(id) check finds them and subscribes them at once.
    const afterCommit = (): void => this.checkNewAddresses();
    this.service.afterCommit.push(afterCommit);
    this.offs.push(() => {
      const i = this.service.afterCommit.indexOf(afterCommit);
      if (i >= 0) this.service.afterCommit.splice(i, 1);
    });
    this.service.chainStatus = () => this.status();
    this.conn.start();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.gen++;
    for (const off of this.offs.splice(0)) off();
    this.log(`watcher: stopped; ${JSON.stringify(this.stats)}`);
    await this.conn.stop();
    this.client = null;
    this.wakeIdle();
  }

  get connection(): ElectrumConnection {
    return this.conn;
  }

  status(): ChainStatus {
    const c = this.conn.status();
    const tip = this.service.tipHeight();
    return {
      connected: c.connected,
      server: c.server,
      tipHeight: tip || null,
      synced: this.isSynced(),
      lagBlocks: this.lag,
      error: c.connected && this.isSynced() ? null : (this.lastError ?? c.lastError),
    };
  }

  isSynced(): boolean {
    return (
      this.client !== null &&
      this.conn.connected &&
      this.initialDone &&
      !this.subscribing &&
      !this.busy &&
      this.pendingHeader === null &&
      this.dirty.size === 0
    );
  }

  /** Resolves once connected and every pending history is processed (tests, bench). */
  async waitSynced(timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.isSynced()) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`watcher not synced within ${timeoutMs} ms${this.status().error ? `: ${this.status().error}` : ''}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 250));
        this.idleWaiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  private wakeIdle(): void {
    if (!this.syncedLogged && this.isSynced()) {
      this.syncedLogged = true;
      this.log(`chain: synced ${this.subscribed.size} watched addresses with ${this.client?.label} at height ${this.service.tipHeight()}`);
    }
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  // ---- connection events -------------------------------------------------------------------------------------

  private async onConnect(client: ElectrumClient): Promise<void> {
    const gen = ++this.gen;
    this.client = client;
    this.stats.connects++;
    this.subscribed = new Map();
    this.announced = new Map();
    this.dirty = new Set();
    this.pendingHeader = null;
    this.initialDone = false;
    this.syncedLogged = false;
    this.lastError = null;
    client.onHeader((h) => {
      if (gen !== this.gen) return;
      this.pendingHeader = h;
      this.kick();
    });
    client.onScripthash((sh, st) => {
      if (gen !== this.gen || !this.subscribed.has(sh)) return;
      this.announced.set(sh, st);
      this.dirty.add(sh);
      this.kick();
    });
    this.chainEvent('chain.status', { connected: true, server: client.label, protocol: client.protocolVersion });
    try {
      const tip = await client.headersSubscribe();
      if (gen !== this.gen) return;
      this.pendingHeader = tip;
      // Header sync and subscribing run side by side; histories wait in the pump until the headers are in.
      const headersDone = this.pump(gen);
      await this.subscribeWatched(client, gen, true);
      await headersDone;
      if (gen !== this.gen) return;
      this.initialDone = true;
      this.kick();
      this.wakeIdle();
    } catch (e) {
      this.fail(gen, e);
    }
  }

  private onDisconnect(reason: string): void {
    this.gen++;
    this.client = null;
    this.initialDone = false;
    if (this.running) this.chainEvent('chain.status', { connected: false, reason });
    this.wakeIdle();
  }

  /** Handles an error from work on connection `gen`: misbehaviour → markBad, refusals → the pool fails over. */
  private fail(gen: number, e: unknown): void {
    if (gen !== this.gen || !this.running) return;
    const msg = (e as Error)?.message ?? String(e);
    if (e instanceof ElectrumDisconnectedError) return; // the pool reconnects
    if (isServerRefusal(e)) {
      this.lastError = `server refused: ${(e as ElectrumRpcError).rpcMessage}`;
      return; // the pool's rpcError listener already failed over
    }
    if (
      e instanceof ServerMisbehaviour ||
      e instanceof HeaderCheckError ||
      e instanceof ElectrumProtocolError ||
      e instanceof ElectrumTimeoutError ||
      e instanceof ElectrumRpcError
    ) {
      this.lastError = msg;
      this.log(`watcher: leaving server: ${msg}`);
      this.conn.markBad(msg);
      return;
    }
    this.lastError = `watcher error: ${msg}`;
    this.log(`watcher error: ${(e as Error)?.stack ?? msg}`);
    this.conn.markBad(`watcher error: ${msg}`);
  }

  // ---- subscriptions -----------------------------------------------------------------------------------------

  private checkNewAddresses(): void {
    if (!this.running) return;
    const m = this.maxId();
    if (m <= this.maxAddressId) return;
    const client = this.client;
    // While a full subscription runs it re-checks MAX(id) before it ends; without a client, the next connect
    // subscribes everything.
    if (!client || this.subscribing) return;
    const after = this.maxAddressId;
    this.maxAddressId = m;
    const gen = this.gen;
    const rows = this.watchedRows(after);
    if (rows.length) void this.subscribeRows(client, gen, rows).catch((e: unknown) => this.fail(gen, e));
  }

  private maxId(): number {
    return (this.sql('SELECT COALESCE(MAX(id), 0) AS m FROM addresses').get() as { m: number }).m;
  }

  private watchedRows(afterId = 0): WatchedRow[] {
    const tip = this.service.tipHeight();
    return watchedAddresses(this.db, this.service.clock.now(), tip, maxConfirmations(this.db), afterId);
  }

  /** Subscribes every watched address not yet subscribed; with `prune`, unsubscribes those no longer watched. */
  private async subscribeWatched(client: ElectrumClient, gen: number, prune: boolean): Promise<void> {
    this.subscribing = true;
    try {
      const keep = new Set<string>();
      let after = 0;
      for (;;) {
        const max = this.maxId();
        const rows = this.watchedRows(after);
        for (const r of rows) keep.add(r.scripthash);
        await this.subscribeRows(client, gen, rows.filter((r) => !this.subscribed.has(r.scripthash)));
        if (gen !== this.gen) return;
        this.maxAddressId = Math.max(this.maxAddressId, max);
        // Addresses added while we subscribed (a new invoice, pool additions): once more for those.
        if (this.maxId() === max) break;
        after = max;
      }
      if (prune && client.supportsUnsubscribe) {
        const drop = [...this.subscribed.keys()].filter((sh) => !keep.has(sh) && !this.dirty.has(sh));
        await this.unsubscribe(client, gen, drop);
      }
    } finally {
      this.subscribing = false;
    }
  }

  private async subscribeRows(client: ElectrumClient, gen: number, rows: WatchedRow[]): Promise<void> {
    const size = Math.max(1, this.opts.batchSize ?? 250);
    const chunks: WatchedRow[][] = [];
    for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chunks.length && gen === this.gen) {
        const chunk = chunks[next++]!;
        const results = await client.batch<string | null>(
          chunk.map((r) => ({ method: 'blockchain.scripthash.subscribe', params: [r.scripthash] })),
          { pageSize: chunk.length },
        );
        if (gen !== this.gen) return;
        for (let i = 0; i < chunk.length; i++) {
          const row = chunk[i]!;
          const res = results[i]!;
          if (!res.ok) throw res.error;
          const st = res.result;
          if (st !== null && !/^[0-9a-f]{64}$/.test(String(st))) {
            throw new ServerMisbehaviour(`malformed status for ${row.scripthash} from server`);
          }
          this.stats.subscriptions++;
          this.subscribed.set(row.scripthash, row.id);
          // A notification that arrived first is newer than this answer.
          if (!this.announced.has(row.scripthash)) this.announced.set(row.scripthash, st);
          if (this.announced.get(row.scripthash) !== row.electrum_status) {
            this.dirty.add(row.scripthash);
            this.kick();
          }
        }
      }
    };
    const n = Math.max(1, Math.min(this.opts.batchConcurrency ?? 4, chunks.length));
    await Promise.all(Array.from({ length: n }, worker));
  }

  private async unsubscribe(client: ElectrumClient, gen: number, shs: string[]): Promise<void> {
    if (!shs.length) return;
    const size = Math.max(1, this.opts.batchSize ?? 250);
    for (let i = 0; i < shs.length && gen === this.gen; i += size) {
      const chunk = shs.slice(i, i + size);
      const results = await client.batch(
        chunk.map((sh) => ({ method: 'blockchain.scripthash.unsubscribe', params: [sh] })),
        { pageSize: chunk.length },
      );
      if (gen !== this.gen) return;
      chunk.forEach((sh, k) => {
        if (results[k]?.ok) {
          this.subscribed.delete(sh);
          this.announced.delete(sh);
          this.stats.unsubscriptions++;
        }
      });
    }
  }

  // ---- the work loop -----------------------------------------------------------------------------------------

  private kick(): void {
    if (!this.running) return;
    if (this.pumping) this.wakePump?.();
    else void this.pump(this.gen);
  }

  /**
   * Runs queued work until none is left; one pump at a time. Histories are processed by up to 32 concurrent
   * workers (each scripthash by one at a time); a new tip waits for the workers in flight, then runs alone, so
   * proofs are always checked against the header chain they commit with.
   */
  private async pump(gen: number): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    const inflight = new Set<Promise<void>>();
    const processing = new Set<string>();
    let failed: { e: unknown } | null = null;
    try {
      while (gen === this.gen && this.running && failed === null) {
        const client = this.client;
        if (!client) break;
        if (this.pendingHeader) {
          if (inflight.size) {
            await Promise.race(inflight);
            continue;
          }
          const h = this.pendingHeader;
          this.pendingHeader = null;
          this.busy = true;
          await this.onTip(client, gen, h);
          continue;
        }
        let next: string | undefined;
        if (inflight.size < 32) for (const sh of this.dirty) if (!processing.has(sh)) { next = sh; break; }
        if (next !== undefined) {
          const sh = next;
          this.dirty.delete(sh);
          processing.add(sh);
          this.busy = true;
          const p: Promise<void> = this.processScripthash(client, gen, sh)
            .catch((e: unknown) => {
              failed ??= { e };
            })
            .finally(() => {
              inflight.delete(p);
              processing.delete(sh);
            });
          inflight.add(p);
          continue;
        }
        if (inflight.size === 0) break;
        await Promise.race([...inflight, new Promise<void>((r) => (this.wakePump = r))]);
        this.wakePump = null;
      }
      await Promise.all(inflight);
      if (failed) throw (failed as { e: unknown }).e;
    } catch (e) {
      this.fail(gen, e);
    } finally {
      this.wakePump = null;
      this.busy = false;
      this.pumping = false;
      this.wakeIdle();
    }
    // Work queued by a newer connection while this pump was finishing.
    if (this.running && gen !== this.gen && (this.pendingHeader || this.dirty.size)) this.kick();
  }

  // ---- headers and tip ---------------------------------------------------------------------------------------

  private params() {
    return CHAIN_PARAMS[this.network];
  }

  /** Brings our header chain to the server's tip `info`, following a reorg if there is one. */
  private async onTip(client: ElectrumClient, gen: number, info: HeaderInfo): Promise<void> {
    let local = this.headers.tip();
    if (!local) {
      local = await this.anchor(client, info.height);
      if (gen !== this.gen) return;
    }
    const infoHash = headerHash(info.hex);
    if (info.height === local.height && infoHash === local.hash) {
      this.ensureTipState(local);
      return;
    }
    if (info.height < local.height) {
      const ours = this.headers.get(info.height);
      if (ours && ours.hash === infoHash) {
        // The server is behind us: keep our chain; its histories will catch up.
        this.log(`watcher: server tip ${info.height} is behind ours (${local.height})`);
        this.ensureTipState(local);
        return;
      }
    }
    // Fetch forward from our tip; find the fork point if the first new header does not link.
    const lowest = this.headers.lowest() ?? local.height;
    let fork = local.height;
    let fetched = info.height > local.height ? await this.fetchHeaders(client, local.height + 1, info.height, info) : [];
    if (gen !== this.gen) return;
    const linksToTip = fetched.length > 0 && parseHeader(fetched[0]!).prevHash === local.hash;
    if (!linksToTip) {
      fork = await this.findFork(client, gen, Math.min(local.height, info.height), lowest);
      if (gen !== this.gen) return;
      fetched = await this.fetchHeaders(client, fork + 1, info.height, info);
      if (gen !== this.gen) return;
    }
    // Check the new headers on top of the fork point.
    const overlay = new Map<number, StoredHeader>();
    const lookup = (h: number): StoredHeader | undefined => overlay.get(h) ?? (h <= fork ? this.headers.get(h) : undefined);
    let prev = this.headers.get(fork);
    if (!prev) throw new ServerMisbehaviour(`no stored header at fork point ${fork}`);
    const checked: StoredHeader[] = [];
    for (let i = 0; i < fetched.length; i++) {
      const h = checkHeader(this.params(), fork + 1 + i, fetched[i]!, prev, lookup);
      overlay.set(h.height, h);
      checked.push(h);
      prev = h;
    }
    if (info.height > fork && (checked.length === 0 || checked[checked.length - 1]!.hash !== infoHash)) {
      throw new ServerMisbehaviour(`the headers the server sent do not lead to the tip it announced (${info.height})`);
    }
    const newTip = checked.length ? checked[checked.length - 1]! : this.headers.get(fork)!;
    const reorg = fork < local.height;
    if (reorg) {
      this.stats.reorgs++;
      this.log(`watcher: reorg: fork at ${fork}, our tip was ${local.height}, new tip ${newTip.height}`);
    }
    const affected = this.service.write(() => {
      const now = this.service.clock.now();
      const touched = new Set<string>();
      const shs: string[] = [];
      if (reorg) {
        this.headers.deleteAbove(fork);
        const orphaned = this.sql(
            `SELECT p.id, p.invoice_id, a.scripthash FROM payments p JOIN addresses a ON a.id = p.address_id
             WHERE p.height > ? AND p.state = 'active'`,
          )
          .all(fork) as { id: number; invoice_id: string | null; scripthash: string }[];
        this.sql('UPDATE payments SET height = 0, verified = 0, block_hash = NULL, block_time = NULL WHERE height > ?')
          .run(fork);
        for (const o of orphaned) {
          if (o.invoice_id) touched.add(o.invoice_id);
          shs.push(o.scripthash);
        }
      }
      for (const h of checked) this.headers.insert(h);
      this.setTipState(newTip);
      insertEvent(
        this.db,
        'chain.tip',
        null,
        null,
        { height: newTip.height, hash: newTip.hash, ...(reorg ? { reorg: { fork_height: fork, depth: local.height - fork } } : {}) },
        now,
      );
      this.refreshInvoices(touched, now, true);
      return shs;
    });
    for (const sh of affected) {
      this.forced.add(sh);
      if (this.subscribed.has(sh)) this.dirty.add(sh);
    }
    // Addresses may leave (or re-enter) the watched set as confirmations grow.
    if (this.initialDone && !this.subscribing) void this.subscribeWatched(client, gen, true).catch((e: unknown) => this.fail(gen, e));
    void this.probeLag(newTip.height);
  }

  private async anchor(client: ElectrumClient, tipHeight: number): Promise<StoredHeader> {
    const height = anchorHeight(this.network, tipHeight);
    const hex = await client.blockHeader(height);
    const h = { ...parseHeader(hex), height, hex: hex.toLowerCase() };
    if (height === 0) {
      if (h.hash !== GENESIS_HASHES[this.network]) throw new HeaderCheckError(`genesis header from server hashes to ${h.hash}`);
    } else if (!checkProofOfWork(h, this.params().powLimitBits)) {
      throw new HeaderCheckError(`anchor header ${height} does not meet its target`);
    }
    this.service.write(() => {
      this.headers.insert(h);
      this.sql("INSERT OR REPLACE INTO chain_state (key, value) VALUES ('header_anchor', ?)").run(String(height));
    });
    return h;
  }

  /** Headers start..end (hex), using `info` for the tip itself. */
  private async fetchHeaders(client: ElectrumClient, start: number, end: number, info: HeaderInfo): Promise<string[]> {
    const out: string[] = [];
    let h = start;
    while (h <= end) {
      if (h === end && h === info.height) {
        out.push(info.hex);
        break;
      }
      const count = Math.min(2016, end - h + 1);
      const r = await client.blockHeaders(h, count);
      if (r.count === 0) throw new ServerMisbehaviour(`server returned no headers from ${h} though its tip is ${end}`);
      for (let i = 0; i < r.count; i++) out.push(r.hex.slice(i * 160, (i + 1) * 160));
      h += r.count;
    }
    return out;
  }

  /** Highest height ≤ from where the server's header equals ours. */
  private async findFork(client: ElectrumClient, gen: number, from: number, lowest: number): Promise<number> {
    const maxDepth = this.opts.maxReorgDepth ?? 1000;
    let top = from;
    let window = 8;
    while (top >= lowest && gen === this.gen) {
      const start = Math.max(lowest, top - window + 1);
      const r = await client.blockHeaders(start, top - start + 1);
      for (let i = r.count - 1; i >= 0; i--) {
        const height = start + i;
        const ours = this.headers.get(height);
        if (ours && headerHash(r.hex.slice(i * 160, (i + 1) * 160)) === ours.hash) return height;
      }
      if (from - start >= maxDepth) break;
      top = start - 1;
      window *= 4;
    }
    throw new ServerMisbehaviour(`the server's chain does not share a header with ours in the last ${maxDepth} blocks`);
  }

  private ensureTipState(tip: StoredHeader): void {
    const cur = this.sql("SELECT value FROM chain_state WHERE key = 'tip_hash'").get() as { value: string } | undefined;
    if (cur?.value === tip.hash) return;
    this.service.write(() => {
      this.setTipState(tip);
      insertEvent(this.db, 'chain.tip', null, null, { height: tip.height, hash: tip.hash }, this.service.clock.now());
      this.refreshInvoices(new Set(), this.service.clock.now(), true);
    });
  }

  private setTipState(tip: StoredHeader): void {
    const up = this.sql('INSERT OR REPLACE INTO chain_state (key, value) VALUES (?, ?)');
    up.run('tip_height', String(tip.height));
    up.run('tip_hash', tip.hash);
  }

  /**
   * Inside a write: refreshes `ids` and, with `tip`, every invoice whose counted payments can still change its
   * status as confirmations grow.
   */
  private refreshInvoices(ids: Set<string>, now: number, tip: boolean): void {
    const all = new Set(ids);
    if (tip) {
      const rows = this.sql(
          `SELECT DISTINCT p.invoice_id AS id FROM payments p JOIN invoices i ON i.id = p.invoice_id
           WHERE p.state = 'active' AND i.status IN ('unpaid', 'partial', 'paid', 'expired', 'invalid')`,
        )
        .all() as { id: string }[];
      for (const r of rows) all.add(r.id);
    }
    if (!all.size) return;
    const ctx = this.service.refreshContext(now);
    for (const id of all) {
      const row = getInvoiceRow(this.db, id);
      if (row) refreshInvoice(this.db, row, ctx);
    }
  }

  // ---- histories ---------------------------------------------------------------------------------------------

  private async processScripthash(client: ElectrumClient, gen: number, sh: string): Promise<void> {
    const addr = this.sql(
        'SELECT id, address, scripthash, script_hex, origin, state, invoice_id, electrum_status FROM addresses WHERE scripthash = ?',
      )
      .get(sh) as AddressRow | undefined;
    if (!addr) return;
    const forced = this.forced.has(sh);
    if (!forced && this.announced.get(sh) === addr.electrum_status) return;
    let history = await this.fetchHistory(client, sh);
    if (gen !== this.gen) return;
    let status = electrumStatus(history);
    if (status !== this.announced.get(sh)) {
      this.stats.statusRetries++;
      // A newer notification may be on its way (real servers answer and notify from different tasks): once more.
      await delay(250);
      if (gen !== this.gen) return;
      history = await this.fetchHistory(client, sh);
      if (gen !== this.gen) return;
      status = electrumStatus(history);
      if (status !== this.announced.get(sh)) {
        throw new ServerMisbehaviour(`the history of ${addr.address} does not match the status the server announced`);
      }
    }
    const maxHeight = history.reduce((m, e) => Math.max(m, e.height), 0);
    if (maxHeight > (this.headers.tip()?.height ?? -1)) {
      // The history is ahead of our headers: catch up first (we hold the pump, so do it inline).
      await this.onTip(client, gen, await client.headersSubscribe());
      if (gen !== this.gen) return;
    }
    const existing = new Map<string, PaymentRow>();
    for (const p of this.sql('SELECT * FROM payments WHERE address_id = ?').all(addr.id) as PaymentRow[]) existing.set(p.txid, p);
    const facts: EntryFacts[] = [];
    for (const e of history) {
      const f = await this.entryFacts(client, addr, e, existing.get(e.tx_hash));
      if (gen !== this.gen) return;
      if (f) facts.push(f);
    }
    await this.groupWrite(() => this.recordHistory(addr, status, facts, existing));
    this.forced.delete(sh);
  }

  /**
   * Group commit: histories answered in the same event-loop turn commit in one transaction (one fsync under
   * synchronous=FULL instead of one each), every one in its own savepoint, so one notification's facts and events
   * still commit or roll back together.
   */
  private groupWrite(fn: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.writeQueue.push({ fn, resolve, reject });
      if (this.writeQueue.length === 1) setImmediate(() => this.flushWrites());
    });
  }

  private flushWrites(): void {
    const queue = this.writeQueue;
    this.writeQueue = [];
    const outcomes: (Error | null)[] = [];
    try {
      this.service.write(() => {
        for (const w of queue) {
          try {
            this.db.transaction(w.fn)();
            outcomes.push(null);
          } catch (e) {
            outcomes.push(e instanceof Error ? e : new Error(String(e)));
          }
        }
      });
    } catch (e) {
      for (const w of queue) w.reject(e);
      return;
    }
    queue.forEach((w, i) => (outcomes[i] ? w.reject(outcomes[i]) : w.resolve()));
  }

  private async fetchHistory(client: ElectrumClient, sh: string): Promise<HistoryEntry[]> {
    this.stats.historyFetches++;
    this.historyFetchesBy.set(sh, (this.historyFetchesBy.get(sh) ?? 0) + 1);
    return client.getHistory(sh);
  }

  private async getTx(client: ElectrumClient, txid: string): Promise<Transaction> {
    const cached = this.txCache.get(txid);
    if (cached) return cached;
    this.stats.txFetches++;
    const tx = Transaction.fromHex(await client.getTransaction(txid));
    this.txCache.set(txid, tx);
    if (this.txCache.size > TX_CACHE) this.txCache.delete(this.txCache.keys().next().value as string);
    return tx;
  }

  /** What one history entry means for this address; null for a transaction that pays it nothing. */
  private async entryFacts(
    client: ElectrumClient,
    addr: AddressRow,
    e: HistoryEntry,
    known: PaymentRow | undefined,
  ): Promise<EntryFacts | null> {
    let sats: number;
    let rbf: boolean;
    if (known) {
      sats = known.sats;
      rbf = known.rbf === 1;
    } else {
      const key = `${addr.id}:${e.tx_hash}`;
      if (this.irrelevant.has(key)) return null;
      const tx = await this.getTx(client, e.tx_hash);
      sats = 0;
      for (const o of tx.outs) if (Buffer.from(o.script).toString('hex') === addr.script_hex) sats += Number(o.value);
      rbf = tx.ins.some((i) => i.sequence < FINAL_SEQUENCE);
      if (sats === 0) {
        this.irrelevant.add(key);
        return null;
      }
    }
    const height = e.height > 0 ? e.height : 0;
    if (height === 0) return { txid: e.tx_hash, height: 0, sats, rbf, verified: false, blockHash: null, blockTime: null };
    const header = this.headers.get(height);
    if (!header) throw new ServerMisbehaviour(`history puts ${e.tx_hash} at height ${height}, beyond the server's own headers`);
    if (known && known.state === 'active' && known.height === height && known.verified === 1 && known.block_hash === header.hash) {
      return { txid: e.tx_hash, height, sats, rbf, verified: true, blockHash: header.hash, blockTime: header.time * 1000 };
    }
    this.stats.merkleFetches++;
    const proof = await client.getMerkle(e.tx_hash, height);
    let root: string;
    try {
      root = merkleRootFromProof(e.tx_hash, proof.merkle, proof.pos);
    } catch (err) {
      throw new ServerMisbehaviour(`bad merkle proof for ${e.tx_hash}: ${(err as Error).message}`);
    }
    if (root !== header.merkleRoot) {
      throw new ServerMisbehaviour(`merkle proof for ${e.tx_hash} does not match our header at height ${height}`);
    }
    return { txid: e.tx_hash, height, sats, rbf, verified: true, blockHash: header.hash, blockTime: header.time * 1000 };
  }

  /** Which invoice a newly seen payment to this address counts toward (docs/spec/invoices.md#attribution), or null (unattributed). */
  private attribute(addr: AddressRow, firstSeen: number, blockTime: number | null): string | null {
    let inv: InvoiceRow | undefined;
    if (addr.invoice_id) inv = getInvoiceRow(this.db, addr.invoice_id);
    else if (addr.origin === 'derived') {
      // A derived address belongs to one invoice for ever, even after it released the address.
      inv = this.sql('SELECT * FROM invoices WHERE address_id = ? ORDER BY seq DESC LIMIT 1').get(addr.id) as InvoiceRow | undefined;
    }
    if (!inv) return null;
    if (inv.created_at > firstSeen) return null;
    // Mined while we were not watching, in a block older than the invoice (2 h of header-time slack): seen before.
    if (addr.origin === 'static' && blockTime !== null && blockTime < inv.created_at - 2 * 3600_000) return null;
    return inv.id;
  }

  /** Inside a write: the accepted history of one address becomes payments, events and invoice statuses. */
  private recordHistory(addr: AddressRow, status: string | null, facts: EntryFacts[], existing: Map<string, PaymentRow>): void {
    const now = this.service.clock.now();
    const touched = new Set<string>();
    const seen = new Set<string>();
    const update = this.sql(
      `UPDATE payments SET height = ?, block_hash = ?, block_time = ?, verified = ?, state = 'active' WHERE id = ?`,
    );
    const insert = this.sql(
      `INSERT INTO payments (txid, address_id, address, sats, invoice_id, height, block_hash, block_time, first_seen, rbf, verified, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active')`,
    );
    for (const f of facts) {
      seen.add(f.txid);
      const p = existing.get(f.txid);
      if (p) {
        const blockTime = f.blockTime ?? null;
        if (
          p.state !== 'active' ||
          p.height !== f.height ||
          p.block_hash !== f.blockHash ||
          p.verified !== (f.verified ? 1 : 0) ||
          p.block_time !== blockTime
        ) {
          update.run(f.height, f.blockHash, blockTime, f.verified ? 1 : 0, p.id);
          if (p.invoice_id) touched.add(p.invoice_id);
        }
        continue;
      }
      const invoiceId = this.attribute(addr, now, f.blockTime);
      const r = insert.run(
        f.txid,
        addr.id,
        addr.address,
        f.sats,
        invoiceId,
        f.height,
        f.blockHash,
        f.blockTime,
        now,
        f.rbf ? 1 : 0,
        f.verified ? 1 : 0,
      );
      const paymentId = Number(r.lastInsertRowid);
      if (invoiceId) touched.add(invoiceId);
      else {
        insertEvent(
          this.db,
          'payment.unattributed',
          null,
          paymentId,
          { payment: { txid: f.txid, address: addr.address, sats: f.sats, height: f.height, rbf: f.rbf } },
          now,
        );
      }
    }
    for (const p of existing.values()) {
      if (p.state !== 'active' || seen.has(p.txid)) continue;
      this.sql("UPDATE payments SET state = 'gone', verified = 0 WHERE id = ?").run(p.id);
      insertEvent(
        this.db,
        'payment.reversed',
        p.invoice_id,
        p.id,
        { payment: { txid: p.txid, address: p.address, sats: p.sats, height: p.height }, reason: 'no longer in the address history (replaced, double-spent or reorged out)' },
        now,
      );
      if (p.invoice_id) touched.add(p.invoice_id);
    }
    this.sql('UPDATE addresses SET electrum_status = ? WHERE id = ?').run(status, addr.id);
    this.refreshInvoices(touched, now, false);
  }

  // ---- events and lag ----------------------------------------------------------------------------------------

  private chainEvent(type: string, data: Record<string, unknown>): void {
    // chain.status only when connectedness changes: a server that keeps failing does not flood the event log.
    if (type === 'chain.status') {
      if (this.lastStatusConnected === data.connected) return;
      this.lastStatusConnected = data.connected as boolean;
    }
    try {
      this.service.write(() => {
        insertEvent(this.db, type, null, null, { ...data, tip_height: this.service.tipHeight() || null }, this.service.clock.now());
      });
    } catch (e) {
      this.log(`watcher: could not record ${type}: ${(e as Error).message}`);
    }
  }

  /**
   * lag_blocks: with several servers configured, at most once a minute a short-lived connection to another server
   * compares tips (its tip − ours, floored at 0). With one server there is nothing to compare with: null.
   */
  private async probeLag(ourTip: number): Promise<void> {
    const servers = this.opts.servers;
    if (servers.length < 2) return;
    const now = Date.now();
    if (now - this.lagProbeAt < 60_000) return;
    this.lagProbeAt = now;
    const current = this.conn.status().server;
    const other = servers.find((s) => !current || !s.startsWith(current.split('#')[0]!)) ?? servers[1]!;
    // The same transport settings as the watcher's own connection: a probe must not bypass the proxy (Tor) or the
    // IP family the merchant chose.
    const probe = new ElectrumClient({
      server: other,
      network: this.network,
      family: this.opts.family ?? 0,
      ...(this.proxy ? { proxy: this.proxy } : {}),
      pingIntervalMs: 0,
      connectTimeoutMs: 10_000,
      onListenerError: () => {},
    });
    try {
      await probe.connect();
      const t = await probe.headersSubscribe();
      this.lag = Math.max(0, t.height - ourTip);
      if (this.lag >= 3) {
        this.lastError = `server is ${this.lag} blocks behind ${probe.label}`;
        this.conn.markBad(this.lastError);
      }
    } catch {
      /* the other server is unreachable: keep the last figure */
    } finally {
      await probe.close('lag probe done');
    }
  }
}
