/**
 * Rate history for the books (docs/rates.md "History"): every fetched quote and every market rate is kept as a
 * time series; after 30 days each hour of it is compacted to one point, the hour's median, dated at the start of
 * the hour. `rateAt` answers "the rate for currency C at time T": the invoice's locked rate when the payment
 * belongs to an invoice priced in C, otherwise the market rate in force at T.
 */
import { medianRate } from './rates-decimal.ts';
import { formatAge } from './rates.ts';

export const HOUR_MS = 3_600_000;
export const COMPACT_AFTER_MS = 30 * 24 * HOUR_MS;

export function hourStart(t: number): number {
  return Math.floor(t / HOUR_MS) * HOUR_MS;
}

/** Points older than this are compacted (the cutoff is aligned to an hour so a bucket is never split). */
export function compactionCutoff(now: number): number {
  return hourStart(now - COMPACT_AFTER_MS);
}

/** One hour's points → the hour's median at the start of the hour, with how many points it stands for. */
export function compactHour(points: readonly { at: number; rate: string }[]): { at: number; rate: string; samples: number } {
  if (!points.length) throw new Error('an empty hour has nothing to compact');
  const at = hourStart(points[0]!.at);
  if (points.some((p) => hourStart(p.at) !== at)) throw new Error('points of one bucket must share an hour');
  return { at, rate: medianRate(points.map((p) => p.rate)), samples: points.length };
}

/** A market-rate point from the history. */
export interface HistoryPoint {
  at: number;
  rate: string;
  /** A compacted point stands for the whole hour starting at `at`. */
  hourly: boolean;
  sources: string[];
}

/** The rate an invoice was priced at, as stored on the invoice. */
export interface InvoiceLock {
  currency: string;
  rate: string;
  at: number;
  sources: string[];
}

export type RateAt =
  | { rate: string; currency: string; at: number; basis: 'invoice' | 'history'; sources: string[] }
  | { rate: null; currency: string; reason: string };

export interface RateAtInput {
  currency: string;
  /** When the payment was received (ms). */
  t: number;
  /** The invoice's locked rate, when the payment counted towards an invoice. */
  lock: InvoiceLock | null;
  /** The latest market point at or before `t` (from the store), or null. */
  point: HistoryPoint | null;
  /** How old a raw point may be and still be "in force" (the staleness setting); hourly points cover their hour. */
  maxGapMs: number;
}

/** The rate for `currency` at time `t`, or why there is none. */
export function rateAt(input: RateAtInput): RateAt {
  const { currency, t, lock, point } = input;
  if (lock && lock.currency === currency) {
    return { rate: lock.rate, currency, at: lock.at, basis: 'invoice', sources: lock.sources };
  }
  if (!point) return { rate: null, currency, reason: `no ${currency} rate was recorded before ${new Date(t).toISOString()}` };
  if (point.at > t) throw new Error('the point must not be later than t');
  const gap = point.hourly ? Math.max(HOUR_MS, input.maxGapMs) : input.maxGapMs;
  if (t - point.at > gap) {
    return { rate: null, currency, reason: `the nearest ${currency} rate before ${new Date(t).toISOString()} is ${formatAge(t - point.at)} older` };
  }
  return { rate: point.rate, currency, at: point.at, basis: 'history', sources: point.sources };
}
