/**
 * Live exchange rates (docs/rates.md): asks the selected sources on a schedule (default every minute) and on
 * demand, stores every accepted quote and the market rate derived from them, and answers which rate a fiat invoice
 * gets now. The rules themselves are pure (src/core/rates.ts); this room only fetches, stores and schedules.
 *
 * A round writes in one transaction through the caller's unit of work, so its `rate.stale` / `rate.live` events are
 * published only once the quotes they describe are committed.
 */
import type { DB } from '../store/sqlite.ts';
import type { Clock } from '../invoices.ts';
import { insertEvent } from '../events.ts';
import { aggregateQuotes, decideRate, type Aggregate, type RateDecision, type RatePolicy } from '../../core/rates.ts';
import { pctToBp } from '../../core/rates-decimal.ts';
import { RATE_SOURCES, sourcesQuoting, type RateSourceId } from '../../core/rates-sources.ts';
import type { RatesSettings } from '../../shared/contract-rates.ts';
import { fetchSource, type SourceResult } from './fetch-source.ts';
import { productionBaseUrl } from './sources/index.ts';
import { compactHistory, insertQuote, latestQuotes, MARKET, marketPointAt, saveSourceStatus } from './store.ts';

/** What the rates room reads from the settings, each time it needs them. */
export interface RatesConfig {
  currency: string;
  manual: Record<string, string>;
  manualSetAt: Record<string, string>;
  rates: RatesSettings;
  proxy: string | null;
}

export interface LiveRatesOptions {
  db: DB;
  clock: Clock;
  config: () => RatesConfig;
  /** The unit of work: runs `fn` in one write transaction and publishes its events after commit. */
  write: <T>(fn: () => T) => T;
  log: (line: string) => void;
  /** Source base URLs (tests point them at loopback servers); production uses each source's real host. */
  baseUrls?: Partial<Record<RateSourceId, string>>;
  timeoutMs?: number;
  maxBytes?: number;
}

/** How far back the absurd-price check looks for a market rate to compare with. */
const REFERENCE_MS = 24 * 3_600_000;
const COMPACT_EVERY_MS = 3_600_000;

export function policyOf(r: RatesSettings): RatePolicy {
  return { maxAgeMs: r.max_age_s * 1000, outlierBp: pctToBp(r.outlier_pct), minSources: r.min_sources };
}

/** Why `currency` cannot have a live rate with these settings, or null. */
export function noLiveReason(currency: string, c: RatesConfig): string | null {
  if (sourcesQuoting(currency, c.rates.sources).length === 0) return `none of the selected rate sources quotes ${currency}`;
  if (!wantedCurrencies(c).includes(currency)) return `${currency} is not among the currencies fetched (the shop's currency and rates.currencies)`;
  return null;
}

/** The currencies fetched: the shop's, then the extra ones from settings. */
export function wantedCurrencies(c: RatesConfig): string[] {
  return [...new Set([c.currency, ...c.rates.currencies])];
}

export class LiveRates {
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> | null = null;
  private abort = new AbortController();
  private stopped = true;
  private lastCompaction = 0;
  /** Per currency: could a fiat invoice be created after the last round? (for rate.stale / rate.live events) */
  private readonly lastOk = new Map<string, boolean>();
  lastRoundAt: number | null = null;
  nextRoundAt: number | null = null;

  constructor(private readonly opts: LiveRatesOptions) {}

  start(): void {
    this.stopped = false;
    this.abort = new AbortController();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.nextRoundAt = null;
    this.abort.abort();
    await this.inflight?.catch(() => {});
  }

  /** Settings changed (sources, currency, interval, proxy): ask again now. */
  reschedule(): void {
    if (!this.stopped) this.schedule(0);
  }

  /** A round now, or the one already running; resolves when its results are committed. */
  refresh(): Promise<void> {
    return this.inflight ?? this.round();
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.nextRoundAt = this.opts.clock.now() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.refresh().finally(() => {
        if (!this.stopped && this.timer === null) this.schedule(this.opts.config().rates.refresh_s * 1000);
      });
    }, delayMs);
    this.timer.unref();
  }

  private round(): Promise<void> {
    const run = this.fetchAll()
      .then((results) => (results === null ? undefined : this.record(results)))
      .catch((e: unknown) => this.opts.log(`rates: round failed: ${(e as Error).message}`))
      .finally(() => {
        this.inflight = null;
      });
    this.inflight = run;
    return run;
  }

  /** null when no selected source quotes a wanted currency (nothing to ask, nothing to record). */
  private async fetchAll(): Promise<SourceResult[] | null> {
    const c = this.opts.config();
    const currencies = wantedCurrencies(c);
    const plan = c.rates.sources
      .map((id) => ({ id, wanted: currencies.filter((cur) => RATE_SOURCES[id].currencies.includes(cur)) }))
      .filter((p) => p.wanted.length > 0);
    if (!plan.length) return null;
    const since = this.opts.clock.now() - REFERENCE_MS;
    const reference = (cur: string): string | null => {
      const p = marketPointAt(this.opts.db, cur, this.opts.clock.now());
      return p && p.at >= since ? p.rate : null;
    };
    return Promise.all(
      plan.map((p) =>
        fetchSource(p.id, p.wanted, {
          baseUrl: this.opts.baseUrls?.[p.id] ?? productionBaseUrl(p.id),
          timeoutMs: this.opts.timeoutMs ?? 10_000,
          maxBytes: this.opts.maxBytes ?? 1 << 20,
          proxy: c.proxy,
          signal: this.abort.signal,
          reference,
          clock: () => this.opts.clock.now(),
        }),
      ),
    );
  }

  private record(results: SourceResult[]): void {
    if (this.stopped && this.abort.signal.aborted) return;
    const { db, clock } = this.opts;
    const c = this.opts.config();
    const now = clock.now();
    this.opts.write(() => {
      const fresh = new Set<string>();
      for (const r of results) {
        const at = r.startedAt + r.durationMs;
        for (const [cur, rate] of Object.entries(r.rates)) {
          insertQuote(db, cur, r.source, rate, at);
          fresh.add(cur);
        }
        const partial = Object.keys(r.rates).length && Object.keys(r.errors).length ? Object.values(r.errors).join('; ') : null;
        saveSourceStatus(db, {
          source: r.source,
          last_attempt_at: r.startedAt,
          last_ok_at: r.error === null ? at : null,
          duration_ms: r.durationMs,
          last_error: r.error ?? partial,
          last_rates: JSON.stringify(r.rates),
        });
      }
      for (const cur of wantedCurrencies(c)) {
        const agg = this.aggregate(cur, c, now);
        if (fresh.has(cur) && agg.rate) insertQuote(db, cur, MARKET, agg.rate, now, agg.sources);
        this.noteTransition(cur, this.decideWith(cur, c, now, agg), now);
      }
      if (now - this.lastCompaction >= COMPACT_EVERY_MS) {
        this.lastCompaction = now;
        let n = 0;
        for (let i = 0; i < 20 && (n = compactHistory(db, now)) === 200; i++);
        if (n) this.opts.log(`rates: compacted history older than 30 days`);
      }
    });
    this.lastRoundAt = now;
  }

  private noteTransition(cur: string, d: RateDecision, now: number): void {
    const was = this.lastOk.get(cur);
    this.lastOk.set(cur, d.ok);
    if (was === undefined ? d.ok : was === d.ok) return;
    if (d.ok) insertEvent(this.opts.db, 'rate.live', null, null, { currency: cur, rate: d.rate, kind: d.kind, sources: d.sources }, now);
    else insertEvent(this.opts.db, 'rate.stale', null, null, { currency: cur, message: d.message, age_s: d.ageMs === null ? null : Math.floor(d.ageMs / 1000) }, now);
  }

  /** The sources' judgement for `currency` now (null when no selected source quotes it). */
  aggregate(currency: string, c = this.opts.config(), now = this.opts.clock.now()): Aggregate {
    const ids = sourcesQuoting(currency, c.rates.sources);
    const policy = policyOf(c.rates);
    // A quote older than the limit cannot count, but the newest stale one still tells the age.
    const quotes = latestQuotes(this.opts.db, currency, now - Math.max(policy.maxAgeMs * 6, REFERENCE_MS), ids);
    return aggregateQuotes(currency, quotes, now, policy);
  }

  private decideWith(currency: string, c: RatesConfig, now: number, agg: Aggregate): RateDecision {
    const manualRate = c.manual[currency];
    const setAt = c.manualSetAt[currency];
    return decideRate({
      currency,
      manual: manualRate ? { rate: manualRate, setAt: setAt ? Date.parse(setAt) : null } : null,
      aggregate: agg,
      spreadBp: pctToBp(c.rates.spread_pct),
      now,
      noLive: noLiveReason(currency, c),
    });
  }

  /** Which rate a fiat invoice in `currency` gets now, or why none (the message carries the age). */
  decide(currency: string, now = this.opts.clock.now()): RateDecision {
    const c = this.opts.config();
    return this.decideWith(currency, c, now, this.aggregate(currency, c, now));
  }
}

/** The rates room's view of the settings (manual rates live in `fiat`, the proxy in `electrum`). */
export function ratesConfig(s: {
  fiat: { currency: string; rates: Record<string, string>; rates_set_at: Record<string, string> };
  rates: RatesSettings;
  electrum: { proxy: string | null };
}): RatesConfig {
  return { currency: s.fiat.currency, manual: s.fiat.rates, manualSetAt: s.fiat.rates_set_at, rates: s.rates, proxy: s.electrum.proxy };
}
