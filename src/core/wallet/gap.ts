/**
 * The wallet gap alert (docs/spec/wallet.md#the-gap): a wallet restored from the key stops looking after its gap
 * limit (20 in most wallets), so the merchant is told when the gap first reaches 20, then 50, 100, 200, 500, 1,000,
 * 2,000, 5,000, … — once per crossing, however many invoices it takes, and again only after a payment closed the
 * gap and it climbed back. Not every tenth invoice: a shop with many abandoned carts would get thousands.
 */

export const GAP_WARNING_AT = 20;

/** The highest threshold at or below `gap` (0 below 20). The thresholds: 20, then 50, 100, 200, 500, 1,000, … */
export function gapThresholdAtOrBelow(gap: number): number {
  if (gap < GAP_WARNING_AT) return 0;
  let t = GAP_WARNING_AT;
  // 1-2-5 steps from 50 on: 50 → 100 → 200 → 500 → 1,000 …
  for (let next = 50; next <= gap; next = String(next)[0] === '2' ? (next * 5) / 2 : next * 2) t = next;
  return t;
}

/**
 * The threshold the gap crossed going up from `before` to `now` (the highest one if it crossed several), or null.
 * Going down crosses nothing: it re-arms the thresholds above.
 */
export function gapCrossed(before: number, now: number): number | null {
  const t = gapThresholdAtOrBelow(now);
  return t > 0 && t > before ? t : null;
}
