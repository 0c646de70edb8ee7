/**
 * The chain watcher: keeps a verified header chain and one subscription per watched address on an Electrum server
 * (with failover), and turns what the server says into payments and invoice statuses. It wires rooms that each do
 * one job: the scheduler (a new tip runs alone), header sync, subscriptions, history verification (no writes) and
 * recording (synchronous, inside the write). Trust rules are in history.ts and headers.ts; the trust rooms (checkpoint
 * header sync, wallet scan, cross-check) are wired in trust.ts.
 */
import { ElectrumDisconnectedError, ElectrumProtocolError, ElectrumRpcError, ElectrumTimeoutError, isServerRefusal } from '../electrum/index.ts';
import type { ElectrumClient, ElectrumConnection } from '../electrum/index.ts';
import { statementCache } from '../store/sqlite.ts';
import type { ChainStatus, Satdesk } from '../service.ts';
import { InconsistentTip, ServerMisbehaviour } from './errors.ts';
import type { HeaderSync } from './header-sync.ts';
import { HeaderCheckError } from './headers.ts';
import { HistoryVerifier } from './history.ts';
import { ChainTrust } from './trust.ts';
import { Recorder } from './recorder.ts';
import { Scheduler, type HistoryOutcome, type TipRequest } from './scheduler.ts';
import { Subscriptions } from './subscriptions.ts';
import { TipWatch } from './tip-watch.ts';
import { openWiredSession } from './sessions.ts';
import { connectionFor, newStats, STALE_TIMEOUT_MS, type WatcherOptions, type WatcherStats } from './options.ts';
import { Chores } from './chores.ts';
import { maxConfirmations, watchedAddresses } from './watched.ts';
import { lastRefundId } from '../books/refund-watch.ts';

export { ServerMisbehaviour } from './errors.ts';
export { STALE_TIMEOUT_MS, type WatcherOptions, type WatcherStats } from './options.ts';

export class ChainWatcher {
  readonly stats: WatcherStats = newStats();

  private readonly service: Satdesk;
  private readonly conn: ElectrumConnection;
  private readonly log: (line: string) => void;
  private readonly opts: WatcherOptions;
  private readonly headerSync: HeaderSync;
  private readonly verifier: HistoryVerifier;
  private readonly recorder: Recorder;
  private readonly scheduler: Scheduler;
  private readonly subs: Subscriptions;
  private readonly trust: ChainTrust;
  private readonly tipWatch: TipWatch;

  private gen = 0;
  private client: ElectrumClient | null = null;
  /** refetch even when the announced status equals the stored one (after a reorg, or a notification) */
  private readonly forced = new Set<string>();
  private initialDone = false;
  private lastError: string | null = null;
  private running = false;
  private readonly offs: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private syncedLogged = false;
  private lastReorgAt = 0;
  private inconsistentSince: number | null = null;
  private sweepCursor = 0;
  /** Blocks at or above this height arrived while this connection was watching (null until it caught up). */
  private liveFromHeight: number | null = null;
  private readonly chores: Chores;

  constructor(opts: WatcherOptions) {
    this.opts = opts;
    this.service = opts.service;
    const db = opts.service.db;
    const sql = statementCache(db);
    this.log = opts.log ?? (() => {});
    const { conn, proxy, family } = connectionFor(opts, this.log);
    this.conn = conn;
    const markDirty = (sh: string): void => this.scheduler.markDirty(sh);
    this.trust = new ChainTrust({ opts, service: this.service, conn, proxy, family, markDirty, running: () => this.running, log: this.log });
    this.headerSync = this.trust.headerSync;
    this.verifier = new HistoryVerifier(sql, this.headerSync.store, this.stats);
    this.recorder = new Recorder(this.service, sql, this.headerSync.store, () => this.liveFromHeight, (sh, tx) => this.trust.secondServerShows(sh, tx));
    this.trust.wire(this.verifier, this.recorder);
    this.scheduler = new Scheduler(
      { tip: (req) => this.tipJob(req), history: (sh, final) => this.historyJob(sh, final) },
      {
        concurrency: 32,
        staleTimeoutMs: opts.staleTimeoutMs ?? STALE_TIMEOUT_MS,
        onError: (e) => this.fail(this.gen, e),
        onSettled: () => this.wakeIdle(),
      },
    );
    this.chores = new Chores({
      tipCheckMs: opts.tipCheckMs ?? 30_000,
      overflowCheckMs: opts.overflowCheckMs ?? 60_000,
      checkTip: () => this.scheduler.requestTip({ check: true }),
      checkOverflow: () => {
        for (const sh of this.subs.overflow.keys()) this.scheduler.markBackground(sh);
      },
      sweepMs: opts.sweepMs ?? 60_000,
      sweep: () => this.sweep(),
    });
    this.subs = new Subscriptions({
      sql,
      stats: this.stats,
      ...(opts.pacing ? { pacing: opts.pacing } : {}),
      overflowed: (sh) => this.scheduler.markDirty(sh),
      sessions: { open: () => this.openSession(), ...(opts.sessions ?? {}) },
      // The first pass of a connection also takes what was watched when the watcher last followed the chain, so a
      // payment made while Satdesk was closed to an invoice whose window ended meanwhile is still seen.
      watchedRows: (after) => {
        const now = this.service.clock.now();
        const since = this.initialDone ? now : Math.min(now, this.recorder.watchedAt() ?? now);
        return watchedAddresses(db, since, this.service.tipHeight(), maxConfirmations(db), after);
      },
      changed: (sh, forced) => {
        if (forced) this.forced.add(sh);
        this.scheduler.markDirty(sh);
      },
      isQueued: (sh) => this.scheduler.isDirty(sh),
      settled: () => this.wakeIdle(),
    });
    this.tipWatch = new TipWatch(db, () => this.service.clock.now(), this.subs);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------------------

  start(): void {
    if (this.running) return;
    this.running = true;
    this.subs.noteMaxId();
    this.offs.push(this.conn.onConnected((client) => this.onConnect(client)));
    this.offs.push(this.conn.onDisconnected((reason) => this.onDisconnect(reason)));
    // New invoices take new (derived) addresses and new pool addresses are added by writes: after each commit, a
    // cheap MAX(id) check finds them and subscribes them at once.
    let refunds = lastRefundId(this.service.db);
    const afterCommit = (): void => {
      if (!this.running) return;
      const gen = this.gen;
      this.subs.checkNew(this.client, () => gen === this.gen, (e) => this.fail(gen, e));
      // A refund with the customer's address was recorded: watch that address now (src/node/books/refund-watch.ts).
      const last = lastRefundId(this.service.db);
      if (last > refunds && this.client && this.initialDone && !this.subs.subscribing) {
        refunds = last;
        void this.subs.subscribeWatched(this.client, () => gen === this.gen, false).catch((e: unknown) => this.fail(gen, e));
      }
      this.trust.afterCommit(this.client, () => gen === this.gen, (e) => this.fail(gen, e));
    };
    this.offs.push(this.service.onCommit((c) => c.kind === 'facts' && afterCommit()));
    this.offs.push(this.service.system.provideChainStatus(() => this.status()));
    this.conn.start();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.gen++;
    this.scheduler.reset();
    this.subs.reset(null);
    this.chores.stop();
    for (const off of this.offs.splice(0)) off();
    await this.trust.stop();
    this.log(`watcher: stopped; ${JSON.stringify(this.stats)}`);
    await this.conn.stop();
    this.client = null;
    this.wakeIdle();
  }

  get connection(): ElectrumConnection {
    return this.conn;
  }

  /** get_history calls per scripthash (tests assert that unchanged addresses are not re-fetched). */
  get historyFetchesBy(): ReadonlyMap<string, number> {
    return this.verifier.fetchesBy;
  }

  status(): ChainStatus {
    const c = this.conn.status();
    const tip = this.service.tipHeight();
    const synced = this.isSynced();
    return {
      connected: c.connected,
      server: c.server,
      tipHeight: tip || null,
      synced,
      error: c.connected && synced ? null : (this.lastError ?? c.lastError),
      ...this.trust.status(),
      watch: {
        subscribed: this.subs.subscribed.size,
        scheduled: this.subs.overflow.size,
        scheduledEveryS: this.subs.overflow.size ? Math.round((this.opts.overflowCheckMs ?? 60_000) / 1000) : null,
        subscriptionCap: this.subs.cap,
        sessions: this.subs.sessions.count,
      },
    };
  }

  isSynced(): boolean {
    return this.client !== null && this.conn.connected && this.trust.synced && this.initialDone && !this.subs.subscribing && this.scheduler.idle;
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
      const p = this.subs.pacer;
      const extra = `${this.subs.sessions.count} session(s), ${this.subs.overflow.size} checked on a schedule, ${p.stats.refusals} refused batches in ${p.stats.cuts} cut(s), window ${p.window}`;
      this.log(`chain: synced ${this.subs.subscribed.size} watched addresses with ${this.client?.label} at height ${this.service.tipHeight()} (${extra})`);
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
    this.subs.reset(client);
    this.tipWatch.reset();
    this.scheduler.reset();
    this.forced.clear();
    this.initialDone = false;
    this.liveFromHeight = null;
    this.syncedLogged = false;
    this.lastError = null;
    this.trust.onConnect(client);
    client.onHeader((h) => {
      if (gen === this.gen) this.scheduler.requestTip({ info: h });
    });
    client.onScripthash((sh, st) => {
      if (gen !== this.gen || this.subs.onNotification(sh, st)) return;
      // Not (yet) in the watch set: a wallet-scan look-ahead address, or one just handed out.
      if (!this.trust.notification(client, () => gen === this.gen, sh, st)) this.scheduler.markDirty(sh);
    });
    this.recorder.connectivity({ connected: true, server: client.label, protocol: client.protocolVersion }, this.log);
    try {
      const tip = await client.headersSubscribe();
      if (gen !== this.gen) return;
      // Header sync and subscribing run side by side; histories queue behind the tip update (it runs alone).
      this.scheduler.requestTip({ info: tip });
      await this.tipWatch.firstPass(this.service.tipHeight(), () => this.subs.subscribeWatched(client, () => gen === this.gen, true));
      if (gen !== this.gen) return;
      this.initialDone = true;
      this.chores.start();
      this.scheduler.kick();
      this.wakeIdle();
    } catch (e) {
      this.fail(gen, e);
    }
  }

  private onDisconnect(reason: string): void {
    this.gen++;
    this.client = null;
    this.initialDone = false;
    this.chores.stop();
    this.scheduler.reset();
    this.subs.reset(null);
    if (this.running) this.recorder.connectivity({ connected: false, reason }, this.log);
    this.wakeIdle();
  }

  /** Handles an error from work on connection `gen`: misbehaviour → markBad, refusals → the pool fails over. */
  private fail(gen: number, e: unknown): void {
    if (gen !== this.gen || !this.running) return;
    const msg = (e as Error)?.message ?? String(e);
    if (e instanceof ElectrumDisconnectedError) return; // the pool reconnects
    if (isServerRefusal(e)) {
      this.lastError = `server refused: ${(e as ElectrumRpcError).rpcMessage}`;
      this.conn.markBad(this.lastError);
      return;
    }
    const errors = [ServerMisbehaviour, HeaderCheckError, ElectrumProtocolError, ElectrumTimeoutError, ElectrumRpcError];
    if (errors.some((k) => e instanceof k)) {
      this.lastError = msg;
      this.log(`watcher: leaving server: ${msg}`);
      this.conn.markBad(msg);
      return;
    }
    this.lastError = `watcher error: ${msg}`;
    this.log(`watcher error: ${(e as Error)?.stack ?? msg}`);
    this.conn.markBad(`watcher error: ${msg}`);
  }

  /** The slow sweep: the next page of addresses that are neither subscribed nor checked as overflow. */
  private sweep(): void {
    const page = this.recorder.sweepPage(this.sweepCursor, this.opts.sweepBatch ?? 50);
    this.sweepCursor = page.length ? page[page.length - 1]!.id : 0;
    for (const r of page) if (!this.subs.subscribed.has(r.scripthash) && !this.subs.overflow.has(r.scripthash)) this.scheduler.markBackground(r.scripthash);
  }

  private async openSession(): Promise<ElectrumClient> {
    const gen = this.gen;
    const main = this.client;
    if (!main) throw new Error('not connected');
    return openWiredSession(this.conn, () => gen === this.gen && this.running, (sh, st) => this.subs.onNotification(sh, st), main);
  }

  // ---- jobs --------------------------------------------------------------------------------------------------

  /** Brings our header chain to the server's tip (a notification, or a check of where the server's tip is). */
  private async tipJob(req: TipRequest): Promise<void> {
    const client = this.client;
    const gen = this.gen;
    if (!client) return;
    const live = (): boolean => gen === this.gen;
    // A notification names the tip; a routine check asks whether our tip still exists (a shorter chain is not always
    // announced); a refresh (a history ahead of our headers) asks the server for its tip.
    const info = 'info' in req ? req.info : 'check' in req ? await this.headerSync.probe(client) : await client.headersSubscribe();
    if (!live() || !info) return;
    let plan;
    try {
      plan = await this.headerSync.plan(client, live, info);
      this.inconsistentSince = null;
    } catch (e) {
      // Mid-reorg an honest server's headers trail its announcement, or it errs on a block it is rewriting: ask again
      // each second; blame it only if that lasts past the stale-status grace (docs/decisions/0024-stale-status-grace.md).
      const transient = e instanceof InconsistentTip || (e instanceof ElectrumRpcError && !isServerRefusal(e));
      this.inconsistentSince ??= Date.now();
      if (!transient || Date.now() - this.inconsistentSince > (this.opts.staleTimeoutMs ?? STALE_TIMEOUT_MS)) throw e;
      this.log(`watcher: ${(e as Error).message}; asking again`);
      this.lastReorgAt = Date.now();
      setTimeout(() => live() && this.scheduler.requestTip({ refresh: true }), 1000).unref?.();
      return;
    }
    if (!live()) return;
    const fail = (e: unknown): void => this.fail(gen, e);
    if (!plan) {
      const tip = this.headerSync.tip();
      if (tip) this.recorder.ensureTipState(tip);
      if (tip && this.liveFromHeight === null) this.liveFromHeight = tip.height + 1;
      this.trust.afterTip(client, live, fail, null);
      return;
    }
    this.log(`chain: tip ${plan.newTip.height} ${plan.newTip.hash}`);
    if (plan.reorg) {
      this.stats.reorgs++;
      this.lastReorgAt = Date.now();
      this.log(`watcher: reorg: fork at ${plan.fork}, our tip was ${plan.oldTip}, new tip ${plan.newTip.height}`);
    }
    for (const sh of this.recorder.recordTip(plan)) {
      this.forced.add(sh);
      if (this.subs.subscribed.has(sh)) this.scheduler.markDirty(sh);
    }
    this.trust.afterTip(client, live, fail, plan);
    // Addresses leave the watched set as confirmations grow (tip-watch.ts): a tip it does not follow (a part of a long
    // sync, one during a pass) only tells it of a reorg.
    void this.tipWatch.afterTip(client, live, plan, this.initialDone && !this.subs.subscribing && !plan.more).catch(fail);
    // A long sync or a long fork is verified and recorded in parts: the next part runs before any history.
    if (plan.more) return this.scheduler.requestTip({ check: true });
    // The first tip update of a connection catches up with what happened while we were away; later blocks are live.
    this.liveFromHeight ??= plan.newTip.height + 1;
  }

  private async historyJob(sh: string, final: boolean): Promise<HistoryOutcome> {
    const client = this.client;
    const gen = this.gen;
    if (!client) return 'done';
    // Nothing a server says about addresses counts until its headers passed: held until they do.
    if (this.trust.hold(sh)) return 'done';
    const live = (): boolean => gen === this.gen;
    let v;
    try {
      v = await this.verifier.verify(client, live, sh, this.subs.announced.get(sh), this.forced.has(sh));
    } catch (e) {
      // Mid-reorg ElectrumX answers get_merkle for a block it is rewriting with an error ("block 106 not on disk"):
      // like a stale status, wait for its next notification; blamed only on the last try.
      if (final || !(e instanceof ElectrumRpcError) || isServerRefusal(e)) throw e;
      return 'stale';
    }
    if (!live()) return 'done';
    if (v.kind === 'ahead') return 'ahead';
    if (v.kind === 'stale') {
      if (process.env.SATDESK_WATCH_DEBUG) this.log(`history ${sh.slice(0, 8)}: stale, waiting`);
      if (!final) return 'stale';
      // During a reorg burst an honest server's statuses trail its histories: wait again rather than blame it.
      if (Date.now() - this.lastReorgAt < (this.opts.staleTimeoutMs ?? STALE_TIMEOUT_MS)) return 'stale';
      const addr = this.subs.subscribed.has(sh) ? sh : 'an address';
      throw new ServerMisbehaviour(`the history of ${addr} still does not match the status the server announced`);
    }
    if (v.kind === 'facts') {
      if (process.env.SATDESK_WATCH_DEBUG) this.log(`history ${v.addr.address}: ${v.facts.map((f) => `${f.txid.slice(0, 8)}@${f.height}`).join(' ') || 'empty'}`);
      await this.recorder.recordHistory(v.addr, v.status, v.facts, v.existing);
      this.tipWatch.touched(sh);
    }
    this.forced.delete(sh);
    return 'done';
  }
}
