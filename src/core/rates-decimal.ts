/**
 * Decimal arithmetic for exchange rates (docs/rates.md). A rate is fiat units per 1 BTC, written as a decimal
 * string ("65432.1"); every operation here works on BigInt digits, so no float ever touches a price that turns
 * into satoshis (docs/rates.md "Money": fiat → sats rounds up, from decimal strings).
 *
 * Canonical form (what every function returns): ASCII digits, an optional '.' and 1–8 decimals without trailing
 * zeros, no sign, no exponent: "65000", "65000.5", "0.00000001".
 */

/** Decimals kept on a rate (the same limit `fiatToSats` accepts). */
export const RATE_DECIMALS = 8;
/** More integer digits than this is not a price of bitcoin in any currency (the weakest fiat is ~1e10/BTC). */
export const MAX_RATE_INT_DIGITS = 15;
const MAX_EXPONENT = 40;

/** Why a number from a source cannot be a rate; the message is shown as the source's error. */
export class RateValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RateValueError';
  }
}

/** digits × 10^-scale */
interface Dec {
  n: bigint;
  s: number;
}

const NUMBER_RE = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

function pow10(k: number): bigint {
  return 10n ** BigInt(k);
}

function scaleTo(d: Dec, s: number): bigint {
  return d.n * pow10(s - d.s);
}

/** Rounds d to `s` decimals: half-up (away from zero for these non-negative values) or down (towards zero). */
function roundTo(d: Dec, s: number, mode: 'half-up' | 'down'): Dec {
  if (d.s <= s) return d;
  const div = pow10(d.s - s);
  let q = d.n / div;
  if (mode === 'half-up' && (d.n % div) * 2n >= div) q += 1n;
  return { n: q, s };
}

function format(d: Dec): string {
  const digits = d.n.toString().padStart(d.s + 1, '0');
  if (d.s === 0) return digits;
  const int = digits.slice(0, digits.length - d.s);
  const frac = digits.slice(digits.length - d.s).replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int;
}

function parseCanonical(rate: string): Dec {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(rate);
  if (!m) throw new RateValueError(`"${rate.slice(0, 40)}" is not a decimal rate`);
  const frac = m[2] ?? '';
  return { n: BigInt((m[1] ?? '') + frac), s: frac.length };
}

/**
 * A number as a source wrote it (a JSON number literal such as `43753`, `6.5e4`, or a decimal string such as
 * `"30303.20000"`) → a canonical rate rounded half-up to 8 decimals. Refuses what cannot be a price: not a number,
 * negative, zero (also after rounding), or more than 15 integer digits.
 */
export function parseRateText(text: string): string {
  if (typeof text !== 'string' || text.length > 80) throw new RateValueError('not a number');
  const m = NUMBER_RE.exec(text);
  if (!m) throw new RateValueError(`"${text.slice(0, 40)}" is not a number`);
  const exp = Number(m[4] ?? '0');
  if (Math.abs(exp) > MAX_EXPONENT) throw new RateValueError(`${text} is out of range`);
  const frac = m[3] ?? '';
  let d: Dec = { n: BigInt((m[2] ?? '') + frac), s: frac.length };
  d = exp >= 0 ? (d.s >= exp ? { n: d.n, s: d.s - exp } : { n: d.n * pow10(exp - d.s), s: 0 }) : { n: d.n, s: d.s - exp };
  if (m[1] === '-' && d.n !== 0n) throw new RateValueError(`${text} is negative`);
  const r = roundTo(d, RATE_DECIMALS, 'half-up');
  if (r.n === 0n) throw new RateValueError(`${text} is zero`);
  const out = format(r);
  if (out.split('.')[0]!.length > MAX_RATE_INT_DIGITS) throw new RateValueError(`${text} is implausibly large for a price`);
  return out;
}

/** Is `rate` a canonical rate string? (The shape the history and the invoices store.) */
export function isCanonicalRate(rate: string): boolean {
  try {
    return parseRateText(rate) === rate;
  } catch {
    return false;
  }
}

/** -1, 0 or 1 as a < b, a = b, a > b. */
export function compareRates(a: string, b: string): number {
  const x = parseCanonical(a);
  const y = parseCanonical(b);
  const s = Math.max(x.s, y.s);
  const d = scaleTo(x, s) - scaleTo(y, s);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** Median of one or more rates; for an even count the mean of the middle two, rounded half-up to 8 decimals. */
export function medianRate(rates: readonly string[]): string {
  if (rates.length === 0) throw new RateValueError('the median of no rates is undefined');
  const sorted = [...rates].sort(compareRates);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return format(parseCanonical(sorted[mid]!));
  const a = parseCanonical(sorted[mid - 1]!);
  const b = parseCanonical(sorted[mid]!);
  const s = Math.max(a.s, b.s) + 1;
  const sum = (scaleTo(a, s) + scaleTo(b, s)) / 2n; // exact: one more decimal holds the half
  return format(roundTo({ n: sum, s }, RATE_DECIMALS, 'half-up'));
}

/** True when `rate` is further than `bp` basis points (1/100 %) from `reference`: |rate − ref| × 10000 > ref × bp. */
export function deviatesBeyond(rate: string, reference: string, bp: number): boolean {
  const x = parseCanonical(rate);
  const r = parseCanonical(reference);
  const s = Math.max(x.s, r.s);
  const diff = scaleTo(x, s) - scaleTo(r, s);
  const abs = diff < 0n ? -diff : diff;
  return abs * 10_000n > scaleTo(r, s) * BigInt(bp);
}

/** Signed distance from `reference` in percent with 2 decimals, for display: "+12.34", "-0.5", "0". */
export function deviationPct(rate: string, reference: string): string {
  const x = parseCanonical(rate);
  const r = parseCanonical(reference);
  const s = Math.max(x.s, r.s);
  const diff = scaleTo(x, s) - scaleTo(r, s);
  const abs = diff < 0n ? -diff : diff;
  const den = scaleTo(r, s);
  // percent × 100, rounded half-up
  let q = (abs * 10_000n) / den;
  if (((abs * 10_000n) % den) * 2n >= den) q += 1n;
  const text = format({ n: q, s: 2 });
  return q === 0n ? '0' : `${diff < 0n ? '-' : '+'}${text}`;
}

/** True when rate is within a factor of `reference` (default 2): ref / f ≤ rate ≤ ref × f. */
export function withinFactor(rate: string, reference: string, factor = 2): boolean {
  const x = parseCanonical(rate);
  const r = parseCanonical(reference);
  const s = Math.max(x.s, r.s);
  const a = scaleTo(x, s);
  const b = scaleTo(r, s);
  const f = BigInt(factor);
  return a * f >= b && a <= b * f;
}

/**
 * The rate an invoice uses when the merchant adds a spread of `bp` basis points: the customer pays that much more
 * bitcoin, so rate / (1 + bp/10000), rounded down to 8 decimals (never in the customer's favour by rounding).
 */
export function applySpread(rate: string, bp: number): string {
  if (!Number.isSafeInteger(bp) || bp < 0) throw new RateValueError('a spread is a whole, non-negative number of basis points');
  if (bp === 0) return format(parseCanonical(rate));
  const x = parseCanonical(rate);
  const s = RATE_DECIMALS;
  const n = (scaleTo(x, Math.max(x.s, s)) * 10_000n) / BigInt(10_000 + bp);
  const out = format(roundTo({ n, s: Math.max(x.s, s) }, s, 'down'));
  if (out === '0') throw new RateValueError('the spread leaves no rate');
  return out;
}

/** A percentage from settings (≤ 2 decimals, e.g. 1.5) → basis points (150); refuses more decimals. */
export function pctToBp(pct: number): number {
  const bp = Math.round(pct * 100);
  if (!Number.isFinite(pct) || pct < 0 || Math.abs(bp - pct * 100) > 1e-6) {
    throw new RateValueError(`${pct} is not a percentage with at most 2 decimals`);
  }
  return bp;
}
