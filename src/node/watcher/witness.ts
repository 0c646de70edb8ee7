/**
 * The cross-check (docs/trust.md "Two servers", docs/decisions/0037-servers-compared-by-verified-work.md): with two
 * or more servers configured, a second connection — the witness — to a server other than the one in use. It checks
 * what no proof covers:
 * - the tip, by verified work: the witness's headers are verified against our own chain (src/core/chain/work.ts);
 *   `lag_blocks` is how many verified blocks of more work it has than ours, never a claimed height. A primary 3 or
 *   more verified blocks behind (stalled, or hiding blocks) is left for the witness's server. A witness that claims
 *   what its headers cannot prove is the liar: alerted and replaced, it never moves the primary.
 * - mempool payments: an unconfirmed payment is counted (`paid`, 0-conf) only once two mempools show it; one the
 *   witness still does not show after `OMISSION_MS` is an alert — never a reason to drop it.
 * - statuses: the witness watches the same addresses; a payment it shows that the primary omits is added (mined: with
 *   a merkle proof against our verified headers, which stands whatever another server says) and alerted.
 */
import { HeaderRuleError, headerHash, verifyHeaders } from '../../core/chain/index.ts';
import type { NetworkName } from '../../core/network.ts';
import { ElectrumClient, type HeaderInfo, type IpFamily, type ProxyConfig } from '../electrum/index.ts';
import { insertEvent } from '../events.ts';
import { getInvoiceRow, refreshInvoice } from '../invoices.ts';
import type { Satdesk } from '../service.ts';
import { ServerMisbehaviour } from './errors.ts';
import type { HeaderSync } from './header-sync.ts';
import type { HistoryVerifier } from './history.ts';
import type { Recorder } from './recorder.ts';
import { IN_WINDOW, invoiceIdOf, scripthashOf } from '../store/chain-sql.ts';

/** Verified blocks behind the witness at which the primary is left. */
export const LAG_FAILOVER = 3;
/** Payments mined this many blocks back or fewer are still compared with the witness. */
export const RECENT_BLOCKS = 6;
/** How long the witness may lag behind a payment the primary shows before it is an omission alert. */
export const OMISSION_MS = 60_000;

export type ChainAlert = { kind: 'unproven_tip' | 'bad_headers' | 'behind' | 'omission'; server: string; message: string; at: number };
export type CrossCheck = { server: string | null; lagBlocks: number | null; alerts: ChainAlert[] };

export interface WitnessOptions {
  servers: string[];
  network: NetworkName;
  family: IpFamily;
  proxy: ProxyConfig | undefined;
  service: Satdesk;
  headerSync: HeaderSync;
  maxReorgDepth: number;
  /** Display URL of the server in use. */
  primary: () => string | null;
  /** Leave the server in use, preferring `next` (the witness's server). */
  leavePrimary: (reason: string, next: string) => void;
  /** To verify what the witness says about an address and record it additively (never removing anything). */
  verifier: HistoryVerifier;
  recorder: Recorder;
  running: () => boolean;
  log: (line: string) => void;
  connectTimeoutMs?: number;
  /** Override OMISSION_MS (tests). */
  omissionMs?: number;
}

const strip = (u: string): string => u.split('#')[0]!;

export class Witness {
  lag: number | null = null;
  private client: ElectrumClient | null = null;
  private url: string | null = null;
  private connecting = false;
  private stopped = false;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly distrusted = new Map<string, number>();
  private readonly alerts: ChainAlert[] = [];
  /** payment id → when the primary showed it and the witness did not */
  private readonly missing = new Map<number, number>();
  private comparing: Promise<void> | null = null;
  private pendingCheck = false;
  private readonly agreed = new Map<number, string | null>();
  /** script hash → transactions the witness showed for it (its last history), so agreement needs no extra round trip */
  private readonly seen = new Map<string, Set<string>>();
  private agreeQueued = false;
  /** payment ids asked about right now, and when to ask again about one the witness did not show */
  private readonly asking = new Set<number>();
  private readonly nextAsk = new Map<number, number>();
  /** script hashes subscribed on the current witness connection */
  private readonly watched = new Set<string>();
  private recheckAt: number | null = null;

  constructor(private readonly o: WitnessOptions) {}

  get enabled(): boolean {
    return this.o.servers.length >= 2;
  }

  /** Whether the witness's last history of `sh` included `txid` (the recorder counts it as seen by two servers). */
  shows(sh: string, txid: string): boolean {
    return this.client !== null && (this.seen.get(sh)?.has(txid) ?? false);
  }

  private remember(sh: string, txids: Iterable<string>): void {
    this.seen.set(sh, new Set(txids));
    if (this.seen.size > 20_000) this.seen.delete(this.seen.keys().next().value as string);
  }

  status(): CrossCheck {
    return { server: this.url, lagBlocks: this.enabled ? this.lag : null, alerts: this.alerts.slice(-5) };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const c = this.client;
    this.client = null;
    await c?.close('witness stopped');
  }

  /** The primary (re)connected or moved: keep a witness on another server. */
  ensure(): void {
    if (!this.enabled || this.stopped || this.connecting) return;
    const primary = this.o.primary();
    if (this.client && this.url && (!primary || strip(this.url) !== strip(primary))) return;
    void this.client?.close('witness moves off the primary');
    this.client = null;
    this.url = null;
    this.lag = null;
    const now = Date.now();
    const next = this.o.servers.find((s) => (!primary || strip(s) !== strip(primary)) && (this.distrusted.get(s) ?? 0) < now);
    if (!next) return;
    this.connecting = true;
    const c = new ElectrumClient({
      server: next,
      network: this.o.network,
      family: this.o.family,
      ...(this.o.proxy ? { proxy: this.o.proxy } : {}),
      connectTimeoutMs: this.o.connectTimeoutMs ?? 10_000,
      onListenerError: (e) => this.o.log(`witness listener error: ${(e as Error)?.message ?? String(e)}`),
    });
    c.connect()
      .then(async () => {
        if (this.stopped) return void c.close('stopped');
        this.client = c;
        this.url = next;
        this.watched.clear();
        this.seen.clear();
        c.onDisconnected(() => {
          if (this.client !== c) return;
          this.client = null;
          this.later(() => this.ensure(), 2000);
        });
        c.onHeader((h) => this.compare(h));
        c.onScripthash((sh) => void this.addFacts(c, sh).catch((e: unknown) => this.o.log(`witness: ${(e as Error).message}`)));
        this.compare(await c.headersSubscribe());
        await this.watchOpen();
        this.checkMempool();
      })
      .catch((e: unknown) => {
        this.o.log(`witness: cannot connect to ${next}: ${(e as Error).message}`);
        this.distrusted.set(next, Date.now() + 30_000);
        this.later(() => this.ensure(), 5000);
      })
      .finally(() => (this.connecting = false));
  }

  /** Our tip moved: compare again (the witness may now be level, or still ahead). */
  primaryTip(): void {
    if (this.client) void this.client.headersSubscribe().then((h) => this.compare(h)).catch(() => {});
  }

  /** After a write: new open invoices to watch on the witness, new mempool payments to check (at most every 100 ms). */
  afterCommit(): void {
    if (this.pendingCheck || !this.client) return;
    this.pendingCheck = true;
    setImmediate(() => {
      this.pendingCheck = false;
      void this.watchOpen().catch(() => {});
      this.checkMempool();
    });
  }

  /**
   * The witness announced a status for one of our addresses. What it proves with a merkle proof against our headers
   * is added (never removing anything; one mined in a block we already had is an omission by the primary); mempool
   * payments both servers now show are agreed; one only the witness shows is the primary's omission if it lasts.
   */
  private async addFacts(c: ElectrumClient, sh: string): Promise<void> {
    if (!this.o.headerSync.verified || !this.o.running()) return;
    const v = await this.o.verifier.verify(c, this.o.running, sh, undefined, true);
    if (v.kind !== 'facts') return;
    this.remember(sh, v.facts.map((f) => f.txid));
    const proven = v.facts.filter((f) => {
      const p = v.existing.get(f.txid);
      return f.verified && (!p || p.state !== 'active' || p.verified === 0);
    });
    if (proven.length) {
      await this.o.recorder.recordHistory(v.addr, v.status, proven, v.existing, true);
      const tip = this.o.headerSync.tip()?.height ?? 0;
      for (const f of proven) if (f.height < tip && !v.existing.has(f.txid)) this.omitted(f.txid, `mined at ${f.height} and proven against our headers by ${this.url}: added`, v.addr.address);
    }
    const agreed = [...v.existing.values()].filter((p) => p.state === 'active' && p.height === 0 && p.mempool_servers < 2 && v.facts.some((f) => f.txid === p.txid));
    if (agreed.length) this.agree(agreed.map((p) => ({ id: p.id, invoice_id: p.invoice_id })));
    for (const f of v.facts) {
      if (f.height !== 0 || v.existing.has(f.txid)) continue;
      this.later(() => {
        const known = this.o.service.db.prepare('SELECT 1 FROM payments WHERE txid = unhex(?) AND address_id = ?').get(f.txid, v.addr.id);
        if (!known) this.omitted(f.txid, `shown in the mempool of ${this.url}`, v.addr.address);
      }, this.o.omissionMs ?? OMISSION_MS);
    }
  }

  /** A payment only the witness showed: the primary hides it. */
  private omitted(txid: string, how: string, address: string): void {
    const primary = this.o.primary() ?? 'the server in use';
    this.alert('omission', primary, `${primary} omits payment ${txid} to ${address}, ${how}`);
  }

  /**
   * Both servers show these mempool payments: they count now (src/core/zeroconf.ts mempoolAgreed). Agreements that
   * arrive in the same event-loop turn share one write (one fsync), as the recorder's histories do.
   */
  private agree(rows: { id: number; invoice_id: string | null }[]): void {
    for (const r of rows) this.agreed.set(r.id, r.invoice_id);
    if (this.agreeQueued) return;
    this.agreeQueued = true;
    setImmediate(() => {
      this.agreeQueued = false;
      const batch = [...this.agreed];
      this.agreed.clear();
      const db = this.o.service.db;
      this.o.service.write(() => {
        const ctx = this.o.service.refreshContext();
        const invoices = new Set<string>();
        for (const [id, invoiceId] of batch) {
          this.missing.delete(id);
          db.prepare('UPDATE payments SET mempool_servers = 2 WHERE id = ?').run(id);
          if (invoiceId) invoices.add(invoiceId);
        }
        for (const id of invoices) {
          const inv = getInvoiceRow(db, id);
          if (inv) refreshInvoice(db, inv, ctx);
        }
      });
    });
  }

  /** Open invoices' addresses and unconfirmed payments' addresses, subscribed on the witness too. */
  private async watchOpen(): Promise<void> {
    const c = this.client;
    if (!c) return;
    const sh = scripthashOf('a');
    const rows = this.o.service.db
      .prepare(
        `SELECT ${sh} AS scripthash FROM invoices i JOIN addresses a ON a.id = i.address_id WHERE ${IN_WINDOW}
         UNION SELECT ${sh} FROM payments p JOIN addresses a ON a.id = p.address_id WHERE p.state = 'active' AND p.height = 0 LIMIT 10000`,
      )
      .all({ now: Date.now() }) as { scripthash: string }[];
    const fresh = rows.map((r) => r.scripthash).filter((sh) => !this.watched.has(sh));
    for (const sh of fresh) this.watched.add(sh);
    // A status in the subscribe answer is news too: a payment made before the subscription reached the witness is
    // announced only there, never by a later notification.
    const look = async (sh: string) => (c === this.client && (await c.scripthashSubscribe(sh)) !== null && c === this.client ? this.addFacts(c, sh) : null);
    await Promise.all(fresh.map(look));
  }

  /**
   * Payments only one server has shown — unconfirmed ones, and ones mined in the last RECENT_BLOCKS blocks (a witness
   * hiding a mined payment changes no status, so it never announces anything): ask the witness (once at a time per
   * payment, again after a second); alert when it still does not show one after OMISSION_MS. A mined payment stays
   * what its merkle proof made it: the alert is all an omission causes.
   */
  checkMempool(): void {
    const c = this.client;
    if (!c) return;
    const now = Date.now();
    const low = (this.o.headerSync.tip()?.height ?? 0) - RECENT_BLOCKS;
    const rows = this.o.service.db
      .prepare(
        `SELECT p.id, lower(hex(p.txid)) AS txid, ${invoiceIdOf('p')} AS invoice_id, p.height, ${scripthashOf('a')} AS scripthash FROM payments p JOIN addresses a ON a.id = p.address_id
         WHERE p.state = 'active' AND (p.height = 0 OR p.height > ?) AND p.mempool_servers < 2`,
      )
      .all(Math.max(0, low)) as { id: number; txid: string; invoice_id: string | null; height: number; scripthash: string }[];
    for (const r of rows) {
      if (this.asking.has(r.id)) continue;
      // A timer may fire a millisecond before the time it was set for: a payment not due yet is looked at again when
      // it is, never dropped (the checks would stop for good and the omission would never be told).
      const due = this.nextAsk.get(r.id) ?? 0;
      if (due > now) {
        this.recheck(due - now);
        continue;
      }
      this.asking.add(r.id);
      void c
        .getHistory(r.scripthash)
        .then((h) => {
          this.remember(r.scripthash, h.map((e) => e.tx_hash));
          if (h.some((e) => e.tx_hash === r.txid)) return this.agree([r]);
          const since = this.missing.get(r.id) ?? Date.now();
          this.missing.set(r.id, since);
          this.nextAsk.set(r.id, Date.now() + 1000);
          if (Date.now() - since >= (this.o.omissionMs ?? OMISSION_MS)) {
            this.missing.set(r.id, Date.now()); // alert again only after another full wait
            const where = r.height > 0 ? `mined at ${r.height} with a proof against our headers` : 'in its mempool';
            this.alert('omission', this.url!, `${this.url} does not show payment ${r.txid} that ${this.o.primary()} shows ${where}`);
          }
          this.recheck(1000);
        })
        .catch(() => {})
        .finally(() => this.asking.delete(r.id));
    }
  }

  /** One pending re-check at a time, at the earliest time asked for. */
  private recheck(ms: number): void {
    const at = Date.now() + ms;
    if (this.recheckAt !== null && this.recheckAt <= at) return;
    this.recheckAt = at;
    this.later(() => {
      if (this.recheckAt !== at) return;
      this.recheckAt = null;
      this.checkMempool();
    }, ms);
  }

  /** A timer that stop() cancels: one that fired after it would read a store the app has closed. */
  private later(fn: () => void, ms: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    t.unref?.();
    this.timers.add(t);
  }

  private alert(kind: ChainAlert['kind'], server: string, message: string): void {
    const a = { kind, server, message, at: Date.now() };
    this.alerts.push(a);
    if (this.alerts.length > 20) this.alerts.shift();
    this.o.log(`cross-check: ${message}`);
    try {
      this.o.service.write(() => insertEvent(this.o.service.db, 'chain.alert', null, null, { kind, server, message }, a.at));
    } catch {} // the alert stays in sysinfo
  }

  private distrust(reason: string, kind: ChainAlert['kind']): void {
    const url = this.url!;
    this.alert(kind, url, `${url}: ${reason}`);
    this.distrusted.set(url, Date.now() + 600_000);
    this.lag = null;
    const c = this.client;
    this.client = null;
    void c?.close('witness distrusted');
    this.later(() => this.ensure(), 1000);
  }

  /** Compares the witness's chain with ours by verified work (one at a time; the latest tip wins). */
  private compare(info: HeaderInfo): void {
    if (this.comparing) {
      void this.comparing.then(() => this.compare(info));
      return;
    }
    this.comparing = this.compareNow(info).finally(() => (this.comparing = null));
  }

  private async compareNow(info: HeaderInfo): Promise<void> {
    const c = this.client;
    const sync = this.o.headerSync;
    const ours = sync.tip();
    if (!c || !ours || !sync.verified) return;
    try {
      if (info.height === ours.height && headerHash(info.hex) === ours.hash) {
        this.lag = 0;
        return;
      }
      let fork: number;
      const atOurs = info.height >= ours.height ? await c.blockHeader(ours.height).catch(() => null) : null;
      if (atOurs !== null && headerHash(atOurs) === ours.hash) fork = ours.height;
      else fork = await sync.findFork(c, () => c === this.client, Math.min(ours.height, info.height));
      if (c !== this.client) return;
      const base = sync.contextAt(fork);
      const ourWork = sync.contextAt(ours.height).chainwork - base.chainwork;
      let theirWork = 0n;
      let verified = fork;
      if (info.height > fork) {
        const r = await c.blockHeaders(fork + 1, Math.min(2016, info.height - fork));
        if (c !== this.client) return;
        if (r.count === 0) return this.distrust(`claims a tip at ${info.height} but has no headers after ${fork}`, 'unproven_tip');
        const v = verifyHeaders(sync.rules, base, r.hex, Math.floor(Date.now() / 1000));
        theirWork = v.ctx.chainwork - base.chainwork;
        verified = v.ctx.height;
      }
      this.lag = theirWork > ourWork ? verified - ours.height : 0;
      if (this.lag >= LAG_FAILOVER) {
        const primary = this.o.primary() ?? 'the server in use';
        this.alert('behind', primary, `${primary} is ${this.lag} verified blocks behind ${this.url}: leaving it`);
        this.o.leavePrimary(`${this.lag} verified blocks behind ${this.url}`, this.url!);
      }
    } catch (e) {
      if (c !== this.client) return;
      if (e instanceof HeaderRuleError) return this.distrust(`its headers break the chain rules: ${e.message}`, 'bad_headers');
      if (e instanceof ServerMisbehaviour) return this.distrust(e.message, 'bad_headers');
      this.o.log(`witness: compare failed: ${(e as Error).message}`);
    }
  }
}
