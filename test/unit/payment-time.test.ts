import { describe, expect, it } from 'vitest';
import { paymentTime, type FirstSight } from '../../src/core/payment-time.ts';

const T = 1_700_000_000_000;

describe('paymentTime', () => {
  const cases: [string, FirstSight, number][] = [
    ['first seen in the mempool: when Satdesk saw it', { seenAt: T, height: 0, blockTime: null, liveFromHeight: 100 }, T],
    ['in the mempool while catching up: still when seen', { seenAt: T, height: 0, blockTime: null, liveFromHeight: null }, T],
    ['first seen mined in a block that came while watching: when seen, not the block time', { seenAt: T, height: 101, blockTime: T - 3_600_000, liveFromHeight: 101 }, T],
    ['first seen mined in a block from before watching: the block time', { seenAt: T, height: 99, blockTime: T - 3_600_000, liveFromHeight: 101 }, T - 3_600_000],
    ['mined while not watching at all (catching up): the block time', { seenAt: T, height: 120, blockTime: T - 60_000, liveFromHeight: null }, T - 60_000],
    ['a block time in the future never makes it later than when seen', { seenAt: T, height: 99, blockTime: T + 7_200_000, liveFromHeight: 101 }, T],
    ['mined but no block time known: when seen', { seenAt: T, height: 99, blockTime: null, liveFromHeight: 101 }, T],
  ];
  it.each(cases)('%s', (_name, sight, want) => {
    expect(paymentTime(sight)).toBe(want);
  });
});
