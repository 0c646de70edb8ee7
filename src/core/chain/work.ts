/**
 * Header trust rules, pure: the work a header proves, the difficulty each network requires, and the time rules, as
 * Bitcoin Core applies them to headers (`pow.cpp` GetNextWorkRequired / CalculateNextWorkRequired / GetBlockProof,
 * `validation.cpp` ContextualCheckBlockHeader, `chain.h` GetMedianTimePast). The header-sync room calls
 * `verifyHeaders` page by page: everything the next page needs is the small `HeaderContext` it returns, so memory
 * does not grow with the length of the chain (docs/trust.md, docs/decisions/0031-header-rules-in-core.md).
 *
 * Networks:
 * - mainnet, signet: bits are constant inside a 2016-block period; at a boundary they are the retarget of the
 *   period's first and last headers (timespan clamped to [¼, 4×] two weeks, capped at the pow limit).
 * - testnet (testnet3): as mainnet, plus the 20-minute rule: a header more than 20 minutes after its parent may
 *   carry the pow-limit bits; any other header of the period carries the bits of the last header that was not such
 *   an exception (walking back no further than the period's first header).
 * - testnet4 (BIP94): testnet3's rules, but the retarget starts from the bits of the period's *first* header, and a
 *   period's first header may not be more than 10 minutes older than its parent (the timewarp fix).
 * - regtest: bits are always the pow limit (no retargeting).
 * Every network: a header's time must be above the median of the 11 headers before it, and at most 2 hours ahead of
 * our clock.
 */
import { bitsToTarget, parseHeader, type BlockHeader } from './header.ts';

/** The networks whose header rules Satdesk knows; `testnet` is testnet3. */
export type ChainName = 'mainnet' | 'testnet' | 'testnet4' | 'signet' | 'regtest';

export interface ChainRules {
  chain: ChainName;
  /** Core's `consensus.powLimit` (the easiest target allowed), full 256-bit value. */
  powLimit: bigint;
  /** Compact form of the pow limit: what a minimum-difficulty header carries. */
  powLimitBits: number;
  /** false: `fPowNoRetargeting` (regtest) — bits never change. */
  retarget: boolean;
  /** `fPowAllowMinDifficultyBlocks` with retargeting: testnet3 and testnet4's 20-minute rule. */
  minDifficultyBlocks: boolean;
  /** `enforce_BIP94`: testnet4. */
  bip94: boolean;
}

export const RETARGET_INTERVAL = 2016;
export const TARGET_TIMESPAN = 14 * 24 * 3600;
export const TARGET_SPACING = 600;
/** Core `MAX_FUTURE_BLOCK_TIME`: a header may be at most this far (seconds) ahead of our clock. */
export const MAX_FUTURE_BLOCK_TIME = 2 * 3600;
/** Core `MAX_TIMEWARP` (BIP94): how much older than its parent a period's first header may be (seconds). */
export const MAX_TIMEWARP = 600;
/** Core `CBlockIndex::nMedianTimeSpan`. */
export const MEDIAN_TIME_SPAN = 11;

const limit = (hex: string): bigint => BigInt('0x' + hex.padEnd(64, '0'));

/** From Bitcoin Core `src/kernel/chainparams.cpp` (powLimit, fPowAllowMinDifficultyBlocks, enforce_BIP94, fPowNoRetargeting). */
export const CHAIN_RULES: Record<ChainName, ChainRules> = {
  mainnet: { chain: 'mainnet', powLimit: limit('00000000' + 'f'.repeat(56)), powLimitBits: 0x1d00ffff, retarget: true, minDifficultyBlocks: false, bip94: false },
  testnet: { chain: 'testnet', powLimit: limit('00000000' + 'f'.repeat(56)), powLimitBits: 0x1d00ffff, retarget: true, minDifficultyBlocks: true, bip94: false },
  testnet4: { chain: 'testnet4', powLimit: limit('00000000' + 'f'.repeat(56)), powLimitBits: 0x1d00ffff, retarget: true, minDifficultyBlocks: true, bip94: true },
  signet: { chain: 'signet', powLimit: limit('00000377ae'), powLimitBits: 0x1e0377ae, retarget: true, minDifficultyBlocks: false, bip94: false },
  regtest: { chain: 'regtest', powLimit: limit('7' + 'f'.repeat(63)), powLimitBits: 0x207fffff, retarget: false, minDifficultyBlocks: false, bip94: false },
};

/** Compact encoding of a target (Core `arith_uint256::GetCompact`). */
export function targetToBits(target: bigint): number {
  let size = 0;
  for (let t = target; t > 0n; t >>= 8n) size++;
  let compact = size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number(target >> BigInt(8 * (size - 3)));
  if (compact & 0x00800000) {
    compact >>>= 8;
    size++;
  }
  return (compact | (size << 24)) >>> 0;
}

/** Work a header with these bits proves (Core `GetBlockProof`: 2^256 / (target + 1)); 0 for invalid bits. */
export function headerWork(bits: number): bigint {
  let target: bigint;
  try {
    target = bitsToTarget(bits);
  } catch {
    return 0n;
  }
  if (target === 0n) return 0n;
  return (1n << 256n) / (target + 1n);
}

/** Median of up to the last 11 header times (Core `GetMedianTimePast`: the upper median of what is there). */
export function medianTimePast(times: readonly number[]): number {
  if (times.length === 0) throw new Error('median time past of no headers');
  const last = [...times.slice(-MEDIAN_TIME_SPAN)].sort((a, b) => a - b);
  return last[Math.floor(last.length / 2)]!;
}

/** Bits of the retarget at a boundary, from the period's first and last headers (Core CalculateNextWorkRequired). */
export function retargetBits(rules: ChainRules, first: { time: number; bits: number }, last: { time: number; bits: number }): number {
  let span = last.time - first.time;
  span = Math.min(Math.max(span, TARGET_TIMESPAN / 4), TARGET_TIMESPAN * 4);
  // BIP94: start from the period's first header, which can never be a minimum-difficulty exception.
  let target = (bitsToTarget(rules.bip94 ? first.bits : last.bits) * BigInt(span)) / BigInt(TARGET_TIMESPAN);
  if (target > rules.powLimit) target = rules.powLimit;
  return targetToBits(target);
}

/**
 * What verifying the next header needs to know about the chain so far — and nothing more, so it stays a few
 * hundred bytes whatever the chain's length.
 */
export interface HeaderContext {
  /** Height, hash, time and bits of the last verified header. */
  height: number;
  hash: string;
  time: number;
  bits: number;
  /** Cumulative work through `height` (a lower bound when the anchor's is; see src/core/chain/checkpoints.ts). */
  chainwork: bigint;
  /** Times of the last ≤ 11 headers, oldest first, ending with `time`. */
  recentTimes: number[];
  /** Time and bits of the first header of the current difficulty period (height − height % 2016). */
  periodFirst: { time: number; bits: number };
  /** testnet rules: bits of the last header of this period that was not a minimum-difficulty exception. */
  lastRealBits: number;
}

export type HeaderRule = 'parse' | 'link' | 'bits' | 'pow' | 'time-too-old' | 'time-too-new' | 'timewarp';

/** A header broke a chain rule: the server that sent it is lying or on another chain. */
export class HeaderRuleError extends Error {
  constructor(
    readonly height: number,
    readonly rule: HeaderRule,
    message: string,
  ) {
    super(message);
    this.name = 'HeaderRuleError';
  }
}

/** The bits the network requires of the header after `ctx` with time `time` (Core GetNextWorkRequired). */
export function requiredBits(rules: ChainRules, ctx: HeaderContext, time: number): number {
  if (!rules.retarget) return rules.powLimitBits;
  const height = ctx.height + 1;
  if (height % RETARGET_INTERVAL === 0) return retargetBits(rules, ctx.periodFirst, ctx);
  if (rules.minDifficultyBlocks) {
    if (time > ctx.time + 2 * TARGET_SPACING) return rules.powLimitBits;
    return ctx.lastRealBits;
  }
  return ctx.bits;
}

export interface VerifiedHeader extends BlockHeader {
  height: number;
  /** 80 bytes, lower-case hex */
  hex: string;
}

/** The context after appending a verified header (pure: `ctx` is not changed). */
export function advance(rules: ChainRules, ctx: HeaderContext, h: VerifiedHeader): HeaderContext {
  const boundary = h.height % RETARGET_INTERVAL === 0;
  const recentTimes = ctx.recentTimes.length >= MEDIAN_TIME_SPAN ? ctx.recentTimes.slice(1) : ctx.recentTimes.slice();
  recentTimes.push(h.time);
  return {
    height: h.height,
    hash: h.hash,
    time: h.time,
    bits: h.bits,
    chainwork: ctx.chainwork + headerWork(h.bits),
    recentTimes,
    periodFirst: boundary ? { time: h.time, bits: h.bits } : ctx.periodFirst,
    lastRealBits: boundary || h.bits !== rules.powLimitBits ? h.bits : ctx.lastRealBits,
  };
}

/**
 * Checks `hex` as the header after `ctx` (link, bits, proof of work, median time past, future limit, BIP94
 * timewarp) and returns it with the context that follows. `nowSec`: our clock, seconds since the epoch.
 */
export function verifyHeader(rules: ChainRules, ctx: HeaderContext, hex: string, nowSec: number): { header: VerifiedHeader; ctx: HeaderContext } {
  const height = ctx.height + 1;
  let h: BlockHeader;
  try {
    h = parseHeader(hex);
  } catch (e) {
    throw new HeaderRuleError(height, 'parse', `header ${height} does not parse: ${(e as Error).message}`);
  }
  if (h.prevHash !== ctx.hash) {
    throw new HeaderRuleError(height, 'link', `header ${height} does not link to header ${ctx.height} (${ctx.hash})`);
  }
  const want = requiredBits(rules, ctx, h.time);
  if (h.bits !== want) {
    throw new HeaderRuleError(height, 'bits', `header ${height} has bits 0x${h.bits.toString(16)}, the network requires 0x${want.toString(16)}`);
  }
  const target = bitsToTarget(h.bits);
  if (target === 0n || target > rules.powLimit || BigInt('0x' + h.hash) > target) {
    throw new HeaderRuleError(height, 'pow', `header ${height} (${h.hash}) does not meet the target of its bits`);
  }
  const mtp = medianTimePast(ctx.recentTimes);
  if (h.time <= mtp) {
    throw new HeaderRuleError(height, 'time-too-old', `header ${height} has time ${h.time}, not after the median ${mtp} of the 11 before it`);
  }
  if (h.time > nowSec + MAX_FUTURE_BLOCK_TIME) {
    throw new HeaderRuleError(height, 'time-too-new', `header ${height} has time ${h.time}, more than 2 hours ahead of our clock (${nowSec})`);
  }
  if (rules.bip94 && height % RETARGET_INTERVAL === 0 && h.time < ctx.time - MAX_TIMEWARP) {
    throw new HeaderRuleError(height, 'timewarp', `header ${height} starts a period more than ${MAX_TIMEWARP} s before its parent (BIP94)`);
  }
  const header: VerifiedHeader = { ...h, height, hex: hex.toLowerCase() };
  return { header, ctx: advance(rules, ctx, header) };
}

/**
 * Verifies a page of headers (concatenated 80-byte hex, as `blockchain.block.headers` returns them) on top of
 * `ctx`. Throws HeaderRuleError at the first header that breaks a rule: nothing of a failing page is returned.
 */
export function verifyHeaders(rules: ChainRules, ctx: HeaderContext, hexConcat: string, nowSec: number): { headers: VerifiedHeader[]; ctx: HeaderContext } {
  if (hexConcat.length % 160 !== 0) {
    throw new HeaderRuleError(ctx.height + 1, 'parse', `a page of headers is a multiple of 80 bytes, got ${hexConcat.length / 2}`);
  }
  const headers: VerifiedHeader[] = [];
  let c = ctx;
  for (let i = 0; i < hexConcat.length; i += 160) {
    const r = verifyHeader(rules, c, hexConcat.slice(i, i + 160), nowSec);
    headers.push(r.header);
    c = r.ctx;
  }
  return { headers, ctx: c };
}

/**
 * The context at the last of `run`, headers that end at a trusted hash (a checkpoint, or genesis): each one's hash
 * must be the next one's parent, and the last must hash to `trustedHash`. Such headers need no other check — their
 * hashes commit to them — so the run supplies the retarget and median-time inputs that lie below the anchor.
 * `run` must start at the first header of a difficulty period (or at genesis) so the period's first header is known;
 * `firstHeight` is its height and `chainwork` the cumulative work through the last header of the run.
 */
export function contextFromTrustedRun(
  rules: ChainRules,
  run: readonly string[],
  firstHeight: number,
  trustedHash: string,
  chainwork: bigint,
): HeaderContext {
  if (run.length === 0) throw new Error('a trusted run needs at least one header');
  const headers = run.map((hex, i) => {
    try {
      return parseHeader(hex);
    } catch (e) {
      throw new HeaderRuleError(firstHeight + i, 'parse', `header ${firstHeight + i} does not parse: ${(e as Error).message}`);
    }
  });
  for (let i = 1; i < headers.length; i++) {
    if (headers[i]!.prevHash !== headers[i - 1]!.hash) {
      throw new HeaderRuleError(firstHeight + i, 'link', `header ${firstHeight + i} does not link to header ${firstHeight + i - 1}`);
    }
  }
  const last = headers[headers.length - 1]!;
  const lastHeight = firstHeight + headers.length - 1;
  if (last.hash !== trustedHash) {
    throw new HeaderRuleError(lastHeight, 'link', `header ${lastHeight} hashes to ${last.hash}, the checkpoint says ${trustedHash}`);
  }
  const periodStart = rules.retarget ? lastHeight - (lastHeight % RETARGET_INTERVAL) - firstHeight : 0;
  if (periodStart < 0) throw new Error(`a trusted run must reach back to the first header of its period (${lastHeight - (lastHeight % RETARGET_INTERVAL)})`);
  let lastRealBits = headers[periodStart]!.bits;
  for (let i = periodStart; i < headers.length; i++) if (headers[i]!.bits !== rules.powLimitBits) lastRealBits = headers[i]!.bits;
  return {
    height: lastHeight,
    hash: last.hash,
    time: last.time,
    bits: last.bits,
    chainwork,
    recentTimes: headers.slice(-MEDIAN_TIME_SPAN).map((h) => h.time),
    periodFirst: { time: headers[periodStart]!.time, bits: headers[periodStart]!.bits },
    lastRealBits,
  };
}
