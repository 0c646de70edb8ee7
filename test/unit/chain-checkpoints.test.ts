/**
 * The shipped checkpoints (src/core/chain/checkpoints-data.ts): every number recomputed from its source where the
 * source is vendored here, and cross-checked against Bitcoin Core's published chain work.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import electrumMainnet from '../fixtures/electrum-checkpoints-mainnet.json' with { type: 'json' };
import { bitsToTarget, REGTEST_GENESIS_HASH, REGTEST_GENESIS_HEADER } from '../../src/core/chain/index.ts';
import { anchorContext, anchorRange, checkpointFor, refuseShortChain, type Checkpoint } from '../../src/core/chain/checkpoints.ts';
import { CHAIN_RULES, HeaderRuleError, headerWork, requiredBits, targetToBits, verifyHeaders } from '../../src/core/chain/work.ts';
import { cheapRules, hexOf, mineChain } from '../helpers/chain-gen.ts';

/** Electrum's file: entry i = [hash of header 2016·(i+1) − 1, target of the period that starts after it]. */
const periods = electrumMainnet as unknown as [string, number | bigint][];
const target = (i: number): bigint => (i === 0 ? bitsToTarget(0x1d00ffff) : BigInt(periods[i - 1]![1]));
/** Cumulative work through `height`, from the per-period targets (exact on mainnet). */
function mainnetChainwork(height: number): bigint {
  const full = Math.floor((height + 1) / 2016);
  let sum = 0n;
  for (let p = 0; p < full; p++) sum += 2016n * headerWork(targetToBits(target(p)));
  return sum + BigInt((height + 1) % 2016) * headerWork(targetToBits(target(full)));
}

describe('the mainnet checkpoint', () => {
  it('every period target in the file is exactly a compact value, so reading it through a JS number loses nothing', () => {
    // The JSON import turns 54-digit targets into doubles; the file's digits, read exactly, are what bits encode.
    const text = fs.readFileSync(new URL('../fixtures/electrum-checkpoints-mainnet.json', import.meta.url), 'utf8');
    const exact = [...text.matchAll(/"([0-9a-f]{64})",\s*(\d+)\s*\]/g)].map((m) => BigInt(m[2]!));
    expect(exact).toHaveLength(periods.length);
    exact.forEach((t, i) => {
      expect(bitsToTarget(targetToBits(t))).toBe(t);
      expect(targetToBits(BigInt(periods[i]![1]))).toBe(targetToBits(t));
    });
  });

  it('hash, bits, next bits and chainwork are the last period of Electrum’s checkpoints', () => {
    const cp = checkpointFor('mainnet');
    expect(cp.height).toBe(periods.length * 2016 - 1);
    expect(cp.hash).toBe(periods[periods.length - 1]![0]);
    expect(cp.bits).toBe(targetToBits(target(periods.length - 1)));
    expect(cp.nextBits).toBe(targetToBits(target(periods.length)));
    expect(cp.chainwork).toBe(mainnetChainwork(cp.height));
    expect(cp.chainworkExact).toBe(true);
  });

  it.each([
    [824_000, 0x63c4ebd298db40af57541800n, 'Bitcoin Core v27 nMinimumChainWork (defaultAssumeValid 824000)'],
    [912_683, 0xdee8e2a309ad8a9820433c68n, 'Bitcoin Core v30 nMinimumChainWork (defaultAssumeValid 912683)'],
    [0, 0x100010001n, 'genesis alone'],
  ])('the same computation reproduces the chainwork at %i (%s)', (height, published) => {
    expect(mainnetChainwork(height)).toBe(published);
  });
});

describe('lower bounds for testnet, testnet4 and signet', () => {
  const pow = (chain: 'testnet' | 'testnet4' | 'signet') => headerWork(CHAIN_RULES[chain].powLimitBits);
  it.each([
    ['testnet', 4_550_000, 0x16dd270dd94fac1d7632n],
    ['testnet4', 91_000, 0x34a4690fe592dc49c7cn],
    ['signet', 267_665, 0x67d328e681an],
  ] as const)('%s: Core v30 nMinimumChainWork at %i plus a pow-limit header for each header above it', (chain, height, published) => {
    const cp = checkpointFor(chain);
    expect(cp.chainworkExact).toBe(false);
    expect(cp.chainwork).toBe(published + BigInt(cp.height - height) * pow(chain));
  });

  it.each([
    ['testnet', 2_550_000, 0xc59b14e264ba6c15db9n, 4_550_000, 0x16dd270dd94fac1d7632n],
    ['signet', 180_000, 0x206e86f08e8n, 267_665, 0x67d328e681an],
  ] as const)('%s: the method never overshoots — from Core v27’s figure it stays below v30’s', (chain, h27, w27, h30, w30) => {
    expect(w27 + BigInt(h30 - h27) * pow(chain)).toBeLessThanOrEqual(w30);
  });
});

describe('anchoring', () => {
  it('every checkpoint is the last header of a difficulty period, or genesis', () => {
    for (const chain of ['mainnet', 'testnet', 'testnet4', 'signet', 'regtest'] as const) {
      const cp = checkpointFor(chain);
      expect(cp.height === 0 || (cp.height + 1) % 2016 === 0).toBe(true);
      expect(anchorRange(cp).start + anchorRange(cp).count - 1).toBe(cp.height);
    }
    expect(checkpointFor('regtest').hash).toBe(REGTEST_GENESIS_HASH);
  });

  it('regtest anchors on the real genesis header and refuses any other', () => {
    const ctx = anchorContext(checkpointFor('regtest'), REGTEST_GENESIS_HEADER);
    expect(ctx).toMatchObject({ height: 0, hash: REGTEST_GENESIS_HASH, chainwork: 2n, bits: 0x207fffff });
    const other = REGTEST_GENESIS_HEADER.slice(0, 152) + '03000000';
    expect(() => anchorContext(checkpointFor('regtest'), other)).toThrow(/checkpoint says/);
  });

  // A checkpoint of our own over a mined chain with mainnet's retargeting at regtest difficulty.
  const rules = cheapRules(CHAIN_RULES.mainnet);
  const g = anchorContext({ ...checkpointFor('regtest'), chain: 'mainnet' }, REGTEST_GENESIS_HEADER, rules);
  const chain = mineChain(rules, g, 2016 * 2 - 1, { spacing: 300 });
  const run = chain.headers.slice(2016 - 1); // headers 2016..4031
  const cp: Checkpoint = {
    chain: 'mainnet', height: 4031, hash: chain.ctx.hash, bits: chain.ctx.bits, nextBits: requiredBits(rules, chain.ctx, chain.ctx.time),
    chainwork: chain.ctx.chainwork, chainworkExact: true, genesis: REGTEST_GENESIS_HASH, source: 'test',
  };

  it('the period that ends at a checkpoint gives the context to verify the next period, retarget included', () => {
    const ctx = anchorContext(cp, hexOf(run), rules);
    expect(ctx).toMatchObject({ height: 4031, hash: cp.hash, chainwork: cp.chainwork });
    expect(ctx.periodFirst.time).toBe(run[0]!.time);
    const next = mineChain(rules, chain.ctx, 3, { spacing: 300 });
    expect(next.headers[0]!.bits).toBe(cp.nextBits);
    const v = verifyHeaders(rules, ctx, hexOf(next.headers), next.ctx.time);
    expect(v.ctx.hash).toBe(next.ctx.hash);
    expect(v.ctx.chainwork).toBe(next.ctx.chainwork);
  });

  it('refuses a run that does not reach the checkpoint, has a broken link, is short, or disagrees with the recorded bits', () => {
    const hex = hexOf(run);
    const swapped = hexOf([...run.slice(0, 10), run[11]!, run[10]!, ...run.slice(12)]);
    expect(() => anchorContext(cp, swapped, rules)).toThrow(HeaderRuleError);
    expect(() => anchorContext(cp, hex.slice(160), rules)).toThrow(/needs headers 2016–4031/);
    expect(() => anchorContext({ ...cp, hash: g.hash }, hex, rules)).toThrow(/checkpoint says/);
    expect(() => anchorContext({ ...cp, nextBits: 0x207fffff }, hex, rules)).toThrow(/retargets to/);
    expect(() => anchorContext({ ...cp, bits: 0x1d00ffff }, hex, rules)).toThrow(/records 0x1d00ffff/);
  });

  it.each([
    ['mainnet', 1, true],
    ['mainnet', 953_566, true],
    ['mainnet', 953_567, false],
    ['mainnet', 2_000_000_000, false],
    ['signet', 0, true],
    ['regtest', 0, false],
    ['regtest', -1, true],
  ] as const)('%s: a claimed tip of %i is refused at once: %s', (chain, height, refused) => {
    expect(refuseShortChain(checkpointFor(chain), height) !== null).toBe(refused);
  });
});
