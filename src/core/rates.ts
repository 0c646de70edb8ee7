/**
 * A rate you can trust (docs/rates.md), as pure rules:
 * - a quote counts only while it is fresh (fetched no longer than `maxAgeMs` ago);
 * - the market rate is the median of the fresh quotes after dropping outliers, those further than `outlierBp`
 *   from the median of all fresh quotes;
 * - fewer than `minSources` quotes left means no rate;
 * - a manual rate, when the merchant set one, wins and never goes stale; a spread applies to whichever rate is used;
 * - no rate, or only a stale one, refuses fiat invoices with a message that gives the age.
 */
import { applySpread, deviatesBeyond, deviationPct, medianRate } from './rates-decimal.ts';

/** One source's latest answer for one currency. `at` is when Satdesk received it (ms). */
export interface Quote {
  source: string;
  rate: string;
  at: number;
}

export interface RatePolicy {
  maxAgeMs: number;
  /** Basis points from the median beyond which a quote is an outlier. */
  outlierBp: number;
  minSources: number;
}

export type QuoteState = 'used' | 'outlier' | 'stale';

export interface JudgedQuote extends Quote {
  state: QuoteState;
  /** Signed percent from the median of the fresh quotes ("+6.12"), for fresh quotes. */
  deviation: string | null;
}

export interface Aggregate {
  currency: string;
  /** Median of the used quotes, or null (then `reason` says why). */
  rate: string | null;
  quotes: JudgedQuote[];
  /** The sources behind `rate`, in the order given. */
  sources: string[];
  /** Newest and oldest receipt time among the used quotes. */
  at: number | null;
  oldestAt: number | null;
  /** Newest receipt time of any quote, fresh or not (for "14 min old"). */
  lastAt: number | null;
  reason: string | null;
}

/** "45 s", "14 min", "3 h 5 min", "2 d 4 h". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

export function aggregateQuotes(currency: string, quotes: readonly Quote[], now: number, policy: RatePolicy): Aggregate {
  const fresh = quotes.filter((q) => now - q.at <= policy.maxAgeMs);
  const lastAt = quotes.length ? Math.max(...quotes.map((q) => q.at)) : null;
  const center = fresh.length ? medianRate(fresh.map((q) => q.rate)) : null;
  const judged: JudgedQuote[] = quotes.map((q) => {
    const isFresh = now - q.at <= policy.maxAgeMs;
    if (!isFresh || center === null) return { ...q, state: 'stale', deviation: null };
    const outlier = deviatesBeyond(q.rate, center, policy.outlierBp);
    return { ...q, state: outlier ? 'outlier' : 'used', deviation: deviationPct(q.rate, center) };
  });
  const used = judged.filter((q) => q.state === 'used');
  const base = { currency, quotes: judged, lastAt };
  const none = (reason: string): Aggregate => ({ ...base, rate: null, sources: [], at: null, oldestAt: null, reason });
  if (quotes.length === 0) return none(`no source has answered for ${currency} yet`);
  if (fresh.length === 0) {
    return none(`every ${currency} quote is older than the ${formatAge(policy.maxAgeMs)} limit`);
  }
  if (used.length === 0) return none(`the ${fresh.length} ${currency} sources disagree by more than ${policy.outlierBp / 100} % from their median`);
  if (used.length < policy.minSources) {
    const n = used.length;
    return none(`only ${n} ${currency} source${n === 1 ? '' : 's'} agree${n === 1 ? 's' : ''} (at least ${policy.minSources} required)`);
  }
  const times = used.map((q) => q.at);
  return {
    ...base,
    rate: medianRate(used.map((q) => q.rate)),
    sources: used.map((q) => q.source),
    at: Math.max(...times),
    oldestAt: Math.min(...times),
    reason: null,
  };
}

export interface ManualRate {
  rate: string;
  /** When the merchant set it (ms), if known. */
  setAt: number | null;
}

export type RateDecision =
  | {
      ok: true;
      currency: string;
      /** The rate an invoice uses (after the spread). */
      rate: string;
      /** Before the spread. */
      market: string;
      kind: 'manual' | 'live';
      sources: string[];
      /** The rate's time: the newest quote behind it, or when the manual rate was set (0 if unknown). */
      at: number;
      spreadBp: number;
    }
  | { ok: false; currency: string; message: string; ageMs: number | null };

export interface DecideInput {
  currency: string;
  manual: ManualRate | null;
  aggregate: Aggregate | null;
  spreadBp: number;
  now: number;
  /** Why this currency cannot have a live rate at all (no selected source quotes it, it is not fetched), or null. */
  noLive: string | null;
}

/** Which rate a fiat invoice gets now, or why it gets none. */
export function decideRate(input: DecideInput): RateDecision {
  const { currency, manual, aggregate, spreadBp, now } = input;
  if (manual) {
    return {
      ok: true,
      currency,
      rate: applySpread(manual.rate, spreadBp),
      market: manual.rate,
      kind: 'manual',
      sources: ['manual'],
      at: manual.setAt ?? 0,
      spreadBp,
    };
  }
  if (aggregate?.rate && aggregate.at !== null) {
    return {
      ok: true,
      currency,
      rate: applySpread(aggregate.rate, spreadBp),
      market: aggregate.rate,
      kind: 'live',
      sources: aggregate.sources,
      at: aggregate.at,
      spreadBp,
    };
  }
  const ageMs = aggregate?.lastAt != null ? now - aggregate.lastAt : null;
  const fix = `Set a manual ${currency} rate in Settings to sell in ${currency} now.`;
  if (input.noLive !== null) {
    return { ok: false, currency, ageMs, message: `No ${currency} rate: ${input.noLive}, and no manual rate is set. ${fix}` };
  }
  const why = aggregate?.reason ?? `no source has answered for ${currency} yet`;
  const age = ageMs !== null ? `The last ${currency} rate is ${formatAge(ageMs)} old: ` : `No ${currency} rate: `;
  return { ok: false, currency, ageMs, message: `${age}${why}. Fiat invoices are refused until a source answers again. ${fix}` };
}
