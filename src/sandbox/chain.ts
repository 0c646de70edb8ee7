import { Transaction } from 'bitcoinjs-lib';
import { randomBytes } from 'node:crypto';
import {
  REGTEST_BITS,
  REGTEST_GENESIS_HEADER,
  bitsToTarget,
  hashToHex,
  merkleBranch,
  merkleRoot,
  parseHeader,
  scriptHashOfScript,
  serializeHeader,
  sha256d,
  sortHistory,
  electrumStatus,
} from '../core/chain/index.ts';
import { bytesToHex, hexToBytes, hexToHash } from '../core/chain/bytes.ts';
import {
  COINBASE_MATURITY,
  MIN_RELAY_SAT_PER_VB,
  RejectError,
  btc,
  buildCoinbase,
  dustThreshold,
  isFinalSequence,
  scriptType,
  signalsRbf,
  subsidy,
  verifyInput,
} from './tx.ts';

export interface StoredTx {
  txid: string;
  hex: string;
  tx: Transaction;
  vsize: number;
}

export interface Block {
  height: number;
  hash: string;
  headerHex: string;
  time: number;
  txs: StoredTx[];
}

export interface Coin {
  txid: string;
  vout: number;
  value: number;
  script: Uint8Array;
  /** 0 while in the mempool */
  height: number;
  coinbase: boolean;
}

export interface MempoolEntry {
  t: StoredTx;
  fee: number;
  /** sat/vB */
  feeRate: number;
  time: number;
  rbf: boolean;
  /** mempool txids this one spends from */
  parents: Set<string>;
  /** script hashes it touches (kept so removal does not depend on parents still being indexed) */
  shs: Set<string>;
}

export interface HistoryItem {
  tx_hash: string;
  height: number;
  fee?: number;
}

export interface AcceptOptions {
  /** verify signatures (off when re-adding transactions that were already accepted once) */
  checkScripts: boolean;
  /** min relay fee and dust (off when re-adding) */
  policy: boolean;
  /** 'bip125': conflicts allowed if every conflict signals; 'force': the sandbox's own double-spend */
  replace: 'none' | 'bip125' | 'force';
}

/**
 * What changed. A mempool-only change names the script hashes it touched, so the server re-hashes only those
 * statuses (a busy mempool with thousands of subscriptions would otherwise recompute every status per payment).
 */
export type ChainEvent = { tipChanged: boolean; touched?: ReadonlySet<string> };

const STRICT: AcceptOptions = { checkScripts: true, policy: true, replace: 'bip125' };
const READD: AcceptOptions = { checkScripts: false, policy: false, replace: 'none' };

const key = (txid: string, vout: number): string => `${txid}:${vout}`;

function stored(tx: Transaction, hex?: string): StoredTx {
  return { txid: tx.getId(), hex: hex ?? tx.toHex(), tx, vsize: tx.virtualSize() };
}

export function parseTx(hex: string): StoredTx {
  if (typeof hex !== 'string' || hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) {
    throw new RejectError('TX decode failed');
  }
  let tx: Transaction;
  try {
    tx = Transaction.fromHex(hex);
  } catch {
    throw new RejectError('TX decode failed');
  }
  return stored(tx, hex.toLowerCase());
}

/**
 * The sandbox's node: blocks from the regtest genesis, a UTXO set, a mempool with BIP125 replacement, and the
 * script-hash indexes an Electrum server needs. All state changes are synchronous; listeners hear about them after.
 */
export class SandboxChain {
  blocks: Block[] = [];
  private txById = new Map<string, StoredTx>();
  private txPos = new Map<string, { height: number; pos: number }>();
  private utxo = new Map<string, Coin>();
  private shHistory = new Map<string, { txid: string; height: number; pos: number }[]>();
  mempool = new Map<string, MempoolEntry>();
  private mempoolSpends = new Map<string, string>();
  private mempoolSh = new Map<string, Set<string>>();
  private listeners: ((e: ChainEvent) => void)[] = [];
  /** Default payout script for mined coinbases (the sandbox wallet). */
  minerScript: Uint8Array;
  private now: () => number;

  constructor(minerScript: Uint8Array, now: () => number = Date.now) {
    this.minerScript = minerScript;
    this.now = now;
    const g = parseHeader(REGTEST_GENESIS_HEADER);
    this.blocks.push({ height: 0, hash: g.hash, headerHex: REGTEST_GENESIS_HEADER, time: g.time, txs: [] });
  }

  onChange(fn: (e: ChainEvent) => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  /** Script hashes whose mempool entries changed since the last event. */
  private touchedSinceEmit = new Set<string>();

  private emit(e: ChainEvent): void {
    if (!e.tipChanged) e = { ...e, touched: this.touchedSinceEmit };
    this.touchedSinceEmit = new Set();
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a listener's failure must not corrupt the chain
      }
    }
  }

  get height(): number {
    return this.blocks.length - 1;
  }

  get tip(): Block {
    return this.blocks[this.blocks.length - 1]!;
  }

  getTx(txid: string): StoredTx | undefined {
    return this.txById.get(txid);
  }

  txHeight(txid: string): number | undefined {
    if (this.mempool.has(txid)) return 0;
    return this.txPos.get(txid)?.height;
  }

  // ---------- indexes ----------

  private prevOutput(txid: string, vout: number): { script: Uint8Array; value: number } | undefined {
    const o = this.txById.get(txid)?.tx.outs[vout];
    return o ? { script: o.script, value: Number(o.value) } : undefined;
  }

  /** Script hashes a transaction touches: its outputs' and the outputs its inputs spend. */
  touched(t: StoredTx): Set<string> {
    const out = new Set<string>();
    for (const o of t.tx.outs) if (scriptType(o.script) !== 'op_return') out.add(scriptHashOfScript(o.script));
    if (!t.tx.isCoinbase()) {
      for (const i of t.tx.ins) {
        const p = this.prevOutput(hashToHex(i.hash), i.index);
        if (p) out.add(scriptHashOfScript(p.script));
      }
    }
    return out;
  }

  private connect(block: Block): void {
    block.txs.forEach((t, pos) => {
      this.txById.set(t.txid, t);
      this.txPos.set(t.txid, { height: block.height, pos });
      for (const sh of this.touched(t)) {
        let h = this.shHistory.get(sh);
        if (!h) this.shHistory.set(sh, (h = []));
        h.push({ txid: t.txid, height: block.height, pos });
      }
      if (!t.tx.isCoinbase()) for (const i of t.tx.ins) this.utxo.delete(key(hashToHex(i.hash), i.index));
      t.tx.outs.forEach((o, vout) => {
        if (scriptType(o.script) === 'op_return') return;
        this.utxo.set(key(t.txid, vout), {
          txid: t.txid, vout, value: Number(o.value), script: o.script, height: block.height, coinbase: t.tx.isCoinbase(),
        });
      });
    });
  }

  private rebuildIndexes(): void {
    this.txById.clear();
    this.txPos.clear();
    this.utxo.clear();
    this.shHistory.clear();
    for (const b of this.blocks) this.connect(b);
  }

  private addMempoolIndex(e: MempoolEntry): void {
    this.mempool.set(e.t.txid, e);
    this.txById.set(e.t.txid, e.t);
    for (const i of e.t.tx.ins) this.mempoolSpends.set(key(hashToHex(i.hash), i.index), e.t.txid);
    for (const sh of e.shs) {
      let s = this.mempoolSh.get(sh);
      if (!s) this.mempoolSh.set(sh, (s = new Set()));
      s.add(e.t.txid);
      this.touchedSinceEmit.add(sh);
    }
  }

  private removeMempool(txid: string): void {
    const e = this.mempool.get(txid);
    if (!e) return;
    for (const sh of e.shs) {
      const s = this.mempoolSh.get(sh);
      s?.delete(txid);
      if (s && s.size === 0) this.mempoolSh.delete(sh);
      this.touchedSinceEmit.add(sh);
    }
    for (const i of e.t.tx.ins) {
      const k = key(hashToHex(i.hash), i.index);
      if (this.mempoolSpends.get(k) === txid) this.mempoolSpends.delete(k);
    }
    this.mempool.delete(txid);
    if (!this.txPos.has(txid)) this.txById.delete(txid);
  }

  /** The txids and all their mempool descendants. */
  mempoolDescendants(txids: Iterable<string>): Set<string> {
    const out = new Set<string>();
    const queue = [...txids];
    while (queue.length) {
      const id = queue.pop()!;
      if (out.has(id)) continue;
      out.add(id);
      const t = this.mempool.get(id)?.t ?? this.txById.get(id);
      if (!t) continue;
      t.tx.outs.forEach((_, vout) => {
        const child = this.mempoolSpends.get(key(id, vout));
        if (child) queue.push(child);
      });
    }
    return out;
  }

  // ---------- Electrum views ----------

  /** History in the canonical order; `maxHeight` hides later blocks (a lagging server sees them as mempool). */
  history(sh: string, maxHeight = Infinity): HistoryItem[] {
    const items: (HistoryItem & { pos?: number })[] = [];
    const late: StoredTx[] = [];
    for (const h of this.shHistory.get(sh) ?? []) {
      if (h.height <= maxHeight) items.push({ tx_hash: h.txid, height: h.height, pos: h.pos });
      else late.push(this.txById.get(h.txid)!);
    }
    const unconfirmedInput = (t: StoredTx): boolean =>
      t.tx.ins.some((i) => {
        const id = hashToHex(i.hash);
        if (this.mempool.has(id)) return true;
        const p = this.txPos.get(id);
        return p !== undefined && p.height > maxHeight;
      });
    for (const t of late) {
      if (t.tx.isCoinbase()) continue; // a lagging server has not seen the block's coinbase at all
      items.push({ tx_hash: t.txid, height: unconfirmedInput(t) ? -1 : 0, fee: this.feeOf(t) });
    }
    for (const id of this.mempoolSh.get(sh) ?? []) {
      const e = this.mempool.get(id)!;
      items.push({ tx_hash: id, height: unconfirmedInput(e.t) ? -1 : 0, fee: e.fee });
    }
    return sortHistory(items).map((i) => (i.height > 0 ? { tx_hash: i.tx_hash, height: i.height } : { tx_hash: i.tx_hash, height: i.height, fee: i.fee ?? 0 }));
  }

  status(sh: string, maxHeight = Infinity): string | null {
    return electrumStatus(this.history(sh, maxHeight));
  }

  private feeOf(t: StoredTx): number {
    let inSum = 0;
    for (const i of t.tx.ins) inSum += this.prevOutput(hashToHex(i.hash), i.index)?.value ?? 0;
    return inSum - t.tx.outs.reduce((n, o) => n + Number(o.value), 0);
  }

  /** Confirmed UTXOs of a script hash plus unconfirmed outputs; outputs spent in the mempool excluded. */
  listUnspent(sh: string): { tx_hash: string; tx_pos: number; height: number; value: number }[] {
    const out: { tx_hash: string; tx_pos: number; height: number; value: number }[] = [];
    const seen = new Set<string>();
    for (const h of this.shHistory.get(sh) ?? []) {
      if (seen.has(h.txid)) continue;
      seen.add(h.txid);
      this.txById.get(h.txid)!.tx.outs.forEach((o, vout) => {
        const c = this.utxo.get(key(h.txid, vout));
        if (c && scriptHashOfScript(o.script) === sh && !this.mempoolSpends.has(key(h.txid, vout))) {
          out.push({ tx_hash: h.txid, tx_pos: vout, height: c.height, value: c.value });
        }
      });
    }
    for (const id of this.mempoolSh.get(sh) ?? []) {
      this.mempool.get(id)!.t.tx.outs.forEach((o, vout) => {
        if (scriptHashOfScript(o.script) === sh && !this.mempoolSpends.has(key(id, vout))) {
          out.push({ tx_hash: id, tx_pos: vout, height: 0, value: Number(o.value) });
        }
      });
    }
    return out;
  }

  balance(sh: string): { confirmed: number; unconfirmed: number } {
    let confirmed = 0;
    const seen = new Set<string>();
    for (const h of this.shHistory.get(sh) ?? []) {
      if (seen.has(h.txid)) continue;
      seen.add(h.txid);
      this.txById.get(h.txid)!.tx.outs.forEach((o, vout) => {
        const c = this.utxo.get(key(h.txid, vout));
        if (c && scriptHashOfScript(o.script) === sh) confirmed += c.value;
      });
    }
    let unconfirmed = 0;
    for (const id of this.mempoolSh.get(sh) ?? []) {
      const t = this.mempool.get(id)!.t;
      for (const o of t.tx.outs) if (scriptHashOfScript(o.script) === sh) unconfirmed += Number(o.value);
      for (const i of t.tx.ins) {
        const p = this.prevOutput(hashToHex(i.hash), i.index);
        if (p && scriptHashOfScript(p.script) === sh) unconfirmed -= p.value;
      }
    }
    return { confirmed, unconfirmed };
  }

  mempoolOf(sh: string): HistoryItem[] {
    return this.history(sh).filter((h) => h.height <= 0);
  }

  merkleProof(txid: string, height: number): { block_height: number; merkle: string[]; pos: number } | null {
    const b = this.blocks[height];
    if (!b) return null;
    const pos = b.txs.findIndex((t) => t.txid === txid);
    if (pos < 0) return null;
    return { block_height: height, merkle: merkleBranch(b.txs.map((t) => t.txid), pos), pos };
  }

  /** Coins paying `script` that can be spent now (mature, not spent in the mempool); confirmed first. */
  spendable(script: Uint8Array): Coin[] {
    const sh = scriptHashOfScript(script);
    const next = this.height + 1;
    const coins: Coin[] = [];
    for (const u of this.listUnspent(sh)) {
      const c = u.height > 0 ? this.utxo.get(key(u.tx_hash, u.tx_pos))! : null;
      if (c) {
        if (c.coinbase && next - c.height < COINBASE_MATURITY) continue;
        coins.push(c);
      } else {
        coins.push({ txid: u.tx_hash, vout: u.tx_pos, value: u.value, script, height: 0, coinbase: false });
      }
    }
    return coins.sort((a, b) => (a.height === 0) === (b.height === 0) ? b.value - a.value : a.height === 0 ? 1 : -1);
  }

  feeHistogram(): [number, number][] {
    const byRate = new Map<number, number>();
    for (const e of this.mempool.values()) {
      const r = Math.floor(e.feeRate);
      byRate.set(r, (byRate.get(r) ?? 0) + e.t.vsize);
    }
    return [...byRate.entries()].sort((a, b) => b[0] - a[0]);
  }

  // ---------- mempool acceptance ----------

  /** Validate and add to the mempool, or throw RejectError and change nothing. */
  accept(hex: string, opts: AcceptOptions = STRICT): MempoolEntry {
    const e = this.check(parseTx(hex), opts);
    this.emit({ tipChanged: false });
    return e;
  }

  private check(t: StoredTx, opts: AcceptOptions): MempoolEntry {
    const tx = t.tx;
    if (tx.ins.length === 0) throw new RejectError('bad-txns-vin-empty');
    if (tx.outs.length === 0) throw new RejectError('bad-txns-vout-empty');
    if (tx.isCoinbase()) throw new RejectError('coinbase');
    if (this.mempool.has(t.txid)) throw new RejectError('txn-already-in-mempool');
    if (this.txPos.has(t.txid)) throw new RejectError('txn-already-known');
    let outSum = 0;
    for (const o of tx.outs) {
      const v = Number(o.value);
      if (v < 0 || v > 21e14) throw new RejectError('bad-txns-vout-toolarge');
      outSum += v;
      if (outSum > 21e14) throw new RejectError('bad-txns-txouttotal-toolarge');
    }
    const seen = new Set<string>();
    for (const i of tx.ins) {
      const k = key(hashToHex(i.hash), i.index);
      if (seen.has(k)) throw new RejectError('bad-txns-inputs-duplicate');
      seen.add(k);
    }
    if (tx.locktime !== 0 && !isFinalSequence(tx)) {
      const final = tx.locktime < 500_000_000 ? tx.locktime < this.height + 1 : tx.locktime < this.tip.time;
      if (!final) throw new RejectError('non-final');
    }
    // inputs
    const prevScripts: Uint8Array[] = [];
    const values: bigint[] = [];
    const conflicts = new Set<string>();
    const parents = new Set<string>();
    let inSum = 0;
    for (const i of tx.ins) {
      const id = hashToHex(i.hash);
      const k = key(id, i.index);
      let script: Uint8Array;
      let value: number;
      const c = this.utxo.get(k);
      if (c) {
        if (c.coinbase && this.height + 1 - c.height < COINBASE_MATURITY) {
          throw new RejectError('bad-txns-premature-spend-of-coinbase');
        }
        script = c.script;
        value = c.value;
      } else {
        const m = this.mempool.get(id);
        const o = m?.t.tx.outs[i.index];
        if (!m || !o || scriptType(o.script) === 'op_return') throw new RejectError('bad-txns-inputs-missingorspent');
        script = o.script;
        value = Number(o.value);
        parents.add(id);
      }
      const spender = this.mempoolSpends.get(k);
      if (spender) conflicts.add(spender);
      prevScripts.push(script);
      values.push(BigInt(value));
      inSum += value;
    }
    if (inSum < outSum) throw new RejectError(`bad-txns-in-belowout, value in (${btc(inSum)}) < value out (${btc(outSum)})`);
    const fee = inSum - outSum;
    if (opts.policy) {
      for (const o of tx.outs) if (Number(o.value) < dustThreshold(o.script)) throw new RejectError('dust');
      if (fee < t.vsize * MIN_RELAY_SAT_PER_VB) throw new RejectError(`min relay fee not met, ${fee} < ${t.vsize * MIN_RELAY_SAT_PER_VB}`);
    }
    let evicted = new Set<string>();
    if (conflicts.size > 0) {
      if (opts.replace === 'none') throw new RejectError('txn-mempool-conflict');
      if (opts.replace === 'bip125') for (const c of conflicts) if (!this.mempool.get(c)!.rbf) throw new RejectError('txn-mempool-conflict');
      evicted = this.mempoolDescendants(conflicts);
      for (const p of parents) if (evicted.has(p)) throw new RejectError(`bad-txns-spends-conflicting-tx, ${t.txid} spends conflicting transaction ${p}`);
      let evictedFees = 0;
      for (const id of evicted) evictedFees += this.mempool.get(id)!.fee;
      for (const c of conflicts) {
        const old = this.mempool.get(c)!;
        if (fee / t.vsize <= old.feeRate) {
          throw new RejectError(`insufficient fee, rejecting replacement ${t.txid}; new feerate ${btc(Math.floor((fee * 1000) / t.vsize))} <= old feerate ${btc(Math.floor(old.feeRate * 1000))}`);
        }
      }
      if (fee < evictedFees) throw new RejectError(`insufficient fee, rejecting replacement ${t.txid}, less fees than conflicting txs; ${btc(fee)} < ${btc(evictedFees)}`);
      const relay = t.vsize * MIN_RELAY_SAT_PER_VB;
      if (fee - evictedFees < relay) throw new RejectError(`insufficient fee, rejecting replacement ${t.txid}, not enough additional fees to relay; ${btc(fee - evictedFees)} < ${btc(relay)}`);
    }
    if (opts.checkScripts) for (let n = 0; n < tx.ins.length; n++) verifyInput(tx, n, prevScripts, values);
    // every check passed: now change state
    for (const id of evicted) this.removeMempool(id);
    const entry: MempoolEntry = { t, fee, feeRate: fee / t.vsize, time: this.now(), rbf: signalsRbf(tx), parents, shs: new Set() };
    this.txById.set(t.txid, t);
    entry.shs = this.touched(t);
    this.addMempoolIndex(entry);
    return entry;
  }

  /** Replace mempool txs: used by the sandbox's /double-spend (full-RBF like a miner would accept). */
  acceptReplacement(hex: string): MempoolEntry {
    return this.accept(hex, { checkScripts: true, policy: true, replace: 'force' });
  }

  /** Remove mempool transactions and their descendants. */
  evict(txids: Iterable<string>): string[] {
    const gone = [...this.mempoolDescendants([...txids].filter((id) => this.mempool.has(id)))];
    for (const id of gone) this.removeMempool(id);
    if (gone.length) this.emit({ tipChanged: false });
    return gone;
  }

  // ---------- mining ----------

  /** Mempool txs in fee-rate order, each after its mempool parents. */
  private template(): StoredTx[] {
    const left = new Map(this.mempool);
    const out: StoredTx[] = [];
    while (left.size) {
      let best: MempoolEntry | null = null;
      for (const e of left.values()) {
        if ([...e.parents].some((p) => left.has(p))) continue;
        if (!best || e.feeRate > best.feeRate) best = e;
      }
      if (!best) break;
      left.delete(best.t.txid);
      out.push(best.t);
    }
    return out;
  }

  private buildBlock(txs: StoredTx[], payTo: Uint8Array): Block {
    const height = this.height + 1;
    let fees = 0;
    for (const t of txs) fees += this.mempool.get(t.txid)?.fee ?? this.feeOf(t);
    const segwit = txs.some((t) => t.tx.hasWitnesses());
    let witnessRoot: Uint8Array | null = null;
    if (segwit) {
      const wtxids = [new Uint8Array(32), ...txs.map((t) => t.tx.getHash(true))].map((h) => hashToHex(h));
      witnessRoot = hexToHash(merkleRoot(wtxids));
    }
    const coinbase = stored(buildCoinbase(height, payTo, subsidy(height) + fees, randomBytes(8), witnessRoot));
    const all = [coinbase, ...txs];
    const prev = this.tip;
    const time = Math.max(prev.time + 1, Math.floor(this.now() / 1000));
    const fields = { version: 0x20000000, prevHash: prev.hash, merkleRoot: merkleRoot(all.map((t) => t.txid)), time, bits: REGTEST_BITS, nonce: 0 };
    const bytes = serializeHeader(fields);
    const view = new DataView(bytes.buffer, bytes.byteOffset, 80);
    const target = bitsToTarget(REGTEST_BITS);
    for (let nonce = 0; ; nonce++) {
      view.setUint32(76, nonce, true);
      const hash = hashToHex(sha256d(bytes));
      if (BigInt('0x' + hash) <= target) return { height, hash, headerHex: bytesToHex(bytes), time, txs: all };
    }
  }

  /** Mine `n` blocks (the first takes the mempool) paying the coinbase to `payTo` (default: the miner script). */
  mine(n: number, payTo?: Uint8Array): Block[] {
    const mined: Block[] = [];
    for (let k = 0; k < n; k++) {
      const txs = this.template();
      const b = this.buildBlock(txs, payTo ?? this.minerScript);
      this.blocks.push(b);
      this.connect(b);
      for (const t of txs) this.removeMempool(t.txid);
      mined.push(b);
    }
    this.emit({ tipChanged: true });
    return mined;
  }

  /**
   * Replace the last `depth` blocks with as many new blocks holding none of their transactions. Those go back to
   * the mempool (block order first, then the old mempool), except `drop` and whatever no longer fits.
   */
  reorg(depth: number, drop: string[] = [], blocks = depth): { height: number; returned: string[]; dropped: string[] } {
    if (!Number.isSafeInteger(depth) || depth < 1 || depth > this.height) throw new Error(`depth must be 1..${this.height}`);
    const removed = this.blocks.splice(this.blocks.length - depth, depth);
    const candidates = [...removed.flatMap((b) => b.txs.filter((t) => !t.tx.isCoinbase())), ...[...this.mempool.values()].map((e) => e.t)];
    this.mempool.clear();
    this.mempoolSpends.clear();
    this.mempoolSh.clear();
    this.rebuildIndexes();
    for (let k = 0; k < blocks; k++) {
      const b = this.buildBlock([], this.minerScript);
      this.blocks.push(b);
      this.connect(b);
    }
    const dropSet = new Set(drop);
    const returned: string[] = [];
    const dropped: string[] = [];
    const failed = new Set<string>();
    for (const t of candidates) {
      const spendsDropped = t.tx.ins.some((i) => failed.has(hashToHex(i.hash)));
      if (dropSet.has(t.txid) || spendsDropped) {
        failed.add(t.txid);
        dropped.push(t.txid);
        continue;
      }
      try {
        this.check(t, READD);
        returned.push(t.txid);
      } catch {
        failed.add(t.txid);
        dropped.push(t.txid);
      }
    }
    this.emit({ tipChanged: true });
    return { height: this.height, returned, dropped };
  }

  // ---------- persistence ----------

  snapshot(): { blocks: { header: string; txs: string[] }[]; mempool: string[] } {
    return {
      blocks: this.blocks.slice(1).map((b) => ({ header: b.headerHex, txs: b.txs.map((t) => t.hex) })),
      mempool: [...this.mempool.values()].map((e) => e.t.hex),
    };
  }

  /** Load a snapshot (blocks are trusted: they were mined here; their links are checked). */
  restore(s: { blocks: { header: string; txs: string[] }[]; mempool: string[] }): void {
    this.blocks = [this.blocks[0]!];
    for (const raw of s.blocks) {
      const h = parseHeader(raw.header);
      if (h.prevHash !== this.tip.hash) throw new Error(`stored block ${this.blocks.length} does not link to its parent`);
      const txs = raw.txs.map((x) => stored(Transaction.fromHex(x), x));
      this.blocks.push({ height: this.blocks.length, hash: h.hash, headerHex: raw.header, time: h.time, txs });
    }
    this.mempool.clear();
    this.mempoolSpends.clear();
    this.mempoolSh.clear();
    this.rebuildIndexes();
    for (const x of s.mempool) {
      try {
        this.check(parseTx(x), READD);
      } catch {
        // a stored mempool tx that no longer fits is dropped, as a restarted node would
      }
    }
  }

  headerHex(height: number): string | undefined {
    return this.blocks[height]?.headerHex;
  }
}

export { hexToBytes };
