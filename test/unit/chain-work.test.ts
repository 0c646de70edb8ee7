/**
 * The header rules of src/core/chain/work.ts against real headers (test/fixtures/chain-headers.json, provenance in
 * test/fixtures/README.md) and constructed cases for what real vectors cannot show cheaply (testnet's 20-minute
 * rule, BIP94, the time limits).
 */
import { describe, expect, it } from 'vitest';
import fx from '../fixtures/chain-headers.json' with { type: 'json' };
import { bitsToTarget, parseHeader } from '../../src/core/chain/index.ts';
import {
  CHAIN_RULES,
  HeaderRuleError,
  MAX_FUTURE_BLOCK_TIME,
  advance,
  headerWork,
  medianTimePast,
  requiredBits,
  retargetBits,
  targetToBits,
  verifyHeader,
  verifyHeaders,
  type HeaderContext,
} from '../../src/core/chain/work.ts';
import { anchorContext, checkpointFor } from '../../src/core/chain/checkpoints.ts';
import { cheapRules, hexOf, mineChain, mineHeader } from '../helpers/chain-gen.ts';

const mainnet = CHAIN_RULES.mainnet;

function ruleOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof HeaderRuleError) return e.rule;
    throw e;
  }
  return 'passed';
}

/** The context right after a real header, with the period's first header known. */
function contextAt(hex: string, height: number, first: { time: number; bits: number }, times?: number[]): HeaderContext {
  const h = parseHeader(hex);
  return { height, hash: h.hash, time: h.time, bits: h.bits, chainwork: 0n, recentTimes: times ?? [h.time], periodFirst: first, lastRealBits: h.bits };
}

describe('work and compact bits', () => {
  it('a header proves 2^256 / (target + 1): genesis bits 0x100010001, regtest 2, invalid bits nothing', () => {
    expect(headerWork(0x1d00ffff)).toBe(0x100010001n);
    expect(headerWork(0x207fffff)).toBe(2n);
    expect(headerWork(0x04923456)).toBe(0n); // negative
    expect(headerWork(0)).toBe(0n);
  });

  it('compact bits round-trip (GetCompact)', () => {
    for (const b of [0x1d00ffff, 0x1b0404cb, 0x207fffff, 0x1e0377ae, 0x170331db, 0x18018d30]) expect(targetToBits(bitsToTarget(b))).toBe(b);
  });

  it.each(fx.coreRetargets.valid)('Core pow_tests: $description', (c) => {
    expect(retargetBits(mainnet, { time: c.firstTime, bits: c.lastBits }, { time: c.lastTime, bits: c.lastBits })).toBe(c.expect);
  });
});

describe('real mainnet headers across retarget boundaries', () => {
  for (const run of fx.mainnetHeaders.runs) {
    it(`${run.description}: accepted with the retargeted bits, refused with the old ones`, () => {
      const first = 'first' in run && run.first ? parseHeader(run.first.hex) : { time: run.firstTime!, bits: run.firstBits! };
      if ('first' in run && run.first) expect(parseHeader(run.first.hex).hash).toBe(run.first.hash);
      const [last, ...rest] = run.headers;
      const ctx = contextAt(last!.hex, last!.height, { time: first.time, bits: first.bits });
      expect(requiredBits(mainnet, ctx, ctx.time + 600)).toBe(run.retargetBits);
      const now = parseHeader(rest[rest.length - 1]!.hex).time + 60;
      const r = verifyHeaders(mainnet, ctx, hexOf(rest), now);
      expect(r.headers.map((h) => [h.height, h.hash])).toEqual(rest.map((h) => [h.height, h.hash]));
      expect(r.ctx.chainwork).toBe(BigInt(rest.length) * headerWork(run.retargetBits));
      // A lying server that keeps the previous period's (easier) bits at the boundary is refused even with real PoW.
      const oldBits = rest[0]!.hex.slice(0, 144) + last!.hex.slice(144, 152) + rest[0]!.hex.slice(152);
      expect(parseHeader(oldBits).bits).toBe(ctx.bits);
      expect(ruleOf(() => verifyHeader(mainnet, ctx, oldBits, now))).toBe('bits');
    });
  }

  it('a real header with one bit of its nonce changed fails the proof of work; a real one on the wrong parent fails the link', () => {
    const run = fx.mainnetHeaders.runs[0]!;
    const [h32255, h32256] = run.headers;
    const ctx = contextAt(h32255!.hex, 32255, { time: run.firstTime!, bits: run.firstBits! });
    const now = 1_262_160_000;
    const tampered = h32256!.hex.slice(0, 152) + ((parseInt(h32256!.hex.slice(152, 154), 16) ^ 1).toString(16).padStart(2, '0')) + h32256!.hex.slice(154);
    expect(ruleOf(() => verifyHeader(mainnet, ctx, tampered, now))).toBe('pow');
    expect(ruleOf(() => verifyHeader(mainnet, ctx, run.headers[2]!.hex, now))).toBe('link');
    expect(ruleOf(() => verifyHeader(mainnet, ctx, 'zz'.repeat(80), now))).toBe('parse');
    expect(ruleOf(() => verifyHeaders(mainnet, ctx, h32256!.hex.slice(2), now))).toBe('parse');
  });
});

describe('time rules', () => {
  it('median time past is the upper median of the last 11 times', () => {
    expect(medianTimePast([5])).toBe(5);
    expect(medianTimePast([1, 2])).toBe(2);
    expect(medianTimePast([3, 1, 2])).toBe(2);
    expect(medianTimePast([100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])).toBe(6); // only the last 11 count
  });

  const rules = CHAIN_RULES.regtest;
  const genesis = anchorContext(checkpointFor('regtest'), [
    '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f2002000000',
  ]);
  const base = mineChain(rules, genesis, 11, { spacing: 600 }).ctx;
  const now = base.time + 3600;

  it('a header not after the median of the 11 before it is refused; one second later it passes', () => {
    const mtp = medianTimePast(base.recentTimes);
    const at = mineHeader(rules, base, { time: mtp }).header;
    expect(ruleOf(() => verifyHeader(rules, base, at.hex, now))).toBe('time-too-old');
    const after = mineHeader(rules, base, { time: mtp + 1 }).header;
    expect(ruleOf(() => verifyHeader(rules, base, after.hex, now))).toBe('passed');
  });

  it('a header more than 2 hours ahead of our clock is refused; exactly 2 hours passes', () => {
    const edge = mineHeader(rules, base, { time: now + MAX_FUTURE_BLOCK_TIME }).header;
    expect(ruleOf(() => verifyHeader(rules, base, edge.hex, now))).toBe('passed');
    const ahead = mineHeader(rules, base, { time: now + MAX_FUTURE_BLOCK_TIME + 1 }).header;
    expect(ruleOf(() => verifyHeader(rules, base, ahead.hex, now))).toBe('time-too-new');
  });

  it('regtest bits never change and the pow must meet them', () => {
    expect(ruleOf(() => verifyHeader(rules, base, mineHeader(rules, base, { bits: 0x2100ffff }).header.hex, now))).toBe('bits');
    expect(ruleOf(() => verifyHeader(rules, base, mineHeader(rules, base, { failPow: true }).header.hex, now))).toBe('pow');
  });
});

describe('testnet: the 20-minute rule and the retarget quirks', () => {
  const real = 0x1c05a3f4;
  const ctx: HeaderContext = { height: 4020, hash: '00'.repeat(32), time: 4_000_000, bits: real, chainwork: 0n, recentTimes: [4_000_000], periodFirst: { time: 4_000_000 - 28 * 86400, bits: real }, lastRealBits: real };

  it.each([
    ['testnet: > 20 min after the parent → the pow limit', 'testnet', 1201, 0x1d00ffff],
    ['testnet: exactly 20 min → the period bits', 'testnet', 1200, real],
    ['testnet4: > 20 min → the pow limit', 'testnet4', 1201, 0x1d00ffff],
    ['mainnet: no exception', 'mainnet', 7200, real],
    ['signet: no exception', 'signet', 7200, real],
    ['regtest: always the pow limit', 'regtest', 600, 0x207fffff],
  ] as const)('%s', (_name, chain, dt, want) => {
    expect(requiredBits(CHAIN_RULES[chain], ctx, ctx.time + dt)).toBe(want);
  });

  it('after a minimum-difficulty header, the next normal one carries the last real bits, not the pow limit', () => {
    const t = CHAIN_RULES.testnet;
    const minDiff = advance(t, ctx, { ...parseHeader('00'.repeat(80)), height: 4021, hash: '11'.repeat(32), time: ctx.time + 1300, bits: 0x1d00ffff, hex: '' });
    expect(minDiff.lastRealBits).toBe(real);
    expect(requiredBits(t, minDiff, minDiff.time + 60)).toBe(real);
  });

  it('testnet3 retargets from the last header (a minimum-difficulty last header drags the period to the limit); testnet4 from the first', () => {
    const last: HeaderContext = { ...ctx, height: 4031, bits: 0x1d00ffff };
    expect(requiredBits(CHAIN_RULES.testnet, last, last.time + 60)).toBe(0x1d00ffff);
    expect(requiredBits(CHAIN_RULES.testnet4, last, last.time + 60)).toBe(retargetBits(CHAIN_RULES.mainnet, last.periodFirst, { time: last.time, bits: real }));
  });

  it('testnet rules end to end at regtest difficulty: min-difficulty headers, the real bits after them, a retarget, BIP94 timewarp', () => {
    for (const chain of ['testnet', 'testnet4'] as const) {
      const rules = cheapRules(CHAIN_RULES[chain]);
      const g = anchorContext({ ...checkpointFor('regtest'), chain }, [
        '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f2002000000',
      ], rules);
      // a harder period first: a boundary after a fast period
      let c = mineChain(rules, g, 2015, { spacing: 150 }).ctx;
      c = mineHeader(rules, c, { spacing: 150 }).ctx;
      const hard = c.bits;
      expect(hard).not.toBe(0x207fffff);
      const slow = mineHeader(rules, c, { spacing: 1201 });
      expect(slow.header.bits).toBe(0x207fffff);
      expect(ruleOf(() => verifyHeader(rules, c, slow.header.hex, slow.header.time))).toBe('passed');
      const back = mineHeader(rules, slow.ctx, { spacing: 60 });
      expect(back.header.bits).toBe(hard);
      expect(ruleOf(() => verifyHeader(rules, slow.ctx, mineHeader(rules, slow.ctx, { spacing: 60, bits: 0x207fffff }).header.hex, slow.ctx.time + 60))).toBe('bits');
      c = mineChain(rules, back.ctx, 2016 - 3, { spacing: 600 }).ctx;
      expect((c.height + 1) % 2016).toBe(0);
      const early = mineHeader(rules, c, { time: c.time - 601 });
      expect(ruleOf(() => verifyHeader(rules, { ...c, recentTimes: [c.time - 5000] }, early.header.hex, c.time))).toBe(chain === 'testnet4' ? 'timewarp' : 'passed');
    }
  });
});

describe('the Electrum regtest header tree', () => {
  const t = fx.regtestTree.headers as Record<string, { height: number; hex: string }>;
  const rules = CHAIN_RULES.regtest;
  const now = parseHeader(t.Z!.hex).time + 60;
  const g = anchorContext(checkpointFor('regtest'), [t.A!.hex]);

  it('the main branch A..U verifies from the shipped regtest checkpoint; chainwork is 2 per header', () => {
    const main = 'BCDEFOPQRSTU'.split('').map((k) => t[k]!.hex).join('');
    const r = verifyHeaders(rules, g, main, now);
    expect(r.ctx.height).toBe(12);
    expect(r.ctx.chainwork).toBe(26n);
  });

  it('a fork verifies on its own parent and fails the link on any other', () => {
    const upToF = verifyHeaders(rules, g, 'BCDEF'.split('').map((k) => t[k]!.hex).join(''), now).ctx;
    expect(verifyHeaders(rules, upToF, 'GHIJKL'.split('').map((k) => t[k]!.hex).join(''), now).ctx.height).toBe(11);
    const upToO = verifyHeader(rules, upToF, t.O!.hex, now).ctx;
    expect(ruleOf(() => verifyHeader(rules, upToO, t.H!.hex, now))).toBe('link');
  });
});
