/** The status bar's rate: the shop currency's rate, its sources and its age — or, loudly, why there is none. */
import { formatAge } from '../../../core/rates.ts';
import { ageNow, fmtRate, useCurrencyRate, useRates, useTick } from './useRates.ts';

export function RateStatus() {
  const { rates, fetchedAt } = useRates();
  const r = useCurrencyRate();
  const now = useTick(1000);
  if (!rates || !r) return null;
  const age = ageNow(r.age_s, fetchedAt, now);
  if (!r.ok) {
    return (
      <a href="#/settings" className="warn" data-testid="rate-status" data-ok="false" title={r.message ?? ''}>
        No {r.currency} rate{age !== null ? ` (${formatAge(age)} old)` : ''}
      </a>
    );
  }
  const by = r.kind === 'manual' ? 'manual rate' : `${r.sources.length} source${r.sources.length === 1 ? '' : 's'}`;
  return (
    <span data-testid="rate-status" data-ok="true" title={r.kind === 'live' ? `Median of ${r.sources.join(', ')}` : 'Set by hand in Settings'}>
      1 BTC = {fmtRate(r.rate!)} {r.currency} · {by} · <span data-testid="rate-age">{age !== null ? formatAge(age) : '—'}</span>
    </span>
  );
}
