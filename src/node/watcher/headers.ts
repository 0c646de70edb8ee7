/**
 * The watcher's header chain: every header linked by prev hash, carrying the bits the network requires, with a hash
 * that meets its target. Stored in the `headers` table; merkle proofs are checked against it before a payment
 * counts as confirmed.
 *
 * Difficulty rules (Bitcoin Core `GetNextWorkRequired`):
 * - regtest: bits are always 0x207fffff (fPowNoRetargeting).
 * - mainnet, signet: inside a 2016-block period bits equal the previous header's; at a retarget boundary they equal
 *   the retarget computed from the period's first and last headers (timespan clamped to [¼, 4×] two weeks, capped at
 *   the pow limit). The chain starts at an anchor on a retarget boundary (trust on first use, see `anchorHeight`),
 *   so every later boundary can be checked in full.
 * - testnet (testnet3): as mainnet, plus the 20-minute rule: a header more than 20 minutes after its predecessor may
 *   carry the pow-limit bits, and other headers carry the bits of the last header that was not such an exception.
 */
import type { Statement } from 'better-sqlite3';
import {
  bitsToTarget,
  checkProofOfWork,
  parseHeader,
  REGTEST_BITS,
  type BlockHeader,
} from '../../core/chain/index.ts';
import type { NetworkName } from '../../core/network.ts';
import { statementCache, type DB } from '../store/sqlite.ts';

export interface ChainParams {
  powLimitBits: number;
  /** false on regtest: bits never change. */
  retarget: boolean;
  /** testnet3's 20-minute minimum-difficulty rule. */
  minDifficultyBlocks: boolean;
}

export const RETARGET_INTERVAL = 2016;
export const TARGET_TIMESPAN = 14 * 24 * 3600;
const TARGET_SPACING = 600;

export const CHAIN_PARAMS: Record<NetworkName, ChainParams> = {
  mainnet: { powLimitBits: 0x1d00ffff, retarget: true, minDifficultyBlocks: false },
  testnet: { powLimitBits: 0x1d00ffff, retarget: true, minDifficultyBlocks: true },
  signet: { powLimitBits: 0x1e0377ae, retarget: true, minDifficultyBlocks: false },
  regtest: { powLimitBits: REGTEST_BITS, retarget: false, minDifficultyBlocks: false },
};

export interface StoredHeader extends BlockHeader {
  height: number;
  hex: string;
}

/** A header the server sent breaks the chain rules: the server is lying or on another chain. */
export class HeaderCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeaderCheckError';
  }
}

/** Compact encoding of a target (Bitcoin Core `arith_uint256::GetCompact`). */
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

/** Bits of the retarget at a boundary, from the period's first and last headers. */
export function retargetBits(params: ChainParams, first: BlockHeader, last: BlockHeader): number {
  let span = last.time - first.time;
  span = Math.min(Math.max(span, TARGET_TIMESPAN / 4), TARGET_TIMESPAN * 4);
  let target = (bitsToTarget(last.bits) * BigInt(span)) / BigInt(TARGET_TIMESPAN);
  const limit = bitsToTarget(params.powLimitBits);
  if (target > limit) target = limit;
  return targetToBits(target);
}

/**
 * Where a fresh header chain starts: genesis on regtest (the sandbox is short); elsewhere the last retarget
 * boundary at least 100 blocks below the tip (trusted on first use, like any SPV client without built-in
 * checkpoints; every header after it is fully checked).
 */
export function anchorHeight(network: NetworkName, tipHeight: number): number {
  if (network === 'regtest') return 0;
  return Math.max(0, Math.floor((tipHeight - 100) / RETARGET_INTERVAL) * RETARGET_INTERVAL);
}

/**
 * Checks `hex` as the header at `height` on top of `prev`; `lookup` gives earlier headers (for retargets). Throws
 * HeaderCheckError with the reason.
 */
export function checkHeader(
  params: ChainParams,
  height: number,
  hex: string,
  prev: StoredHeader,
  lookup: (height: number) => StoredHeader | undefined,
): StoredHeader {
  let h: BlockHeader;
  try {
    h = parseHeader(hex);
  } catch (e) {
    throw new HeaderCheckError(`header ${height} does not parse: ${(e as Error).message}`);
  }
  if (prev.height !== height - 1) throw new HeaderCheckError(`header ${height} checked against ${prev.height}`);
  if (h.prevHash !== prev.hash) {
    throw new HeaderCheckError(`header ${height} does not link to our header ${prev.height} (${prev.hash})`);
  }
  const want = expectedBits(params, height, h, prev, lookup);
  if (want !== null && h.bits !== want) {
    throw new HeaderCheckError(
      `header ${height} has bits 0x${h.bits.toString(16)}, the network requires 0x${want.toString(16)}`,
    );
  }
  if (!checkProofOfWork(h, params.powLimitBits)) {
    throw new HeaderCheckError(`header ${height} (${h.hash}) does not meet the target of its bits`);
  }
  return { ...h, height, hex: hex.toLowerCase() };
}

/** The bits the network requires at `height`, or null when the headers needed to tell are below our anchor. */
export function expectedBits(
  params: ChainParams,
  height: number,
  header: BlockHeader,
  prev: StoredHeader,
  lookup: (height: number) => StoredHeader | undefined,
): number | null {
  if (!params.retarget) return params.powLimitBits;
  if (height % RETARGET_INTERVAL === 0) {
    const first = lookup(height - RETARGET_INTERVAL);
    if (!first) return null;
    return retargetBits(params, first, prev);
  }
  if (params.minDifficultyBlocks) {
    if (header.time > prev.time + 2 * TARGET_SPACING) return params.powLimitBits;
    // the bits of the last header that was not a minimum-difficulty exception
    let p: StoredHeader | undefined = prev;
    while (p && p.height % RETARGET_INTERVAL !== 0 && p.bits === params.powLimitBits) p = lookup(p.height - 1);
    return p ? p.bits : null;
  }
  return prev.bits;
}

/** The `headers` table. */
export class HeaderStore {
  private readonly sql: (text: string) => Statement<unknown[]>;
  constructor(private readonly db: DB) {
    this.sql = statementCache(db);
  }

  private row(r: { height: number; header: string } | undefined): StoredHeader | undefined {
    return r ? { ...parseHeader(r.header), height: r.height, hex: r.header } : undefined;
  }

  tip(): StoredHeader | undefined {
    return this.row(
      this.sql('SELECT height, header FROM headers ORDER BY height DESC LIMIT 1').get() as
        | { height: number; header: string }
        | undefined,
    );
  }

  lowest(): number | null {
    const r = this.sql('SELECT MIN(height) AS h FROM headers').get() as { h: number | null };
    return r.h;
  }

  get(height: number): StoredHeader | undefined {
    return this.row(
      this.sql('SELECT height, header FROM headers WHERE height = ?').get(height) as
        | { height: number; header: string }
        | undefined,
    );
  }

  /** Inside the caller's transaction. */
  insert(h: StoredHeader): void {
    this.sql('INSERT OR REPLACE INTO headers (height, hash, header) VALUES (?, ?, ?)').run(h.height, h.hash, h.hex);
  }

  /** Inside the caller's transaction. */
  deleteAbove(height: number): void {
    this.sql('DELETE FROM headers WHERE height > ?').run(height);
  }
}
