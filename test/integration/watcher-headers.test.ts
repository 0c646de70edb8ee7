/**
 * The header rules the watcher enforces (pure checks; the sandbox tests cover them end to end).
 */
import { describe, expect, it } from 'vitest';
import { bitsToTarget, parseHeader, REGTEST_GENESIS_HEADER, serializeHeaderHex } from '../../src/core/chain/index.ts';
import {
  CHAIN_PARAMS,
  HeaderCheckError,
  anchorHeight,
  checkHeader,
  expectedBits,
  retargetBits,
  targetToBits,
  type StoredHeader,
} from '../../src/node/watcher/index.ts';

const genesis: StoredHeader = { ...parseHeader(REGTEST_GENESIS_HEADER), height: 0, hex: REGTEST_GENESIS_HEADER };

function mineOn(prev: StoredHeader, bits = 0x207fffff, time = prev.time + 600): string {
  for (let nonce = 0; ; nonce++) {
    const hex = serializeHeaderHex({ version: 0x20000000, prevHash: prev.hash, merkleRoot: '11'.repeat(32), time, bits, nonce });
    const h = parseHeader(hex);
    if (BigInt('0x' + h.hash) <= bitsToTarget(bits)) return hex;
  }
}

function failingPow(prev: StoredHeader): string {
  for (let nonce = 0; ; nonce++) {
    const hex = serializeHeaderHex({ version: 0x20000000, prevHash: prev.hash, merkleRoot: '22'.repeat(32), time: prev.time + 600, bits: 0x207fffff, nonce });
    if (BigInt('0x' + parseHeader(hex).hash) > bitsToTarget(0x207fffff)) return hex;
  }
}

describe('watcher header checks', () => {
  it('compact bits round-trip (GetCompact)', () => {
    for (const b of [0x1d00ffff, 0x1b0404cb, 0x207fffff, 0x1e0377ae, 0x170331db]) expect(targetToBits(bitsToTarget(b))).toBe(b);
  });

  it('retargets like Bitcoin Core: proportional, clamped to 4x, capped at the pow limit', () => {
    const p = CHAIN_PARAMS.mainnet;
    const first = { ...genesis, time: 1_000_000, bits: 0x1d00ffff };
    const at = (span: number, bits = 0x1d00ffff) => retargetBits(p, first, { ...first, time: first.time + span, bits });
    expect(at(14 * 86400)).toBe(0x1d00ffff);
    expect(at(7 * 86400)).toBe(0x1c7fff80); // half the target
    expect(at(86400)).toBe(targetToBits(bitsToTarget(0x1d00ffff) / 4n)); // clamped at 4x harder
    expect(at(70 * 86400)).toBe(0x1d00ffff); // easier, but never above the pow limit
    expect(at(28 * 86400, 0x1c7fff80)).toBe(0x1d00ffff);
  });

  it('requires constant bits inside a period, the retarget at boundaries, and testnet min-difficulty after 20 min', () => {
    const p = CHAIN_PARAMS.mainnet;
    const prev: StoredHeader = { ...genesis, height: 4031, bits: 0x1b0404cb, time: 2_000_000 };
    const hdr = { ...prev, time: prev.time + 600 };
    expect(expectedBits(p, 4032 - 1, hdr, { ...prev, height: 4030 }, () => undefined)).toBe(0x1b0404cb);
    const first: StoredHeader = { ...prev, height: 2016, time: prev.time - 14 * 86400 };
    expect(expectedBits(p, 4032, hdr, prev, (h) => (h === 2016 ? first : undefined))).toBe(0x1b0404cb);
    expect(expectedBits(p, 4032, hdr, prev, () => undefined)).toBeNull(); // below our anchor: cannot tell
    const t = CHAIN_PARAMS.testnet;
    expect(expectedBits(t, 4031, { ...hdr, time: prev.time + 1201 }, { ...prev, height: 4030 }, () => undefined)).toBe(0x1d00ffff);
    const minDiff: StoredHeader = { ...prev, height: 4030, bits: 0x1d00ffff };
    const real: StoredHeader = { ...prev, height: 4029 };
    expect(expectedBits(t, 4031, hdr, minDiff, (h) => (h === 4029 ? real : undefined))).toBe(0x1b0404cb);
    expect(expectedBits(CHAIN_PARAMS.regtest, 4032, hdr, prev, () => undefined)).toBe(0x207fffff);
  });

  it('accepts a linked regtest header with the right bits and work; refuses bad links, bits and work', () => {
    const p = CHAIN_PARAMS.regtest;
    const none = () => undefined;
    const h1 = checkHeader(p, 1, mineOn(genesis), genesis, none);
    expect(h1.prevHash).toBe(genesis.hash);
    const h2 = checkHeader(p, 2, mineOn(h1), h1, none);
    expect(() => checkHeader(p, 2, mineOn(genesis), h1, none)).toThrow(/does not link to our header 1/);
    expect(() => checkHeader(p, 2, mineOn(h1, 0x2100ffff), h1, none)).toThrow(HeaderCheckError);
    expect(() => checkHeader(p, 2, mineOn(h1, 0x2100ffff), h1, none)).toThrow(/network requires 0x207fffff/);
    expect(() => checkHeader(p, 2, failingPow(h1), h1, none)).toThrow(/does not meet the target/);
    expect(() => checkHeader(p, 3, 'zz', h2, none)).toThrow(/does not parse/);
  });

  it('anchors at genesis on regtest and at a retarget boundary at least 100 blocks deep elsewhere', () => {
    expect(anchorHeight('regtest', 5000)).toBe(0);
    expect(anchorHeight('mainnet', 870_000)).toBe(Math.floor((870_000 - 100) / 2016) * 2016);
    expect(anchorHeight('mainnet', 870_000) % 2016).toBe(0);
    expect(870_000 - anchorHeight('mainnet', 870_000)).toBeGreaterThanOrEqual(100);
  });
});
