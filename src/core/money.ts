/**
 * Money (docs/spec/money.md): integer satoshis everywhere, BTC strings with exactly 8 decimals on output, parsed from
 * strings with 0–8 decimals, fiat → sats rounded up. No floating-point arithmetic on amounts: every conversion
 * works on decimal digit strings and BigInt.
 *
 * Accepted decimal syntax (BTC amounts, fiat amounts, rates): ASCII digits, optionally a '.' followed by at least
 * one digit — `"1"`, `"1.0"`, `"0.001"`, `"007.5"`. Refused, each with its own message (code `invalid_amount`):
 * a non-string, `""`, any whitespace (leading, trailing or inside), exponent notation (`"1e-3"`), a sign
 * (`"-1"` is "negative", `"+1"` is refused too), a bare decimal point on either side (`"1."`, `".5"`), anything
 * else non-numeric (`"1,5"`, `"0x10"`, `"NaN"`), too many decimals, more than 21,000,000 BTC, zero where an amount
 * must be positive.
 */
import { SatdeskError } from './errors.ts';

/** 21,000,000 BTC in satoshis. */
export const MAX_SATS = 2_100_000_000_000_000;
export const SATS_PER_BTC = 100_000_000;

const SATS_PER_BTC_BIG = 100_000_000n;
const MAX_SATS_BIG = 2_100_000_000_000_000n;
/** Longest decimal string accepted (a guard against huge BigInt work on hostile input). */
const MAX_DECIMAL_CHARS = 64;

function bad(message: string): SatdeskError {
  return new SatdeskError('invalid_amount', message);
}

/** Throws `invalid_amount` unless `n` is an integer number of satoshis in [0, MAX_SATS]. */
export function assertSats(n: unknown, field: string): asserts n is number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > MAX_SATS) {
    throw bad(`${field} must be an integer number of satoshis from 0 to ${MAX_SATS}`);
  }
}

/** Sats → BTC with exactly 8 decimals: 122678000 → "1.22678000", 1 → "0.00000001", 0 → "0.00000000". */
export function formatBtc(sats: number): string {
  assertSats(sats, 'sats');
  // Exact: sats is a safe integer, so the remainder, the difference and the division by 1e8 are all exact.
  const frac = sats % SATS_PER_BTC;
  return `${(sats - frac) / SATS_PER_BTC}.${String(frac).padStart(8, '0')}`;
}

/** Sats → BTC without trailing zeros (BIP21 style): 100000 → "0.001", 100000000 → "1", 1 → "0.00000001". */
export function formatBtcCompact(sats: number): string {
  const s = formatBtc(sats).replace(/0+$/, '');
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

interface ParsedDecimal {
  /** All digits (integer part then fractional part) as one integer. */
  digits: bigint;
  /** How many of those digits are decimals: the value is digits / 10^decimals. */
  decimals: number;
}

const UNSIGNED = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`;
const EXPONENT_RE = new RegExp(`^[+-]?${UNSIGNED}[eE][+-]?\\d+$`);
const NEGATIVE_RE = new RegExp(`^-${UNSIGNED}$`);
const PLUS_RE = new RegExp(`^\\+${UNSIGNED}$`);
const BARE_POINT_RE = /^(?:\d+\.|\.\d+)$/;
const DECIMAL_RE = /^(\d+)(?:\.(\d+))?$/;

/** Parses a non-negative decimal string (syntax in the file comment); messages name `field`. */
function parseDecimal(v: unknown, field: string, maxDecimals: number): ParsedDecimal {
  if (typeof v !== 'string') throw bad(`${field} must be a string`);
  if (v === '') throw bad(`${field} is empty`);
  if (v.length > MAX_DECIMAL_CHARS) throw bad(`${field} is too long (at most ${MAX_DECIMAL_CHARS} characters)`);
  if (/\s/.test(v)) throw bad(`${field} must not contain whitespace`);
  if (EXPONENT_RE.test(v)) throw bad(`${field} must not use exponent notation`);
  if (NEGATIVE_RE.test(v)) throw bad(`${field} must not be negative`);
  if (PLUS_RE.test(v)) throw bad(`${field} must not start with '+'`);
  if (BARE_POINT_RE.test(v)) throw bad(`${field} needs digits on both sides of the decimal point`);
  const m = DECIMAL_RE.exec(v);
  if (m === null) throw bad(`${field} is not a decimal number`);
  const int = m[1] ?? '';
  const frac = m[2] ?? '';
  if (frac.length > maxDecimals) throw bad(`${field} has more than ${maxDecimals} decimal places`);
  return { digits: BigInt(int + frac), decimals: frac.length };
}

export interface ParseBtcOptions {
  /** Name used in error messages (default "amount"). */
  field?: string;
  /** Accept "0" (default false: an amount must be positive). */
  allowZero?: boolean;
}

/**
 * BTC string (0–8 decimals) → sats: "0.001" → 100000, "1" → 100000000, "1.0" → 100000000.
 * Refuses zero unless `allowZero` (an invoice or refund amount must be positive).
 */
export function parseBtc(s: string, options: ParseBtcOptions = {}): number {
  const field = options.field ?? 'amount';
  const d = parseDecimal(s, field, 8);
  const sats = d.digits * 10n ** BigInt(8 - d.decimals);
  if (sats > MAX_SATS_BIG) throw bad(`${field} is above 21000000 BTC`);
  if (sats === 0n && options.allowZero !== true) throw bad(`${field} must be greater than zero`);
  return Number(sats);
}

/**
 * A JSON integer number of sats (e.g. `amount_sats`): a safe positive integer ≤ MAX_SATS. Refuses strings
 * (even numeric ones), fractions, NaN/Infinity, zero, negatives and anything above 21,000,000 BTC.
 */
export function parseSatsAmount(v: unknown, field = 'amount_sats'): number {
  if (typeof v !== 'number') throw bad(`${field} must be a JSON integer number of satoshis, not ${describe(v)}`);
  if (!Number.isFinite(v)) throw bad(`${field} must be a finite number`);
  if (!Number.isInteger(v)) throw bad(`${field} must be a whole number of satoshis`);
  if (v <= 0) throw bad(`${field} must be greater than zero`);
  if (v > MAX_SATS) throw bad(`${field} is above 21000000 BTC (${MAX_SATS} sats)`);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  return t === 'object' ? 'an object' : `a ${t}`;
}

/**
 * Fiat → sats, rounded up (docs/spec/money.md#fiat): `amount` and `rate` (fiat units per 1 BTC) are positive decimal strings
 * with at most 8 decimals; sats = ceil(amount × 1e8 / rate), computed exactly with BigInt.
 * fiatToSats("10", "50000") → 20000; fiatToSats("0.01", "30000") → 34 (33.33… rounded up).
 */
export function fiatToSats(amount: string, rate: string): number {
  const a = parseDecimal(amount, 'fiat amount', 8);
  const r = parseDecimal(rate, 'rate', 8);
  if (a.digits === 0n) throw bad('fiat amount must be greater than zero');
  if (r.digits === 0n) throw bad('rate must be greater than zero');
  // (a.digits / 10^a.dec) * 1e8 / (r.digits / 10^r.dec)
  const num = a.digits * 10n ** BigInt(r.decimals) * SATS_PER_BTC_BIG;
  const den = r.digits * 10n ** BigInt(a.decimals);
  let sats = num / den;
  if (num % den !== 0n) sats += 1n;
  if (sats > MAX_SATS_BIG) throw bad('fiat amount is above 21000000 BTC at this rate');
  return Number(sats);
}

const PLAIN_ADDRESS_RE = /^[A-Za-z0-9]+$/;

function encodeParam(name: string, value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    // encodeURIComponent throws URIError on a lone surrogate.
    throw new SatdeskError('invalid_request', `${name} is not valid Unicode text`);
  }
}

/**
 * BIP21 URI: `bitcoin:<address>?amount=<BTC, no trailing zeros>[&label=…][&message=…]`. The address is kept as
 * given (validated elsewhere; here only checked to be plain alphanumerics); label and message are
 * percent-encoded with encodeURIComponent semantics and left out when empty.
 */
export function bip21(address: string, amountSats: number, label?: string, message?: string): string {
  if (typeof address !== 'string' || !PLAIN_ADDRESS_RE.test(address)) {
    throw new SatdeskError('invalid_address', 'address must be a non-empty string of letters and digits');
  }
  parseSatsAmount(amountSats, 'amount_sats');
  let uri = `bitcoin:${address}?amount=${formatBtcCompact(amountSats)}`;
  if (label !== undefined && label !== '') uri += `&label=${encodeParam('label', label)}`;
  if (message !== undefined && message !== '') uri += `&message=${encodeParam('message', message)}`;
  return uri;
}
