/**
 * Settings → Exchange rates (docs/rates.md): the shop's currency, a manual rate (wins when set), the sources to ask
 * with each one's last answer or error, how often, how old a rate may get, outliers and spread, and what fetching
 * rates tells the sources (the privacy trade-off).
 */
import { useState, type FormEvent } from 'react';
import type { Settings } from '../../../shared/contract.ts';
import type { RatesSettings as RatesSettingsValue } from '../../../shared/contract-rates.ts';
import { formatAge } from '../../../core/rates.ts';
import { quotedCurrencies, RATE_SOURCE_IDS, type RateSourceId } from '../../../core/rates-sources.ts';
import { call } from '../api.ts';
import { useConsole } from '../store.ts';
import { errorText, fmtTime } from '../format.ts';
import { ageNow, fmtRate, useRates, useTick } from './useRates.ts';

const CURRENCIES = quotedCurrencies();

function CurrentRate() {
  const { rates, fetchedAt, refreshing, refreshNow, error } = useRates();
  const now = useTick(1000);
  const r = rates?.rates.find((x) => x.currency === rates.currency);
  if (!rates || !r) return error ? <p className="error">{error}</p> : <p className="loading">Loading rates…</p>;
  const age = ageNow(r.age_s, fetchedAt, now);
  const names = r.sources.map((id) => rates.sources.find((s) => s.id === id)?.name ?? id);
  return (
    <div className="rate-now" data-testid="rate-now">
      {r.ok ? (
        <p>
          <strong>
            1 BTC = {fmtRate(r.rate!)} {r.currency}
          </strong>{' '}
          {r.kind === 'manual' ? 'manual rate' : `median of ${names.join(', ')}`}
          {r.market_rate !== r.rate && ` (market ${fmtRate(r.market_rate!)}, with the spread)`} · {age !== null ? `${formatAge(age)} old` : 'age unknown'}
        </p>
      ) : (
        <p role="alert" className="error">
          {r.message}
        </p>
      )}
      {r.kind === 'manual' && r.live.rate && <p className="muted">The sources say {fmtRate(r.live.rate)} {r.currency}; remove the manual rate to use it.</p>}
      <button type="button" onClick={() => void refreshNow()} disabled={refreshing}>
        {refreshing ? 'Asking the sources…' : 'Refresh now'}
      </button>
    </div>
  );
}

function SourceRows({ selected, toggle }: { selected: RateSourceId[]; toggle(id: RateSourceId): void }) {
  const { rates } = useRates();
  if (!rates) return null;
  const cur = rates.rates.find((x) => x.currency === rates.currency);
  return (
    <table className="rate-sources">
      <thead>
        <tr>
          <th>Use</th>
          <th>Source</th>
          <th>{rates.currency}</th>
          <th>Last answer</th>
        </tr>
      </thead>
      <tbody>
        {rates.sources.map((s) => {
          const q = cur?.live.quotes.find((x) => x.source === s.id);
          const quotes = s.currencies.includes(rates.currency);
          const lastRate = s.last_rates[rates.currency];
          return (
            <tr key={s.id} data-source={s.id} className={s.error && s.selected ? 'source-error' : ''}>
              <td>
                <input type="checkbox" checked={selected.includes(s.id)} onChange={() => toggle(s.id)} aria-label={`Use ${s.name}`} />
              </td>
              <td>
                <a href={s.docs} target="_blank" rel="noreferrer">
                  {s.name}
                </a>{' '}
                <span className="muted small">{s.host}</span>
              </td>
              <td>
                {!quotes ? (
                  <span className="muted">does not quote {rates.currency}</span>
                ) : q ? (
                  <span className={`chip ${q.state === 'used' ? 'success' : 'flag'}`} title={q.deviation_pct ? `${q.deviation_pct} % from the median` : undefined}>
                    {fmtRate(q.rate)} · {q.state}
                    {q.state === 'outlier' && q.deviation_pct ? ` ${q.deviation_pct} %` : ''}
                  </span>
                ) : (
                  '—'
                )}
              </td>
              <td data-testid={`source-${s.id}`}>
                {s.error && <span className="error">{s.error}</span>}
                {!s.error && lastRate && `${fmtRate(lastRate)} ${rates.currency}`}
                {!s.error && !lastRate && (s.last_ok_at ? 'answered' : s.selected ? 'not asked yet' : 'not selected')}
                {s.last_ok_at && (
                  <span className="muted small">
                    {' '}
                    · {s.error ? 'last good answer' : 'at'} {fmtTime(s.last_ok_at)}
                    {s.error && lastRate ? ` (${fmtRate(lastRate)})` : ''}
                  </span>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function RatesSettings({ s }: { s: Settings }) {
  const showToast = useConsole((st) => st.showToast);
  const { rates } = useRates();
  const [currency, setCurrency] = useState(s.fiat.currency);
  const [manual, setManual] = useState(s.fiat.rates[s.fiat.currency] ?? '');
  const [r, setR] = useState<RatesSettingsValue>(s.rates);
  const [extra, setExtra] = useState(s.rates.currencies.join(', '));
  const [error, setError] = useState<string | null>(null);
  const setAt = s.fiat.rates_set_at[currency];
  const toggle = (id: RateSourceId): void =>
    setR({ ...r, sources: RATE_SOURCE_IDS.filter((x) => (x === id ? !r.sources.includes(x) : r.sources.includes(x))) });
  const num = (k: 'refresh_s' | 'outlier_pct' | 'min_sources' | 'spread_pct', label: string, step = '1') => (
    <label>
      {label}
      <input type="number" step={step} min={0} value={r[k]} onChange={(e) => setR({ ...r, [k]: Number(e.target.value) })} aria-label={label} />
    </label>
  );
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(null);
    const manualRates = { ...s.fiat.rates };
    if (manual.trim()) manualRates[currency] = manual.trim();
    else delete manualRates[currency];
    const currencies = extra
      .split(/[\s,]+/)
      .map((c) => c.trim().toUpperCase())
      .filter(Boolean);
    try {
      const next = await call('patchSettings', { body: { fiat: { currency, rates: manualRates }, rates: { ...r, currencies } } });
      useConsole.setState({ settings: next });
      showToast('Exchange rates saved');
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <section className="panel" data-testid="rates-settings">
      <h2>Exchange rates</h2>
      <CurrentRate />
      <form className="form-grid" onSubmit={(e) => void submit(e)}>
        <label>
          Shop currency
          <input value={currency} list="rate-currencies" onChange={(e) => setCurrency(e.target.value.toUpperCase())} maxLength={8} aria-label="Shop currency" />
          <datalist id="rate-currencies">
            {CURRENCIES.map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
        </label>
        <label title="When set, this rate is used instead of the sources', and never goes stale.">
          Manual rate ({currency} per 1 BTC, empty = live)
          <input value={manual} onChange={(e) => setManual(e.target.value)} placeholder="live" inputMode="decimal" aria-label="Manual rate" />
          {manual && setAt && <span className="small">set {formatAge(Date.now() - Date.parse(setAt))} ago</span>}
        </label>
        <label>
          Stale after (minutes)
          <input
            type="number"
            min={1}
            value={Math.round(r.max_age_s / 60)}
            onChange={(e) => setR({ ...r, max_age_s: Math.round(Number(e.target.value) * 60) })}
            aria-label="Stale after (minutes)"
          />
        </label>
        {num('refresh_s', 'Ask every (seconds)')}
        {num('spread_pct', 'Spread (%, the customer pays more)', '0.01')}
        {num('outlier_pct', 'Outlier beyond (% from the median)', '0.01')}
        {num('min_sources', 'Sources that must agree')}
        <label>
          Also fetch (currencies)
          <input value={extra} onChange={(e) => setExtra(e.target.value)} placeholder="USD, GBP" aria-label="Also fetch" />
        </label>
        <SourceRows selected={r.sources} toggle={toggle} />
        <button type="submit" className="primary">
          Save
        </button>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <p className="muted" data-testid="rates-privacy">
        Privacy: every {r.refresh_s} s each selected source learns that {rates?.via_proxy ? 'someone behind your proxy' : 'this computer'} checks
        the bitcoin price in {[currency, ...r.currencies].join(', ')}. They never see an invoice, an amount or an address.{' '}
        {rates?.via_proxy
          ? 'Requests go through the SOCKS5 proxy of the Electrum settings, each source on its own Tor circuit, names resolved by the proxy.'
          : 'Requests go directly from this computer: set a SOCKS5 proxy (Tor) under Electrum servers to hide your address, select fewer sources, or use a manual rate, which asks nobody.'}
      </p>
    </section>
  );
}
