import { describe, expect, it } from 'vitest';
import { gapCrossed, gapThresholdAtOrBelow } from '../../src/core/wallet/gap.ts';

describe('wallet gap alert thresholds (docs/spec/wallet.md#the-gap)', () => {
  it('are 20, then 50, 100, 200, 500, 1,000 … in 1-2-5 steps', () => {
    const table: [number, number][] = [
      [0, 0], [19, 0], [20, 20], [49, 20], [50, 50], [99, 50], [100, 100], [199, 100], [200, 200], [499, 200],
      [500, 500], [999, 500], [1_000, 1_000], [2_000, 2_000], [5_000, 5_000], [77_000, 50_000], [1_000_000, 1_000_000],
    ];
    for (const [gap, t] of table) expect(gapThresholdAtOrBelow(gap), `gap ${gap}`).toBe(t);
  });

  it('fire once per crossing going up, never going down or staying above', () => {
    expect(gapCrossed(19, 20)).toBe(20);
    expect(gapCrossed(20, 21)).toBeNull();
    expect(gapCrossed(21, 29)).toBeNull();
    expect(gapCrossed(29, 30)).toBeNull(); // not every tenth invoice
    expect(gapCrossed(49, 50)).toBe(50);
    expect(gapCrossed(60, 0)).toBeNull();
    expect(gapCrossed(0, 20)).toBe(20); // a jump (a payment left the chain) crosses too
    expect(gapCrossed(5, 140)).toBe(100); // the highest threshold crossed, once
    expect(gapCrossed(140, 141)).toBeNull();
  });

  it('a gap climbing one invoice at a time to 77,000 alerts 11 times, not 7,700', () => {
    let alerts = 0;
    for (let g = 1; g <= 77_000; g++) if (gapCrossed(g - 1, g) !== null) alerts++;
    expect(alerts).toBe(11); // 20, 50, 100, 200, 500, 1k, 2k, 5k, 10k, 20k, 50k
  });
});
