/**
 * Today: the day's totals a shop owner reads at closing time (docs/books.md#the-daily-report), printable on one page;
 * the owner may pick any range and download that range's payments.csv, whose sum is the report's net. A cashier sees
 * today only. Every figure comes from GET /reports/daily; nothing is summed here.
 */
import { useEffect, useState } from 'react';
import type { MethodOutput } from '../../../shared/contract.ts';
import { call } from '../api.ts';
import { isOwner, useConsole } from '../store.ts';
import { errorText, fmtFiat, fmtSats, formatBtc } from '../format.ts';
import { downloadExport } from '../exports.ts';
import '../books.css';

type Report = MethodOutput<'dailyReport'>;
type Day = Report['totals'];
type Money = Day['received'];

const TZ = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Today's date (YYYY-MM-DD) where this console runs. */
export function localDate(d = new Date()): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function FiatList({ m, negative }: { m: Money; negative?: boolean }) {
  if (!m.fiat.length) return null;
  return (
    <span className="fiat-list">
      {m.fiat.map((f) => {
        const valued = m.count - f.missing;
        return (
          <span key={f.currency}>
            {valued > 0 && `${negative ? '−' : ''}${fmtFiat(f.amount, f.currency)}`}
            {f.missing > 0 && (
              <span className="muted small" title="no exchange rate for that moment: see fiat_note in the payments export">
                {valued > 0 ? ` (+${f.missing} without a ${f.currency} rate)` : `${f.missing} without a ${f.currency} rate`}
              </span>
            )}
          </span>
        );
      })}
    </span>
  );
}

function Figure({ label, noun, m, negative, testId }: { label: string; noun: [string, string]; m: Money; negative?: boolean; testId: string }) {
  return (
    <div className="figure" data-testid={testId}>
      <div className="figure-label">{label}</div>
      <div className="figure-value mono">
        {negative && m.sats ? '−' : ''}
        {formatBtc(m.sats)} BTC
      </div>
      <div className="small">
        {fmtSats(m.sats)} · {m.count} {m.count === 1 ? noun[0] : noun[1]}
      </div>
      <div className="small">
        <FiatList m={m} negative={negative} />
      </div>
    </div>
  );
}

export function TodayScreen() {
  const owner = useConsole(isOwner);
  const eventSeq = useConsole((s) => s.eventSeq);
  const showToast = useConsole((s) => s.showToast);
  const [from, setFrom] = useState(localDate());
  const [to, setTo] = useState(localDate());
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Live: events re-read the report, at most every half second.
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setTimeout(() => setTick((n) => n + 1), 500);
    return () => clearTimeout(t);
  }, [eventSeq]);
  useEffect(() => {
    let gone = false;
    const query = owner ? { from, to, tz: TZ } : {};
    call('dailyReport', { query }).then(
      (r) => {
        if (gone) return;
        setReport(r);
        setError(null);
      },
      (e: unknown) => !gone && setError(errorText(e)),
    );
    return () => {
      gone = true;
    };
  }, [from, to, owner, tick]);

  const t = report?.totals;
  const single = from === to;
  return (
    <section className="today">
      <header className="screen-head">
        <h1>{single && from === localDate() ? 'Today' : single ? `Day ${from}` : `${from} to ${to}`}</h1>
        <div className="toolbar no-print">
          {owner && (
            <>
              <label className="inline">
                From <input type="date" aria-label="From" value={from} max={to} onChange={(e) => e.target.value && setFrom(e.target.value)} />
              </label>
              <label className="inline">
                To <input type="date" aria-label="To" value={to} min={from} onChange={(e) => e.target.value && setTo(e.target.value)} />
              </label>
              <button type="button" onClick={() => void downloadExport('exportPayments', { from, to, tz: TZ }).catch((e: unknown) => showToast(errorText(e)))}>
                Payments CSV
              </button>
            </>
          )}
          <button type="button" className="primary" onClick={() => window.print()}>
            Print
          </button>
        </div>
      </header>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!t ? (
        <p className="loading">Loading…</p>
      ) : (
        <>
          <div className="figures">
            <Figure label="Received" noun={['payment', 'payments']} m={t.received} testId="today-received" />
            <Figure label="Refunds" noun={['refund', 'refunds']} m={t.refunds} negative testId="today-refunds" />
            <div className="figure net" data-testid="today-net">
              <div className="figure-label">Net</div>
              <div className="figure-value mono">{t.net_sats < 0 ? `−${formatBtc(-t.net_sats)}` : formatBtc(t.net_sats)} BTC</div>
              <div className="small">{fmtSats(t.net_sats)}: received + unattributed − refunds</div>
            </div>
            <Figure label="Unattributed" noun={['payment', 'payments']} m={t.unattributed} testId="today-unattributed" />
          </div>
          <p data-testid="today-invoices">
            Invoices: <strong>{t.invoices.created}</strong> created, <strong>{t.invoices.paid}</strong> paid,{' '}
            <strong>{t.invoices.confirmed}</strong> confirmed.
          </p>
          {report.days.length > 1 && (
            <table className="table">
              <thead>
                <tr>
                  <th>Day</th>
                  <th>Created</th>
                  <th>Paid</th>
                  <th>Confirmed</th>
                  <th>Received</th>
                  <th>Refunds</th>
                  <th>Net (sats)</th>
                </tr>
              </thead>
              <tbody>
                {report.days.map((d) => (
                  <tr key={d.date}>
                    <td>{d.date}</td>
                    <td>{d.invoices.created}</td>
                    <td>{d.invoices.paid}</td>
                    <td>{d.invoices.confirmed}</td>
                    <td className="mono">{d.received.sats.toLocaleString('en-US')}</td>
                    <td className="mono">{d.refunds.sats.toLocaleString('en-US')}</td>
                    <td className="mono">{d.net_sats.toLocaleString('en-US')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="hint">
            Days in {report.tz}. Received counts payments by the time Satdesk saw them; refunds by the time they were recorded.
            Generated {new Date(report.generated_at).toLocaleString()}.
          </p>
        </>
      )}
    </section>
  );
}
