/**
 * The totals of every invoice the list's filter matches (GET /reports/invoices, docs/books.md#the-daily-report): what
 * they asked, received, still miss and refunded, and their fiat prices. Re-read when the filter changes and, at most
 * every second, when invoices change.
 */
import { useEffect, useState } from 'react';
import type { MethodOutput } from '../../../shared/contract.ts';
import { call } from '../api.ts';
import { useConsole } from '../store.ts';
import { errorText, fmtFiat, fmtSats } from '../format.ts';

type Totals = MethodOutput<'invoiceTotals'>;

export function InvoiceTotals({ filter }: { filter: Record<string, string | undefined> }) {
  const eventSeq = useConsole((s) => s.eventSeq);
  const [tick, setTick] = useState(0);
  const [totals, setTotals] = useState<Totals | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const t = setTimeout(() => setTick((n) => n + 1), 1000);
    return () => clearTimeout(t);
  }, [eventSeq]);
  useEffect(() => {
    let gone = false;
    call('invoiceTotals', { query: filter }).then(
      (t) => {
        if (gone) return;
        setTotals(t);
        setError(null);
      },
      (e: unknown) => !gone && setError(errorText(e)),
    );
    return () => {
      gone = true;
    };
  }, [filter, tick]);
  if (error) return <p className="hint error">Totals: {error}</p>;
  if (!totals) return <p className="totals muted">Totals…</p>;
  return (
    <p className="totals" data-testid="invoice-totals" aria-live="polite">
      <strong>
        {totals.count.toLocaleString('en-US')} invoice{totals.count === 1 ? '' : 's'}
      </strong>
      {' · '}asked {fmtSats(totals.amount_sats)}
      {' · '}received {fmtSats(totals.paid_sats)} ({fmtSats(totals.confirmed_sats)} confirmed)
      {totals.missing_sats > 0 && <> · missing {fmtSats(totals.missing_sats)}</>}
      {totals.overpaid_sats > 0 && <> · overpaid {fmtSats(totals.overpaid_sats)}</>}
      {totals.refunded_sats > 0 && <> · refunded {fmtSats(totals.refunded_sats)}</>}
      {' · '}net {fmtSats(totals.net_sats)}
      {totals.fiat.map((f) => (
        <span key={f.currency}> · priced {fmtFiat(f.amount, f.currency)}</span>
      ))}
    </p>
  );
}
