/**
 * Header sync: anchors our header chain on the shipped checkpoint (never on a server's claim), then brings it to
 * the server's tip page by page — each page of up to 2016 headers verified as it arrives (link, bits, proof of work,
 * median time past, the 2-hour future limit: src/core/chain/work.ts) and stored at once, with at most one page
 * requested ahead, so a server claiming a huge tip costs a page of memory, not the chain (docs/trust.md,
 * docs/decisions/0035-streaming-header-sync.md). A server whose chain ends below the checkpoint, does not lead to it,
 * or breaks a rule is refused with the reason: `chain.refused` event, `trust()` for sysinfo, HeaderCheckError for the
 * watcher, which leaves it. A fork (reorg) is planned, not written: the recorder commits it with the payments it
 * touches.
 */
import {
  anchorContext,
  anchorRange,
  CHAIN_RULES,
  checkpointFor,
  headerHash,
  HeaderRuleError,
  parseHeader,
  refuseShortChain,
  verifyHeaders,
  type Checkpoint,
  type ChainRules,
  type HeaderContext,
  type VerifiedHeader,
} from '../../core/chain/index.ts';
import { MEDIAN_TIME_SPAN, RETARGET_INTERVAL } from '../../core/chain/work.ts';
import type { NetworkName } from '../../core/network.ts';
import { ElectrumRpcError, type ElectrumClient, type HeaderInfo } from '../electrum/index.ts';
import { insertEvent } from '../events.ts';
import type { DB } from '../store/sqlite.ts';
import { HeaderCheckError, HeaderStore, type StoredHeader } from './headers.ts';
import { InconsistentTip, ServerMisbehaviour } from './errors.ts';

/** Blocks a server's headers may fall short of its announced tip for a moment (a block or reorg being applied). */
export const SHORT_OF_TIP = 6;

/** What a tip update changes; committed by the recorder in one write. */
export interface TipPlan {
  /** Highest height shared by our old chain and the server's. */
  fork: number;
  /** Verified headers for the recorder to store: a fork's branch (forward pages are stored as they arrive). */
  checked: StoredHeader[];
  newTip: StoredHeader;
  /** Our tip height before. */
  oldTip: number;
  /** Blocks of ours the server's chain no longer has (fork < oldTip). */
  reorg: boolean;
  /** The server's tip is further: ask for another tip update once this one is recorded. */
  more: boolean;
}

/** Where our header chain stands, for sysinfo and the event stream. */
export interface HeaderTrust {
  state: 'waiting' | 'anchoring' | 'syncing' | 'verified' | 'refused';
  checkpointHeight: number;
  /** Highest header verified and stored. */
  verifiedHeight: number | null;
  /** What the server claims, never trusted until headers reach it. */
  claimedHeight: number | null;
  server: string | null;
  /** Why the last server's chain was refused, or what we wait for. */
  reason: string | null;
}

export interface HeaderSyncOptions {
  maxReorgDepth: number;
  /** A checkpoint of the test's own (default: the shipped one for the network). */
  checkpoint?: Checkpoint;
  /** Rules override (tests: a network's rules at regtest difficulty). */
  rules?: ChainRules;
  /** Headers per request (default 2016, the most servers send at once). */
  pageSize?: number;
}

const nowSec = (): number => Math.floor(Date.now() / 1000);

export class HeaderSync {
  readonly store: HeaderStore;
  readonly checkpoint: Checkpoint;
  readonly rules: ChainRules;
  private readonly pageSize: number;
  private ctx: HeaderContext | null = null;
  private state: HeaderTrust;

  constructor(
    private readonly db: DB,
    network: NetworkName,
    private readonly write: <T>(fn: () => T) => T,
    private readonly opts: HeaderSyncOptions,
  ) {
    this.store = new HeaderStore(db);
    this.checkpoint = opts.checkpoint ?? checkpointFor(network);
    this.rules = opts.rules ?? CHAIN_RULES[network];
    this.pageSize = Math.max(1, Math.min(2016, opts.pageSize ?? 2016));
    const anchored = this.store.anchoredOn() === this.checkpoint.hash;
    this.state = {
      state: 'waiting',
      checkpointHeight: this.checkpoint.height,
      verifiedHeight: anchored ? (this.store.tip()?.height ?? null) : null,
      claimedHeight: null,
      server: null,
      reason: 'no server has proved its chain yet',
    };
  }

  tip(): StoredHeader | undefined {
    return this.store.tip();
  }

  trust(): HeaderTrust {
    return { ...this.state };
  }

  /** True once the current server's chain verified up to its tip. */
  get verified(): boolean {
    return this.state.state === 'verified';
  }

  /** A new connection: its chain is unproven until its headers pass. */
  reset(server: string | null): void {
    this.state = { ...this.state, state: 'waiting', server, claimedHeight: null, reason: 'waiting for the server’s headers' };
  }

  /**
   * The plan that brings our chain to the server's tip `info`, or null when nothing changes. A tip lower than ours
   * is followed back (the server's chain got shorter, or it lags: its headers decide), never ignored.
   */
  async plan(client: ElectrumClient, live: () => boolean, info: HeaderInfo): Promise<TipPlan | null> {
    this.state.server = client.label;
    this.state.claimedHeight = info.height;
    const short = refuseShortChain(this.checkpoint, info.height);
    if (short) this.refuse(client, short);
    if (!(await this.ensureAnchor(client, live))) return null;
    let local = this.store.tip()!;
    const infoHash = headerHash(info.hex);
    if (info.height === local.height && infoHash === local.hash) return this.done(null);
    if (info.height < local.height) {
      const ours = this.store.get(info.height);
      if (ours && ours.hash === infoHash) {
        if (local.height - info.height > this.opts.maxReorgDepth) {
          throw new ServerMisbehaviour(`the server's tip ${info.height} is ${local.height - info.height} blocks below ours`);
        }
        return this.done({ fork: info.height, checked: [], newTip: ours, oldTip: local.height, reorg: true, more: false });
      }
    }
    const oldTip = local.height;
    // The server's tip is not above ours and not on our chain: its chain left ours somewhere below.
    if (info.height <= local.height) return this.fork(client, live, info, oldTip);
    let ctx = this.context();
    let h = local.height + 1;
    this.state.state = 'syncing';
    this.state.reason = `verifying headers ${h}–${info.height}`;
    // One page ahead at most: the next page is requested while this one is verified and stored.
    let next: Promise<{ count: number; hex: string }> | null = this.page(client, h, info.height);
    let first = true;
    while (next) {
      const r: { count: number; hex: string } = await next;
      if (!live()) return null;
      if (r.count === 0) this.shortOfTip(client, info.height, h - 1);
      if (first && parseHeader(r.hex.slice(0, 160)).prevHash !== local.hash) return this.fork(client, live, info, oldTip);
      first = false;
      next = h + r.count <= info.height ? this.page(client, h + r.count, info.height) : null;
      next?.catch(() => {}); // awaited next turn; a failure there is handled then
      const v = this.verifyPage(client, ctx, r.hex);
      this.write(() => {
        for (const hd of v.headers) this.store.insert(hd);
        this.store.setChainwork(v.ctx.hash, v.ctx.chainwork);
      });
      ctx = this.ctx = v.ctx;
      h += r.count;
      local = v.headers[v.headers.length - 1]!;
      this.state.verifiedHeight = local.height;
    }
    if (info.height < h - 1 || (info.height === local.height && infoHash !== local.hash)) {
      // The server's tip moved between its notification and our fetch: what we verified stands; look again.
      return this.done({ fork: oldTip, checked: [], newTip: local, oldTip, reorg: false, more: true });
    }
    if (local.height === oldTip) return this.done(null);
    return this.done({ fork: oldTip, checked: [], newTip: local, oldTip, reorg: false, more: false });
  }

  /** After the recorder committed a plan: remember the chain work at the new tip. */
  recorded(plan: TipPlan): void {
    const ctx = this.context();
    if (ctx.hash === plan.newTip.hash) this.write(() => this.store.setChainwork(ctx.hash, ctx.chainwork));
  }

  /** Cumulative work at our tip (a lower bound where the checkpoint's is). */
  chainwork(): bigint | null {
    return this.store.tip() ? this.context().chainwork : null;
  }

  /**
   * The server's view at our tip, for a chain that may have become shorter without a notification (ElectrumX does
   * not announce one): null when the server still has our tip, else the tip to follow.
   */
  async probe(client: ElectrumClient): Promise<HeaderInfo | null> {
    const local = this.store.tip();
    if (!local) return null;
    let hex: string | null;
    try {
      hex = await client.blockHeader(local.height);
    } catch (e) {
      if (!(e instanceof ElectrumRpcError)) throw e;
      hex = null; // "height out of range": the server's chain is shorter than ours
    }
    if (hex !== null && headerHash(hex) === local.hash) return null;
    if (hex !== null) return client.headersSubscribe();
    // Walk down until the server has headers: its highest one is its tip.
    for (let span = 16; ; span *= 4) {
      const start = Math.max(0, local.height - span);
      const r = await client.blockHeaders(start, local.height - start + 1);
      if (r.count > 0) return { height: start + r.count - 1, hex: r.hex.slice((r.count - 1) * 160) };
      if (start === 0) throw new ServerMisbehaviour('the server has no headers at all');
    }
  }

  // ---- internals ---------------------------------------------------------------------------------------------

  private done(plan: TipPlan | null): TipPlan | null {
    if (!plan?.more) {
      this.state.state = 'verified';
      this.state.reason = null;
    }
    this.state.verifiedHeight = plan?.newTip.height ?? this.store.tip()?.height ?? null;
    return plan;
  }

  private page(client: ElectrumClient, start: number, end: number): Promise<{ count: number; hex: string }> {
    return client.blockHeaders(start, Math.min(this.pageSize, end - start + 1));
  }

  private verifyPage(client: ElectrumClient, ctx: HeaderContext, hex: string): { headers: VerifiedHeader[]; ctx: HeaderContext } {
    try {
      return verifyHeaders(this.rules, ctx, hex, nowSec());
    } catch (e) {
      if (e instanceof HeaderRuleError) this.refuse(client, `its headers break the chain rules: ${e.message}`);
      throw e;
    }
  }

  /**
   * The server has no headers after `last` though it announced `claimed`. A few blocks short is an honest server
   * catching up with itself (InconsistentTip: the watcher looks again); more is a claim it cannot prove: refused.
   */
  private shortOfTip(client: ElectrumClient, claimed: number, last: number): never {
    const why = `the server claims a tip at ${claimed} but has no headers after ${last}`;
    if (claimed - last <= SHORT_OF_TIP) throw new InconsistentTip(why);
    this.refuse(client, why);
  }

  /** Refuses the server's chain: the reason goes to sysinfo and the event stream; the watcher leaves the server. */
  private refuse(client: ElectrumClient, reason: string): never {
    this.state = { ...this.state, state: 'refused', server: client.label, reason };
    try {
      this.write(() => insertEvent(this.db, 'chain.refused', null, null, { server: client.label, reason, checkpoint_height: this.checkpoint.height }, Date.now()));
    } catch {
      /* the refusal stands even if the event cannot be written */
    }
    throw new HeaderCheckError(`chain refused: ${reason}`);
  }

  /** Stores the verified period that ends at the checkpoint, unless the stored chain is already anchored on it. */
  private async ensureAnchor(client: ElectrumClient, live: () => boolean): Promise<boolean> {
    const cp = this.checkpoint;
    if (this.store.anchoredOn() === cp.hash && this.store.tip()) return true;
    this.state.state = 'anchoring';
    this.state.reason = `fetching the headers that end at the checkpoint (height ${cp.height})`;
    const { start, count } = anchorRange(cp);
    let hex = '';
    for (let h = start; h < start + count; ) {
      const r = await client.blockHeaders(h, start + count - h);
      if (!live()) return false;
      if (r.count === 0) this.refuse(client, `it has no headers ${h}–${cp.height}: not the chain of Satdesk's checkpoint`);
      hex += r.hex;
      h += r.count;
    }
    let ctx: HeaderContext;
    try {
      ctx = anchorContext(cp, hex, this.rules);
    } catch (e) {
      if (e instanceof HeaderRuleError) this.refuse(client, `its headers do not lead to the checkpoint at ${cp.height}: ${e.message}`);
      throw e;
    }
    this.write(() => {
      const had = this.store.tip() !== undefined;
      this.store.deleteAll();
      for (let i = 0; i < count; i++) this.store.insert({ ...parseHeader(hex.slice(i * 160, i * 160 + 160)), height: start + i, hex: hex.slice(i * 160, i * 160 + 160) });
      this.store.setAnchor(cp.hash, start);
      this.store.setChainwork(ctx.hash, ctx.chainwork);
      // A chain stored before checkpoints: proofs checked against it are checked again against the anchored chain.
      if (had) {
        this.db
          .prepare('UPDATE addresses SET electrum_status = NULL WHERE id IN (SELECT address_id FROM payments WHERE verified = 1 AND height >= ?)')
          .run(start);
      }
    });
    this.ctx = ctx;
    return true;
  }

  /** The verification context at our stored tip. */
  private context(): HeaderContext {
    const tip = this.store.tip()!;
    if (this.ctx?.hash !== tip.hash) this.ctx = this.contextAt(tip.height);
    return this.ctx;
  }

  /** Rebuilds the verification context at a stored height from the stored headers (period start onwards). */
  contextAt(height: number): HeaderContext {
    const from = this.rules.retarget ? height - (height % RETARGET_INTERVAL) : Math.max(0, height - MEDIAN_TIME_SPAN + 1);
    const rows = this.store.range(Math.max(from, this.store.lowest() ?? from), height);
    const last = rows[rows.length - 1];
    if (!last || last.height !== height || (this.rules.retarget && rows[0]!.height !== from)) {
      throw new HeaderCheckError(`cannot verify from height ${height}: it is below the anchored chain`);
    }
    let lastRealBits = rows[0]!.bits;
    for (const r of rows) if (r.bits !== this.rules.powLimitBits) lastRealBits = r.bits;
    const tip = this.store.tip()!;
    const tipWork = this.store.chainworkAt(tip.hash);
    const chainwork =
      tipWork !== undefined
        ? tipWork - this.store.work(height + 1, tip.height)
        : this.checkpoint.chainwork + this.store.work(this.checkpoint.height + 1, height);
    return {
      height,
      hash: last.hash,
      time: last.time,
      bits: last.bits,
      chainwork,
      recentTimes: rows.slice(-MEDIAN_TIME_SPAN).map((r) => r.time),
      periodFirst: { time: rows[0]!.time, bits: rows[0]!.bits },
      lastRealBits,
    };
  }

  /**
   * The server's chain left ours: find the last shared header and verify its branch from there. The branch is held
   * for the recorder (it replaces ours in one write), at most `maxReorgDepth` + one page of it; a longer branch is
   * planned in parts (`more`).
   */
  private async fork(client: ElectrumClient, live: () => boolean, info: HeaderInfo, oldTip: number): Promise<TipPlan | null> {
    const fork = await this.findFork(client, live, Math.min(oldTip, info.height));
    if (!live()) return null;
    if (fork < this.checkpoint.height) this.refuse(client, `its chain forks from ours at ${fork}, below the checkpoint at ${this.checkpoint.height}`);
    let ctx = this.contextAt(fork);
    const branch: StoredHeader[] = [];
    const limit = this.opts.maxReorgDepth + this.pageSize;
    let h = fork + 1;
    while (h <= info.height && branch.length < limit) {
      const r = await this.page(client, h, Math.min(info.height, fork + limit));
      if (!live()) return null;
      if (r.count === 0) this.shortOfTip(client, info.height, h - 1);
      const v = this.verifyPage(client, ctx, r.hex);
      branch.push(...v.headers);
      ctx = v.ctx;
      h += r.count;
    }
    if (!branch.length) return null;
    this.ctx = ctx;
    const newTip = branch[branch.length - 1]!;
    return this.done({ fork, checked: branch, newTip, oldTip, reorg: fork < oldTip, more: newTip.height < info.height });
  }

  /** Highest height ≤ from where the server's header equals ours. */
  async findFork(client: ElectrumClient, live: () => boolean, from: number): Promise<number> {
    const lowest = this.store.lowest() ?? from;
    let top = from;
    let window = 8;
    while (top >= lowest && live()) {
      const start = Math.max(lowest, top - window + 1);
      const r = await client.blockHeaders(start, top - start + 1);
      for (let i = r.count - 1; i >= 0; i--) {
        const height = start + i;
        const ours = this.store.get(height);
        if (ours && headerHash(r.hex.slice(i * 160, (i + 1) * 160)) === ours.hash) return height;
      }
      if (from - start >= this.opts.maxReorgDepth) break;
      top = start - 1;
      window *= 4;
    }
    throw new ServerMisbehaviour(`the server's chain does not share a header with ours in the last ${this.opts.maxReorgDepth} blocks`);
  }
}
