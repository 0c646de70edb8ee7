/**
 * Public child key derivation (BIP32 CKDpub) for the receive branch, the step every new invoice takes. bip32's
 * `derive` decompresses the parent key and checks every point on each call (constant-time multiplication included,
 * which public data does not need): about 1.5 ms per address, most of what creating an invoice cost. Here the
 * parent's point is decoded once per branch and the tweak is multiplied through a table of every byte value times
 * each power 256^w of the base point (32 additions, none of the constant-time padding public data does not need;
 * built once, about 8,000 points); the result is the same key (test/unit/wallet-derive.test.ts compares it with bip32 over the published
 * vectors and random keys). The rare indexes BIP32 declares invalid go to bip32, which says so.
 */
import type { BIP32Interface } from 'bip32';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';

const Point = secp256k1.Point;
const N = Point.CURVE().n;
const parents = new WeakMap<BIP32Interface, InstanceType<typeof Point>>();

function toBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

type P = InstanceType<typeof Point>;
/** byteTimesBase[w][b − 1] = b · 256^w · G, for the 32 bytes of a scalar. */
let byteTimesBase: P[][] | null = null;

function baseTable(): P[][] {
  if (byteTimesBase) return byteTimesBase;
  const rows: P[][] = [];
  let base: P = Point.BASE;
  for (let w = 0; w < 32; w++) {
    const row: P[] = [base];
    for (let b = 2; b < 256; b++) row.push(row[b - 2]!.add(base));
    rows.push(row);
    base = row[254]!.add(base); // 256 · 256^w · G
  }
  return (byteTimesBase = rows);
}

/** `big-endian bytes` · G (not constant-time: the tweak of a public derivation is public). */
function mulBase(bytes: Uint8Array): P {
  const t = baseTable();
  let acc: P = Point.ZERO;
  for (let w = 0; w < 32; w++) {
    const b = bytes[31 - w]!;
    if (b) acc = acc.add(t[w]![b - 1]!);
  }
  return acc;
}

/** The compressed public key of child `index` (not hardened) of `node`: `node.derive(index).publicKey`, faster. */
export function childPublicKey(node: BIP32Interface, index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index >= 0x80000000) return node.derive(index).publicKey;
  let parent = parents.get(node);
  if (!parent) {
    parent = Point.fromBytes(node.publicKey);
    parents.set(node, parent);
  }
  const data = new Uint8Array(37);
  data.set(node.publicKey, 0);
  new DataView(data.buffer).setUint32(33, index);
  const il = hmac(sha512, node.chainCode, data).subarray(0, 32);
  const tweak = toBigInt(il);
  if (tweak === 0n || tweak >= N) return node.derive(index).publicKey; // BIP32: invalid, bip32 throws as it should
  const child = mulBase(il).add(parent);
  if (child.equals(Point.ZERO)) return node.derive(index).publicKey;
  return child.toBytes(true);
}
