/**
 * The live-rates part of the contract (docs/rates.md): the `rates` settings key, what `GET /rates` and
 * `POST /rates/refresh` answer, and what an invoice records of the rate it was priced at.
 */
import { z } from 'zod';
import { RATE_SOURCE_IDS } from '../core/rates-sources.ts';

const ISO = z.string();
export const CurrencyCode = z.string().regex(/^[A-Z]{3,8}$/, 'a currency is 3–8 capital letters');
export const RateSourceIdSchema = z.enum(RATE_SOURCE_IDS);

const twoDecimals = (n: number): boolean => Math.abs(Math.round(n * 100) - n * 100) < 1e-6;

/** The `rates` settings key: which sources, how often, how old a rate may get, outliers, spread. */
export const RatesSettingsShape = {
  sources: z
    .array(RateSourceIdSchema)
    .max(RATE_SOURCE_IDS.length)
    .refine((a) => new Set(a).size === a.length, 'sources must be distinct'),
  /** Currencies fetched besides the shop's (`fiat.currency`), e.g. for invoices a shop prices in another one. */
  currencies: z.array(CurrencyCode).max(20),
  refresh_s: z.number().int().min(15).max(3600),
  max_age_s: z.number().int().min(60).max(86_400),
  outlier_pct: z.number().min(0.1).max(50).refine(twoDecimals, 'outlier_pct has at most 2 decimals'),
  min_sources: z.number().int().min(1).max(RATE_SOURCE_IDS.length),
  spread_pct: z.number().min(0).max(20).refine(twoDecimals, 'spread_pct has at most 2 decimals'),
};
export const RatesSettingsSchema = z.object(RatesSettingsShape);
export type RatesSettings = z.infer<typeof RatesSettingsSchema>;
export const PatchRatesSettingsSchema = z.strictObject(RatesSettingsShape).partial();

/** What an invoice priced in fiat keeps of its rate. */
export const InvoiceFiatSchema = z.object({
  amount: z.string(),
  currency: z.string(),
  /** The rate the amount was converted at (after the spread). */
  rate: z.string(),
  /** 'live' (sources' median) or 'manual'; null for invoices made before live rates. */
  rate_kind: z.enum(['live', 'manual']).nullable(),
  rate_sources: z.array(z.string()),
  rate_at: ISO.nullable(),
  market_rate: z.string().nullable(),
  spread_pct: z.number(),
});

export const RateQuoteSchema = z.object({
  source: z.string(),
  rate: z.string(),
  at: ISO,
  age_s: z.number().int(),
  state: z.enum(['used', 'outlier', 'stale']),
  /** Signed percent from the median of the fresh quotes. */
  deviation_pct: z.string().nullable(),
});

export const CurrencyRateSchema = z.object({
  currency: z.string(),
  /** Whether a fiat invoice in this currency can be created now. */
  ok: z.boolean(),
  /** The rate an invoice gets now (after the spread), and before it. */
  rate: z.string().nullable(),
  market_rate: z.string().nullable(),
  kind: z.enum(['live', 'manual']).nullable(),
  sources: z.array(z.string()),
  at: ISO.nullable(),
  age_s: z.number().int().nullable(),
  /** Why there is no rate (with the age), when `ok` is false. */
  message: z.string().nullable(),
  manual: z.object({ rate: z.string(), set_at: ISO.nullable(), age_s: z.number().int().nullable() }).nullable(),
  live: z.object({ rate: z.string().nullable(), reason: z.string().nullable(), quotes: z.array(RateQuoteSchema) }),
});

export const RateSourceStatusSchema = z.object({
  id: RateSourceIdSchema,
  name: z.string(),
  host: z.string(),
  docs: z.string(),
  selected: z.boolean(),
  currencies: z.array(z.string()),
  last_attempt_at: ISO.nullable(),
  last_ok_at: ISO.nullable(),
  duration_ms: z.number().int().nullable(),
  /** The last attempt's error, or null when it answered. */
  error: z.string().nullable(),
  /** The prices of its last good answer. */
  last_rates: z.record(z.string(), z.string()),
});

export const RatesSchema = z.object({
  /** The shop's currency (`fiat.currency`); its entry is first in `rates`. */
  currency: z.string(),
  rates: z.array(CurrencyRateSchema),
  sources: z.array(RateSourceStatusSchema),
  settings: RatesSettingsSchema,
  via_proxy: z.boolean(),
  last_round_at: ISO.nullable(),
  next_round_at: ISO.nullable(),
});
export type Rates = z.infer<typeof RatesSchema>;
export type CurrencyRate = z.infer<typeof CurrencyRateSchema>;
