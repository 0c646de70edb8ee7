/**
 * The rate an invoice is priced at, locked into the invoice row (the rates migration) with where it came from, and the
 * lookups built on it: what the API shows of an invoice's rate, and — for the books (docs/rates.md "History for the books") —
 * `rateAtTime`: the rate for currency C at time T, from the invoice's locked rate or the market rate in force then.
 */
import { SatdeskError } from '../../core/errors.ts';
import { fiatToSats } from '../../core/money.ts';
import type { RateDecision } from '../../core/rates.ts';
import { rateAt, type InvoiceLock, type RateAt } from '../../core/rates-history.ts';
import type { RateFact } from '../../core/ledger.ts';
import type { DB } from '../store/sqlite.ts';
import type { z } from 'zod';
import type { InvoiceFiatSchema } from '../../shared/contract-rates.ts';
import { marketPointAt, type PointLookup } from './store.ts';

/** Where an invoice's rate came from (the columns the rates migration adds). */
export interface RateLockColumns {
  fiat_rate_kind: 'live' | 'manual' | null;
  fiat_rate_sources: string | null;
  fiat_rate_at: number | null;
  fiat_market_rate: string | null;
  fiat_spread_bp: number | null;
}

/** The invoice columns that hold its fiat price and locked rate. */
export interface FiatColumns extends RateLockColumns {
  fiat_amount: string | null;
  fiat_currency: string | null;
  fiat_rate: string | null;
}

/**
 * Prices `amount` of `currency` with the rate `decision` gives, or refuses with 503 `rate_unavailable` and the
 * reason (with the age) — never at a stale rate (docs/rates.md "Stale means stop").
 */
export function priceInFiat(
  amount: string,
  decision: RateDecision,
): { sats: number; fiat: { amount: string; currency: string; rate: string }; lock: RateLockColumns } {
  if (!decision.ok) throw new SatdeskError('rate_unavailable', decision.message);
  const sats = fiatToSats(amount, decision.rate);
  return {
    sats,
    fiat: { amount, currency: decision.currency, rate: decision.rate },
    lock: {
      fiat_rate_kind: decision.kind,
      fiat_rate_sources: decision.sources.join(','),
      fiat_rate_at: decision.at || null,
      fiat_market_rate: decision.market,
      fiat_spread_bp: decision.spreadBp,
    },
  };
}

export function invoiceFiatView(row: FiatColumns): z.infer<typeof InvoiceFiatSchema> | null {
  if (row.fiat_amount === null || row.fiat_currency === null || row.fiat_rate === null) return null;
  return {
    amount: row.fiat_amount,
    currency: row.fiat_currency,
    rate: row.fiat_rate,
    rate_kind: row.fiat_rate_kind ?? null,
    rate_sources: row.fiat_rate_sources ? row.fiat_rate_sources.split(',') : [],
    rate_at: row.fiat_rate_at != null ? new Date(row.fiat_rate_at).toISOString() : null,
    market_rate: row.fiat_market_rate ?? null,
    spread_pct: (row.fiat_spread_bp ?? 0) / 100,
  };
}

/** The locked rate of an invoice row, if it was priced in fiat. */
export function invoiceLock(row: FiatColumns & { created_at: number }): InvoiceLock | null {
  if (row.fiat_currency === null || row.fiat_rate === null) return null;
  return {
    currency: row.fiat_currency,
    rate: row.fiat_rate,
    at: row.fiat_rate_at ?? row.created_at,
    sources: row.fiat_rate_sources ? row.fiat_rate_sources.split(',') : [],
  };
}

/** The market rate for `currency` in force at `t`, as the books take it (src/node/books/rates.ts `RateHistory`). */
export function marketRateAt(db: DB, currency: string, t: number, maxGapMs: number, lookup: PointLookup = (c, at) => marketPointAt(db, c, at)): RateFact {
  const r = rateAt({ currency, t, lock: null, point: lookup(currency, t), maxGapMs });
  return r.rate === null ? { rate: null, currency, reason: r.reason } : { rate: r.rate, currency, basis: 'history' };
}

/**
 * The rate in force for `currency` at `t` as the books take it: the shop's manual rate when one is set and `t` is not
 * before the time it was set (it has been the rate invoices used since then: a manual rate wins), else the market
 * rate from the history. Before a manual rate's time its earlier values are not known, so the history answers.
 */
export function rateInForceAt(
  db: DB,
  currency: string,
  t: number,
  manual: { rates: Record<string, string>; rates_set_at: Record<string, string> },
  maxGapMs: number,
  lookup?: PointLookup,
): RateFact {
  const rate = manual.rates[currency];
  const setAt = manual.rates_set_at[currency] ? Date.parse(manual.rates_set_at[currency]) : NaN;
  if (rate && t >= setAt) return { rate, currency, basis: 'manual' };
  return marketRateAt(db, currency, t, maxGapMs, lookup);
}

/**
 * The rate for `currency` at time `t` (ms): the invoice's locked rate when `invoice` was priced in `currency`,
 * otherwise the market rate recorded at or before `t` if it was still in force (`maxGapMs`, default the 10-minute
 * staleness limit; a compacted hourly point covers its hour). Answers `{rate: null, reason}` when there is none.
 */
export function rateAtTime(
  db: DB,
  currency: string,
  t: number,
  invoice: (FiatColumns & { created_at: number }) | null = null,
  maxGapMs = 600_000,
): RateAt {
  const lock = invoice ? invoiceLock(invoice) : null;
  const point = lock && lock.currency === currency ? null : marketPointAt(db, currency, t);
  return rateAt({ currency, t, lock, point, maxGapMs });
}
