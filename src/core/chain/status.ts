import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * One history entry as Electrum sends it. `height` > 0 confirmed, 0 mempool with all inputs confirmed,
 * -1 mempool with an unconfirmed input. `pos` (position in the block) is not on the wire; a server knows it and
 * uses it to order entries of one block.
 */
export interface HistoryEntry {
  tx_hash: string;
  height: number;
  fee?: number;
  pos?: number;
}

/**
 * The canonical order (protocol-basics "Status"): confirmed by height then block position, then mempool entries
 * height 0 before -1, each group by txid hex. Confirmed entries without `pos` keep their given order (stable sort),
 * which is what a client recomputing a server's status needs.
 */
export function sortHistory<T extends HistoryEntry>(history: readonly T[]): T[] {
  const indexed = history.map((e, i) => ({ e, i }));
  indexed.sort((a, b) => {
    const ca = a.e.height > 0;
    const cb = b.e.height > 0;
    if (ca && cb) {
      if (a.e.height !== b.e.height) return a.e.height - b.e.height;
      if (a.e.pos !== undefined && b.e.pos !== undefined && a.e.pos !== b.e.pos) return a.e.pos - b.e.pos;
      return a.i - b.i;
    }
    if (ca) return -1;
    if (cb) return 1;
    if (a.e.height !== b.e.height) return b.e.height - a.e.height; // 0 before -1
    if (a.e.tx_hash !== b.e.tx_hash) return a.e.tx_hash < b.e.tx_hash ? -1 : 1;
    return a.i - b.i;
  });
  return indexed.map((x) => x.e);
}

/**
 * The Electrum status of a history, in the order given (servers and clients hash the order get_history returns):
 * hex sha256 of "txid:height:" concatenated, or null for an empty history.
 */
export function electrumStatus(history: readonly { tx_hash: string; height: number }[]): string | null {
  if (history.length === 0) return null;
  let s = '';
  for (const e of history) s += `${e.tx_hash}:${e.height}:`;
  return bytesToHex(sha256(utf8ToBytes(s)));
}
