import { Transaction } from 'bitcoinjs-lib';
import { REGTEST_GENESIS_HEADER, hashToHex, parseHeader, scriptHashOfScript } from '../core/chain/index.ts';
import { RejectError, scriptType } from './tx.ts';

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


const key = (txid: string, vout: number): string => `${txid}:${vout}`;

export function stored(tx: Transaction, hex?: string): StoredTx {
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
 * The sandbox node's state and indexes: blocks from the regtest genesis, the UTXO set, the mempool and the
 * script-hash indexes an Electrum server needs. Mutations (acceptance, mining, reorgs) are in chain.ts; the Electrum
 * views in chain-views.ts.
 */
export class ChainIndex {
  blocks: Block[] = [];
  protected txById = new Map<string, StoredTx>();
  protected txPos = new Map<string, { height: number; pos: number }>();
  protected utxo = new Map<string, Coin>();
  protected shHistory = new Map<string, { txid: string; height: number; pos: number }[]>();
  mempool = new Map<string, MempoolEntry>();
  protected mempoolSpends = new Map<string, string>();
  protected mempoolSh = new Map<string, Set<string>>();
  protected listeners: ((e: ChainEvent) => void)[] = [];
  /** Default payout script for mined coinbases (the sandbox wallet). */
  minerScript: Uint8Array;
  protected now: () => number;

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
  protected touchedSinceEmit = new Set<string>();

  protected emit(e: ChainEvent): void {
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

  protected prevOutput(txid: string, vout: number): { script: Uint8Array; value: number } | undefined {
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

  protected connect(block: Block): void {
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

  protected rebuildIndexes(): void {
    this.txById.clear();
    this.txPos.clear();
    this.utxo.clear();
    this.shHistory.clear();
    for (const b of this.blocks) this.connect(b);
  }

  protected addMempoolIndex(e: MempoolEntry): void {
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

  protected removeMempool(txid: string): void {
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

}
