import { electrumStatus, hashToHex, merkleBranch, scriptHashOfScript, sortHistory } from '../core/chain/index.ts';
import { ChainIndex, type Coin, type HistoryItem, type StoredTx } from './chain-index.ts';
import { COINBASE_MATURITY } from './tx.ts';

const key = (txid: string, vout: number): string => `${txid}:${vout}`;

/** What an Electrum server reads from the sandbox node: histories, statuses, UTXOs, balances, proofs, fees. */
export class ChainViews extends ChainIndex {
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

  protected feeOf(t: StoredTx): number {
    let inSum = 0;
    for (const i of t.tx.ins) inSum += this.prevOutput(hashToHex(i.hash), i.index)?.value ?? 0;
    return inSum - t.tx.outs.reduce((n, o) => n + Number(o.value), 0);
  }

  /** The unspent confirmed outputs paying a script hash (spent or not in the mempool). */
  private confirmedCoins(sh: string): Coin[] {
    const out: Coin[] = [];
    const seen = new Set<string>();
    for (const h of this.shHistory.get(sh) ?? []) {
      if (seen.has(h.txid)) continue;
      seen.add(h.txid);
      this.txById.get(h.txid)!.tx.outs.forEach((o, vout) => {
        const c = this.utxo.get(key(h.txid, vout));
        if (c && scriptHashOfScript(o.script) === sh) out.push(c);
      });
    }
    return out;
  }

  /** Confirmed UTXOs of a script hash plus unconfirmed outputs; outputs spent in the mempool excluded. */
  listUnspent(sh: string): { tx_hash: string; tx_pos: number; height: number; value: number }[] {
    const out: { tx_hash: string; tx_pos: number; height: number; value: number }[] = [];
    for (const c of this.confirmedCoins(sh)) {
      if (!this.mempoolSpends.has(key(c.txid, c.vout))) out.push({ tx_hash: c.txid, tx_pos: c.vout, height: c.height, value: c.value });
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
    for (const c of this.confirmedCoins(sh)) confirmed += c.value;
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

}
