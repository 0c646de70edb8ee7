import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { hashToHex, hexToHash, sha256d } from './bytes.ts';
import { GENESIS_HASHES } from '../network.ts';

/** The regtest genesis block header (docs/electrum.md#regtest), 80 bytes hex. */
export const REGTEST_GENESIS_HEADER =
  '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f2002000000';
export const REGTEST_GENESIS_HASH = GENESIS_HASHES.regtest;
/** Regtest never retargets: every header carries these bits. */
export const REGTEST_BITS = 0x207fffff;

export interface BlockHeader {
  version: number;
  /** display hex */
  prevHash: string;
  /** display hex */
  merkleRoot: string;
  /** seconds since the epoch (as in the header) */
  time: number;
  bits: number;
  nonce: number;
  /** display hex of this header's hash */
  hash: string;
}

function toBytes(header: string | Uint8Array): Uint8Array {
  const b = typeof header === 'string' ? (/^[0-9a-fA-F]*$/.test(header) ? hexToBytes(header) : new Uint8Array(0)) : header;
  if (b.length !== 80) throw new Error(`a block header is 80 bytes, got ${typeof header === 'string' ? header.length / 2 : b.length}`);
  return b;
}

/** Display-hex hash of an 80-byte header. */
export function headerHash(header: string | Uint8Array): string {
  return hashToHex(sha256d(toBytes(header)));
}

export function parseHeader(header: string | Uint8Array): BlockHeader {
  const b = toBytes(header);
  const v = new DataView(b.buffer, b.byteOffset, 80);
  return {
    version: v.getInt32(0, true),
    prevHash: hashToHex(b.subarray(4, 36)),
    merkleRoot: hashToHex(b.subarray(36, 68)),
    time: v.getUint32(68, true),
    bits: v.getUint32(72, true),
    nonce: v.getUint32(76, true),
    hash: hashToHex(sha256d(b)),
  };
}

/** 80 bytes of a header (the `hash` field, if present, is ignored). */
export function serializeHeader(h: Omit<BlockHeader, 'hash'>): Uint8Array {
  const b = new Uint8Array(80);
  const v = new DataView(b.buffer);
  v.setInt32(0, h.version, true);
  b.set(hexToHash(h.prevHash), 4);
  b.set(hexToHash(h.merkleRoot), 36);
  v.setUint32(68, h.time, true);
  v.setUint32(72, h.bits, true);
  v.setUint32(76, h.nonce, true);
  return b;
}

export function serializeHeaderHex(h: Omit<BlockHeader, 'hash'>): string {
  return bytesToHex(serializeHeader(h));
}

/** The target encoded by compact `bits`; throws on a negative or overflowing encoding (as bitcoind rejects them). */
export function bitsToTarget(bits: number): bigint {
  const exponent = bits >>> 24;
  const mantissa = bits & 0x007fffff;
  if (bits & 0x00800000 && mantissa !== 0) throw new Error(`negative target bits 0x${bits.toString(16)}`);
  const target =
    exponent <= 3 ? BigInt(mantissa) >> BigInt(8 * (3 - exponent)) : BigInt(mantissa) << BigInt(8 * (exponent - 3));
  if (target >= 1n << 256n) throw new Error(`target overflow bits 0x${bits.toString(16)}`);
  return target;
}

/** True when the header's hash, as a number, is at most the target of its bits (and the target is non-zero). */
export function checkProofOfWork(header: string | Uint8Array | BlockHeader, powLimitBits?: number): boolean {
  const h = typeof header === 'string' || header instanceof Uint8Array ? parseHeader(header) : header;
  let target: bigint;
  try {
    target = bitsToTarget(h.bits);
  } catch {
    return false;
  }
  if (target === 0n) return false;
  if (powLimitBits !== undefined && target > bitsToTarget(powLimitBits)) return false;
  return BigInt('0x' + h.hash) <= target;
}
