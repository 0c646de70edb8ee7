/**
 * What `GET /rates` answers (src/shared/contract-rates.ts): per currency the rate an invoice gets now with its
 * sources and ages (or why none), each source's last answer or error, and the settings behind them.
 */
import type { Rates, CurrencyRate } from '../../shared/contract-rates.ts';
import { RATE_SOURCE_IDS, RATE_SOURCES } from '../../core/rates-sources.ts';
import type { DB } from '../store/sqlite.ts';
import { wantedCurrencies, type LiveRates, type RatesConfig } from './live.ts';
import { sourceStatuses } from './store.ts';

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
const ageS = (now: number, t: number | null): number | null => (t === null ? null : Math.max(0, Math.floor((now - t) / 1000)));

export function currencyRate(live: LiveRates, c: RatesConfig, currency: string, now: number): CurrencyRate {
  const agg = live.aggregate(currency, c, now);
  const d = live.decide(currency, now);
  const manualRate = c.manual[currency];
  const setAt = c.manualSetAt[currency] ? Date.parse(c.manualSetAt[currency]) : null;
  // For a refusal, the time of the newest quote (the age the message gives).
  const at = d.ok ? d.at || null : d.ageMs === null ? null : now - d.ageMs;
  return {
    currency,
    ok: d.ok,
    rate: d.ok ? d.rate : null,
    market_rate: d.ok ? d.market : null,
    kind: d.ok ? d.kind : null,
    sources: d.ok ? d.sources : [],
    at: iso(at),
    age_s: ageS(now, at),
    message: d.ok ? null : d.message,
    manual: manualRate ? { rate: manualRate, set_at: iso(setAt), age_s: ageS(now, setAt) } : null,
    live: {
      rate: agg.rate,
      reason: agg.reason,
      quotes: agg.quotes.map((q) => ({
        source: q.source,
        rate: q.rate,
        at: iso(q.at)!,
        age_s: ageS(now, q.at)!,
        state: q.state,
        deviation_pct: q.deviation,
      })),
    },
  };
}

export function ratesView(db: DB, live: LiveRates, c: RatesConfig, now: number): Rates {
  const currencies = [...new Set([...wantedCurrencies(c), ...Object.keys(c.manual).sort()])];
  const statuses = sourceStatuses(db);
  return {
    currency: c.currency,
    rates: currencies.map((cur) => currencyRate(live, c, cur, now)),
    sources: RATE_SOURCE_IDS.map((id) => {
      const s = statuses.get(id);
      const info = RATE_SOURCES[id];
      return {
        id,
        name: info.name,
        host: info.host,
        docs: info.docs,
        selected: c.rates.sources.includes(id),
        currencies: [...info.currencies],
        last_attempt_at: iso(s?.last_attempt_at ?? null),
        last_ok_at: iso(s?.last_ok_at ?? null),
        duration_ms: s?.duration_ms ?? null,
        error: s?.last_error ?? null,
        last_rates: s ? (JSON.parse(s.last_rates) as Record<string, string>) : {},
      };
    }),
    settings: c.rates,
    via_proxy: c.proxy !== null,
    last_round_at: iso(live.lastRoundAt),
    next_round_at: iso(live.nextRoundAt),
  };
}
