/**
 * Mines header chains for tests and benches: real 80-byte headers with real proof of work at whatever bits the
 * rules require (cheap at regtest difficulty), so the header rules check them exactly as they check a server's.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { bitsToTarget, hashToHex, parseHeader, serializeHeader, sha256d } from '../../src/core/chain/index.ts';
import { advance, requiredBits, type ChainRules, type HeaderContext, type VerifiedHeader } from '../../src/core/chain/work.ts';

export interface MineOptions {
  /** seconds between headers (default 600) */
  spacing?: number;
  /** override the bits (to make a header break the rules) */
  bits?: number;
  /** override the time of the next header */
  time?: number;
  /** merkle root (display hex); default derived from the height */
  merkleRoot?: string;
  /** find a nonce that FAILS the target instead */
  failPow?: boolean;
}

/** Mines one header on top of `ctx`; returns it and the context after it. */
export function mineHeader(rules: ChainRules, ctx: HeaderContext, opts: MineOptions = {}): { header: VerifiedHeader; ctx: HeaderContext } {
  const height = ctx.height + 1;
  const time = opts.time ?? ctx.time + (opts.spacing ?? 600);
  const bits = opts.bits ?? requiredBits(rules, ctx, time);
  const merkleRoot = opts.merkleRoot ?? height.toString(16).padStart(64, '0');
  const bytes = serializeHeader({ version: 0x20000000, prevHash: ctx.hash, merkleRoot, time, bits, nonce: 0 });
  const view = new DataView(bytes.buffer, bytes.byteOffset, 80);
  const target = bitsToTarget(bits);
  for (let nonce = 0; ; nonce++) {
    view.setUint32(76, nonce, true);
    const hash = hashToHex(sha256d(bytes));
    const meets = BigInt('0x' + hash) <= target;
    if (meets !== Boolean(opts.failPow)) {
      const header: VerifiedHeader = { ...parseHeader(bytes), height, hex: bytesToHex(bytes) };
      return { header, ctx: advance(rules, ctx, header) };
    }
  }
}

/** Mines `n` headers on top of `ctx` with the rules' bits. */
export function mineChain(rules: ChainRules, ctx: HeaderContext, n: number, opts: MineOptions = {}): { headers: VerifiedHeader[]; ctx: HeaderContext } {
  const headers: VerifiedHeader[] = [];
  let c = ctx;
  for (let i = 0; i < n; i++) {
    const r = mineHeader(rules, c, { spacing: opts.spacing, merkleRoot: opts.merkleRoot });
    headers.push(r.header);
    c = r.ctx;
  }
  return { headers, ctx: c };
}

/** Rules of `base` (retargeting, testnet exceptions, BIP94) at regtest's pow limit, so chains can be mined in tests. */
export function cheapRules(base: ChainRules): ChainRules {
  return { ...base, powLimit: (1n << 255n) - 1n, powLimitBits: 0x207fffff };
}

export const hexOf = (headers: readonly { hex: string }[]): string => headers.map((h) => h.hex).join('');
