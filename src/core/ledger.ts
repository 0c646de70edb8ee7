/**
 * The books (docs/books.md): the one place where the money of an invoice and of each payment is derived. The API,
 * the exports, the daily report and the console all take these numbers from here, so an accountant who sums a column
 * gets what the screen shows (docs/spec/money.md: each derived number is computed once, in src/core).
 *
 * - A payment is in one of three book states: `counted` (it pays an invoice), `unattributed` (money that reached a
 *   watched address no invoice may count) or `reversed` (its transaction left the address history: replaced,
 *   double-spent, reorged out). Counted and unattributed payments are money the shop holds; reversed ones are not.
 * - Per invoice: due (amount minus tolerance, at least 1 sat), received (every counted payment, mempool included),
 *   confirmed, missing = max(0, due − received), overpaid = max(0, received − amount), refunded, refundable =
 *   max(0, received − refunded) and net = received − refunded.
 * - Confirmations: tip − height + 1, at least 1 once mined in a block whose merkle proof we verified; 0 otherwise.
 * - Fiat value of an amount: sats × rate / 1e8 in the currency's minor units, rounded half up, exact (BigInt).
 */
import { SatdeskError } from './errors.ts';
import { currencyDecimals as counterDecimals, fromUnits, toUnits } from './counter.ts';
import type { BookState } from './vocabulary.ts';

export { BOOK_STATE_MEANING, BOOK_STATES, type BookState } from './vocabulary.ts';

/** A payment's state in the books: `gone` wins, then whether an invoice counts it. */
export function bookState(p: { gone: boolean; invoiceId: string | null }): BookState {
  if (p.gone) return 'reversed';
  return p.invoiceId === null ? 'unattributed' : 'counted';
}

/**
 * Confirmations of a payment at `height` with our verified tip at `tipHeight` (docs/spec/money.md#confirmations):
 * 0 in the mempool or while its block's merkle proof is not verified; else tip − height + 1, never below 1 (a payment
 * in a block we verified is confirmed even when the tip we hold has not caught up with that block yet).
 */
export function confirmations(height: number, tipHeight: number, verified = true): number {
  if (height <= 0 || !verified) return 0;
  return Math.max(1, tipHeight - height + 1);
}

/** tolerance_pct (0..100, at most 2 decimals) → integer basis points; `invalid_request` otherwise. */
export function toleranceBasisPoints(pct: number): number {
  if (typeof pct !== 'number' || !Number.isFinite(pct) || pct < 0 || pct > 100) {
    throw new SatdeskError('invalid_request', 'tolerance_pct must be a number from 0 to 100');
  }
  const bp = Math.round(pct * 100);
  if (Math.abs(bp - pct * 100) > 1e-6) throw new SatdeskError('invalid_request', 'tolerance_pct must have at most 2 decimal places');
  return bp;
}

/** due = amount − floor(amount × bp / 10000), at least 1 sat (integer math; docs/spec/money.md#tolerance-and-due-amount). */
export function dueSats(amountSats: number, tolerancePct: number): number {
  const bp = toleranceBasisPoints(tolerancePct);
  const x = amountSats * bp;
  // Exact in doubles while the product is a safe integer (an export asks per row); BigInt above that.
  const due = Number.isSafeInteger(x)
    ? amountSats - (x - (x % 10000)) / 10000
    : Number(BigInt(amountSats) - (BigInt(amountSats) * BigInt(bp)) / 10000n);
  return Math.max(1, due);
}

export interface Balance {
  dueSats: number;
  /** every counted payment, mempool included (the API's `paid_sats`) */
  receivedSats: number;
  confirmedSats: number;
  missingSats: number;
  overpaidSats: number;
  refundedSats: number;
  /** what a new refund may still take: received − refunded, never below 0 */
  refundableSats: number;
  /** received − refunded: what the invoice leaves in the shop's books (negative only if a reversal followed a refund) */
  netSats: number;
}

/** An invoice's money from its terms and its sums (the sums come from the payments and refunds, see `sumPayments`). */
export function balance(
  terms: { amountSats: number; tolerancePct: number },
  sums: { receivedSats: number; confirmedSats: number; refundedSats: number },
): Balance {
  const due = dueSats(terms.amountSats, terms.tolerancePct);
  const { receivedSats, confirmedSats, refundedSats } = sums;
  return {
    dueSats: due,
    receivedSats,
    confirmedSats,
    missingSats: Math.max(0, due - receivedSats),
    overpaidSats: Math.max(0, receivedSats - terms.amountSats),
    refundedSats,
    refundableSats: Math.max(0, receivedSats - refundedSats),
    netSats: receivedSats - refundedSats,
  };
}

/**
 * A refund is refused (409 `refund_exceeds_received`, with the numbers) on an invoice that received nothing and above
 * what it received minus what was already refunded (docs/spec/invoices.md#refunds).
 */
export function checkRefund(sats: number, b: Pick<Balance, 'receivedSats' | 'refundedSats' | 'refundableSats'>): void {
  if (b.receivedSats === 0) {
    throw new SatdeskError('refund_exceeds_received', 'This invoice received nothing (0 sats): there is nothing to refund.');
  }
  if (sats > b.refundableSats) {
    throw new SatdeskError(
      'refund_exceeds_received',
      `A refund of ${sats} sats is more than this invoice can refund: it received ${b.receivedSats} sats and ` +
        `${b.refundedSats} were already refunded, so at most ${b.refundableSats} sats.`,
    );
  }
}

// ---- fiat ----------------------------------------------------------------------------------------------------------

const DECIMALS_CACHE = new Map<string, number>();

/** Minor-unit digits of a currency (`currencyDecimals` of src/core/counter.ts), remembered: an export asks per row. */
export function currencyDecimals(currency: string): number {
  let d = DECIMALS_CACHE.get(currency);
  if (d === undefined) DECIMALS_CACHE.set(currency, (d = counterDecimals(currency)));
  return d;
}

const RATE_RE = /^(\d{1,15})(?:\.(\d{1,8}))?$/;

/** sats × rate / 1e8 in minor units of `currency`, rounded half up (a rate is fiat units per 1 BTC, docs/spec/money.md#fiat). */
export function fiatMinorUnits(sats: number, rate: string, currency: string): bigint {
  const m = RATE_RE.exec(rate);
  if (!m) throw new SatdeskError('internal', `"${rate.slice(0, 30)}" is not a rate`);
  const frac = m[2] ?? '';
  const rateScaled = BigInt(m[1]! + frac); // rate × 10^frac.length
  const num = BigInt(sats) * rateScaled * 10n ** BigInt(currencyDecimals(currency));
  const den = 100_000_000n * 10n ** BigInt(frac.length);
  const q = num / den;
  return (num % den) * 2n >= den ? q + 1n : q;
}

/** Minor units → a decimal string with the currency's digits: -123n EUR → "-1.23", 1500n JPY → "1500". */
export function formatMinor(minor: bigint, currency: string): string {
  const text = fromUnits(minor < 0n ? -minor : minor, currencyDecimals(currency));
  return minor < 0n ? `-${text}` : text;
}

/**
 * Where a rate in the books came from: the invoice's locked rate, the shop's manual rate (in force since it was set),
 * or the market rate history.
 */
export type RateBasis = 'invoice' | 'manual' | 'history';

/** What the books know of the rate for an amount: a rate and where it came from, or why there is none. */
export type RateFact =
  | { rate: string; currency: string; basis: RateBasis }
  | { rate: null; currency: string; reason: string };

/** A fiat value in the books: the amount in the currency, the rate and its basis; or no amount and the reason. */
export type FiatValue =
  | { currency: string; amount: string; rate: string; basis: RateBasis; reason: null }
  | { currency: string; amount: null; rate: null; basis: null; reason: string };

/** The fiat value of `sats` (negative for money going out, e.g. a refund) at the rate the books found. */
export function fiatValue(sats: number, r: RateFact): FiatValue {
  if (r.rate === null) return { currency: r.currency, amount: null, rate: null, basis: null, reason: r.reason };
  const minor = fiatMinorUnits(Math.abs(sats), r.rate, r.currency);
  return { currency: r.currency, amount: formatMinor(sats < 0 ? -minor : minor, r.currency), rate: r.rate, basis: r.basis, reason: null };
}

/** Sums of fiat amounts per currency, exact to 8 decimals; values without an amount are counted as missing. */
export class FiatSums {
  /** per currency, in units of 10^-8 */
  private readonly units = new Map<string, bigint>();
  private readonly missing = new Map<string, number>();

  add(v: { currency: string; amount: string | null }): void {
    if (!this.units.has(v.currency)) this.units.set(v.currency, 0n);
    if (v.amount === null) {
      this.missing.set(v.currency, (this.missing.get(v.currency) ?? 0) + 1);
      return;
    }
    const neg = v.amount.startsWith('-');
    const u = toUnits(neg ? v.amount.slice(1) : v.amount, 8);
    this.units.set(v.currency, this.units.get(v.currency)! + (neg ? -u : u));
  }

  merge(other: FiatSums): void {
    for (const [c, m] of other.units) this.units.set(c, (this.units.get(c) ?? 0n) + m);
    for (const [c, n] of other.missing) this.missing.set(c, (this.missing.get(c) ?? 0) + n);
  }

  /** One entry per currency, in currency order: the sum (in the currency's digits, more only if a value had more) and how many had no amount. */
  list(): { currency: string; amount: string; missing: number }[] {
    return [...this.units.keys()].sort().map((c) => {
      const u = this.units.get(c)!;
      const abs = u < 0n ? -u : u;
      const places = currencyDecimals(c);
      const scale = 10n ** BigInt(8 - places);
      const text = abs % scale === 0n ? fromUnits(abs / scale, places) : fromUnits(abs, 8).replace(/0+$/, '');
      return { currency: c, amount: u < 0n ? `-${text}` : text, missing: this.missing.get(c) ?? 0 };
    });
  }
}
