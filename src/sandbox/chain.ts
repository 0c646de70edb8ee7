import { Transaction } from 'bitcoinjs-lib';
import { randomBytes } from 'node:crypto';
import { REGTEST_BITS, bitsToTarget, hashToHex, merkleRoot, parseHeader, serializeHeader, sha256d } from '../core/chain/index.ts';
import { bytesToHex, hexToBytes, hexToHash } from '../core/chain/bytes.ts';
import { parseTx, stored, type AcceptOptions, type Block, type MempoolEntry, type StoredTx } from './chain-index.ts';
import { ChainViews } from './chain-views.ts';
import { COINBASE_MATURITY, MIN_RELAY_SAT_PER_VB, RejectError, btc, buildCoinbase, dustThreshold, isFinalSequence, scriptType, signalsRbf, subsidy, verifyInput } from './tx.ts';

export * from './chain-index.ts';

const STRICT: AcceptOptions = { checkScripts: true, policy: true, replace: 'bip125' };
const READD: AcceptOptions = { checkScripts: false, policy: false, replace: 'none' };
const key = (txid: string, vout: number): string => `${txid}:${vout}`;

/**
 * The sandbox's node: mempool acceptance with BIP125 replacement, mining at regtest difficulty, reorgs (also to a
 * shorter chain) and persistence, over the indexes of chain-index.ts. All state changes are synchronous; listeners
 * hear about them after.
 */
export class SandboxChain extends ChainViews {
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
