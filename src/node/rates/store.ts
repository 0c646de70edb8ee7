/**
 * The rate tables (the rates migration): quotes and market rates as a time series, each source's last attempt, and the
 * hourly compaction of what is older than 30 days (the rules are in src/core/rates-history.ts).
 */
import { limit, prepared, type DB } from '../store/sqlite.ts';
import type { Quote } from '../../core/rates.ts';
import { compactHour, compactionCutoff, HOUR_MS, type HistoryPoint } from '../../core/rates-history.ts';

/** The `source` value of a market-rate row (the median Satdesk derived), beside the sources' own ids. */
export const MARKET = 'market';

export interface SourceStatusRow {
  source: string;
  last_attempt_at: number;
  last_ok_at: number | null;
  duration_ms: number;
  last_error: string | null;
  last_rates: string;
}

export function insertQuote(db: DB, currency: string, source: string, rate: string, at: number, sources?: string[]): void {
  db.prepare('INSERT OR REPLACE INTO rate_history (currency, source, at, rate, sources) VALUES (?, ?, ?, ?, ?)').run(
    currency,
    source,
    at,
    rate,
    sources ? sources.join(',') : null,
  );
}

export function saveSourceStatus(db: DB, s: SourceStatusRow): void {
  db.prepare(
    `INSERT INTO rate_sources (source, last_attempt_at, last_ok_at, duration_ms, last_error, last_rates) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(source) DO UPDATE SET last_attempt_at = excluded.last_attempt_at,
       last_ok_at = COALESCE(excluded.last_ok_at, rate_sources.last_ok_at), duration_ms = excluded.duration_ms,
       last_error = excluded.last_error, last_rates = CASE WHEN excluded.last_ok_at IS NULL THEN rate_sources.last_rates ELSE excluded.last_rates END`,
  ).run(s.source, s.last_attempt_at, s.last_ok_at, s.duration_ms, s.last_error, s.last_rates);
}

export function sourceStatuses(db: DB): Map<string, SourceStatusRow> {
  const rows = db.prepare('SELECT * FROM rate_sources').all() as SourceStatusRow[];
  return new Map(rows.map((r) => [r.source, r]));
}

/** Each source's latest quote for `currency` received at or after `since` (older ones cannot be fresh). */
export function latestQuotes(db: DB, currency: string, since: number, sources: readonly string[]): Quote[] {
  if (!sources.length) return [];
  const marks = sources.map(() => '?').join(',');
  // SQLite returns the other columns of the row holding MAX(at) (its documented bare-column rule).
  const rows = db
    .prepare(`SELECT source, rate, MAX(at) AS at FROM rate_history WHERE currency = ? AND source IN (${marks}) AND at >= ? GROUP BY source`)
    .all(currency, ...sources, since) as Quote[];
  return sources.flatMap((s) => rows.filter((r) => r.source === s));
}

/** Finds the market rate point in force at a time (marketPointAt, or a cursor over it). */
export type PointLookup = (currency: string, t: number) => HistoryPoint | null;

/**
 * marketPointAt for a run of lookups in time order (an export values every payment): the point found is remembered
 * with the time the next point begins, so each lookup until then is answered without a query. Only a closed interval
 * is remembered: the latest point may be followed by a new quote at any moment.
 */
export function marketPointCursor(db: DB): PointLookup {
  let hit: { currency: string; from: number; until: number; point: HistoryPoint | null } | null = null;
  return (currency, t) => {
    if (hit && hit.currency === currency && t >= hit.from && t < hit.until) return hit.point;
    const point = marketPointAt(db, currency, t);
    const next = prepared(db, 'SELECT at FROM rate_history WHERE currency = ? AND source = ? AND at > ? ORDER BY at LIMIT 1').get(currency, MARKET, t) as
      | { at: number }
      | undefined;
    hit = next ? { currency, from: point?.at ?? Number.MIN_SAFE_INTEGER, until: next.at, point } : null;
    return point;
  };
}

/** The latest market rate for `currency` at or before `t`. */
export function marketPointAt(db: DB, currency: string, t: number): HistoryPoint | null {
  // Prepared once per connection: an export asks this for every payment.
  const r = prepared(db, 'SELECT at, rate, hourly, sources FROM rate_history WHERE currency = ? AND source = ? AND at <= ? ORDER BY at DESC LIMIT 1')
    .get(currency, MARKET, t) as { at: number; rate: string; hourly: number; sources: string | null } | undefined;
  return r ? { at: r.at, rate: r.rate, hourly: r.hourly === 1, sources: r.sources ? r.sources.split(',') : [] } : null;
}

/**
 * Compacts up to `maxBuckets` (currency, source, hour) buckets older than 30 days into one hourly row each; returns
 * how many buckets it compacted (call again while it returns `maxBuckets`). Runs in the caller's transaction.
 */
export function compactHistory(db: DB, now: number, maxBuckets = 200): number {
  const cutoff = compactionCutoff(now);
  const buckets = db
    .prepare(
      `SELECT currency, source, (at / ${HOUR_MS}) * ${HOUR_MS} AS hour FROM rate_history
       WHERE hourly = 0 AND at < ? GROUP BY currency, source, hour ${limit(maxBuckets)}`,
    )
    .all(cutoff) as { currency: string; source: string; hour: number }[];
  const rowsOf = db.prepare(
    'SELECT at, rate, sources FROM rate_history WHERE currency = ? AND source = ? AND at >= ? AND at < ? AND hourly = 0 ORDER BY at',
  );
  const drop = db.prepare('DELETE FROM rate_history WHERE currency = ? AND source = ? AND at >= ? AND at < ? AND hourly = 0');
  const put = db.prepare('INSERT OR REPLACE INTO rate_history (currency, source, at, rate, sources, samples, hourly) VALUES (?, ?, ?, ?, ?, ?, 1)');
  for (const b of buckets) {
    const rows = rowsOf.all(b.currency, b.source, b.hour, b.hour + HOUR_MS) as { at: number; rate: string; sources: string | null }[];
    const c = compactHour(rows);
    const sources = [...new Set(rows.flatMap((r) => (r.sources ? r.sources.split(',') : [])))];
    drop.run(b.currency, b.source, b.hour, b.hour + HOUR_MS);
    put.run(b.currency, b.source, c.at, c.rate, sources.length ? sources.join(',') : null, c.samples);
  }
  return buckets.length;
}
