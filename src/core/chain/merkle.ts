import { concatBytes } from '@noble/hashes/utils.js';
import { hashToHex, hexToHash, sha256d } from './bytes.ts';

/**
 * Fold an Electrum merkle branch (`blockchain.transaction.get_merkle`): at each level, the position bit says whether
 * the running hash is the right (1) or left (0) child. Returns the root in display hex.
 */
export function merkleRootFromProof(txid: string, branch: readonly string[], pos: number): string {
  if (!Number.isSafeInteger(pos) || pos < 0) throw new Error(`bad merkle position: ${pos}`);
  if (branch.length > 32 || (branch.length < 32 && pos >= 2 ** branch.length)) {
    throw new Error(`merkle position ${pos} out of range for a branch of ${branch.length}`);
  }
  let h = hexToHash(txid);
  let p = pos;
  for (const sibling of branch) {
    const s = hexToHash(sibling);
    h = p % 2 === 1 ? sha256d(concatBytes(s, h)) : sha256d(concatBytes(h, s));
    p = Math.floor(p / 2);
  }
  return hashToHex(h);
}

function nextLevel(level: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) {
    const l = level[i]!;
    const r = level[i + 1] ?? l; // Bitcoin duplicates the last hash of an odd level
    out.push(sha256d(concatBytes(l, r)));
  }
  return out;
}

/** Merkle root (display hex) of a block's txids (display hex, block order). */
export function merkleRoot(txids: readonly string[]): string {
  if (txids.length === 0) throw new Error('merkle root of no transactions');
  let level = txids.map(hexToHash);
  while (level.length > 1) level = nextLevel(level);
  return hashToHex(level[0]!);
}

/** The Electrum merkle branch (display hex, deepest first) for the txid at `index`; `[]` for a lone coinbase. */
export function merkleBranch(txids: readonly string[], index: number): string[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= txids.length) {
    throw new Error(`merkle index ${index} out of range 0..${txids.length - 1}`);
  }
  const branch: string[] = [];
  let level = txids.map(hexToHash);
  let i = index;
  while (level.length > 1) {
    const sibling = i % 2 === 1 ? level[i - 1]! : (level[i + 1] ?? level[i]!);
    branch.push(hashToHex(sibling));
    level = nextLevel(level);
    i = Math.floor(i / 2);
  }
  return branch;
}
