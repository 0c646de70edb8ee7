/**
 * A printable receipt: for the seller after a payment (`#/receipt/<invoice>`), and for the customer through the
 * link they keep (`#/r/<key>`, no token needed). The amount as sold (fiat first), the tip, the items, BTC and
 * sats, the transaction(s), the refund policy, and a QR of the receipt link when a phone can open it.
 */
import { useEffect, useState } from 'react';
import type { Receipt } from '../../../shared/contract-counter.ts';
import { call } from '../api.ts';
import { Qr } from '../Qr.tsx';
import { errorText, fmtFiat, fmtSats, fmtTime, reachableFromPhones, STATUS_LABEL } from '../format.ts';
import { ErrorText } from '../ErrorText.tsx';

function ReceiptView({ r, link }: { r: Receipt; link: string }) {
  const cur = r.fiat?.currency;
  const money = (fiat: string | null | undefined, sats: number): string => (fiat && cur ? fmtFiat(fiat, cur) : fmtSats(sats));
  const paid = r.status === 'paid' || r.status === 'confirmed';
  return (
    <article className="receipt" data-testid="receipt" data-status={r.status}>
      <header>
        <h1>{r.shop_name || 'Receipt'}</h1>
        <p className="muted">
          {r.shop_name ? 'Receipt' : ''} {r.id} · {fmtTime(r.created_at)}
        </p>
      </header>
      {r.items && (
        <table className="receipt-lines">
          <caption className="sr-only">Items</caption>
          <tbody>
            {r.items.map((l) => (
              <tr key={`${l.name}|${l.price}`}>
                <td>
                  {l.qty}× {l.name}
                </td>
                <td className="num">{cur ? fmtFiat(l.price, cur) : l.price}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!r.items && r.label && <p className="receipt-label">{r.label}</p>}
      <dl className="receipt-sums">
        {r.tip && (
          <>
            <dt>Tip</dt>
            <dd>{money(r.tip.fiat, r.tip.sats)}</dd>
          </>
        )}
        <dt className="total">Total</dt>
        <dd className="total" data-testid="receipt-total">
          {r.fiat ? fmtFiat(r.fiat.amount, r.fiat.currency) : `${r.amount_btc} BTC`}
        </dd>
        <dt>In bitcoin</dt>
        <dd>
          {r.amount_btc} BTC ({fmtSats(r.amount_sats)})
        </dd>
        {r.fiat && (
          <>
            <dt>Rate</dt>
            <dd>
              {fmtFiat(r.fiat.rate, r.fiat.currency)} per BTC
            </dd>
          </>
        )}
        <dt>Status</dt>
        <dd data-testid="receipt-status">{paid ? (r.status === 'confirmed' ? 'Paid and confirmed' : 'Paid — waiting for confirmation') : STATUS_LABEL[r.status]}</dd>
        <dt>Paid to</dt>
        <dd className="mono wrap">{r.address}</dd>
      </dl>
      {r.payments.length > 0 && (
        <>
          <h2>Payment{r.payments.length > 1 ? 's' : ''}</h2>
          <ul className="receipt-payments">
            {r.payments.map((p) => (
              <li key={p.txid}>
                <span className="mono wrap">{p.txid}</span> · {fmtSats(p.sats)} · {fmtTime(p.time)}
              </li>
            ))}
          </ul>
        </>
      )}
      {r.refund_policy && (
        <>
          <h2>Refunds</h2>
          <p className="refund-policy">{r.refund_policy}</p>
        </>
      )}
      {reachableFromPhones() && (
        <div className="receipt-link">
          <div className="receipt-qr-box">
            <Qr text={link} label="Receipt link QR code" />
          </div>
          <p className="small wrap">
            Keep this receipt: <a href={link}>{link}</a>
          </p>
        </div>
      )}
      <p className="small muted">
        {r.network === 'mainnet' ? 'Bitcoin' : `Bitcoin ${r.network} (test coins, no value)`} · watch-only, no keys held by this shop&apos;s till.
      </p>
    </article>
  );
}

function useReceipt(load: () => Promise<{ r: Receipt; path: string }>, dep: string): [{ r: Receipt; path: string } | null, string | null] {
  const [state, setState] = useState<{ r: Receipt; path: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    load().then(setState, (e: unknown) => setError(errorText(e)));
  }, [dep]);
  return [state, error];
}

/** The seller's receipt for an invoice, with Print. */
export function SellerReceipt({ id }: { id: string }) {
  const [st, error] = useReceipt(async () => {
    const { key, path } = await call('createReceipt', { params: { id } });
    return { r: await call('getReceipt', { params: { key } }), path };
  }, id);
  if (error) return <p role="alert" className="error">{error}</p>;
  if (!st) return <p className="loading">Loading receipt…</p>;
  return (
    <section className="receipt-screen">
      <div className="actions no-print">
        <button type="button" className="primary" onClick={() => window.print()}>
          Print receipt
        </button>
        <a className="button" href={`#/sell/${encodeURIComponent(id)}`}>
          Back to the sale
        </a>
        <a className="button" href="#/sell">
          New sale
        </a>
      </div>
      <ReceiptView r={st.r} link={`${location.origin}${st.path}`} />
    </section>
  );
}

/** The customer's copy, opened from the receipt link: no token, nothing else of the console. */
export function PublicReceipt({ receiptKey }: { receiptKey: string }) {
  const [st, error] = useReceipt(async () => ({ r: await call('getReceipt', { params: { key: receiptKey } }), path: `/#/r/${receiptKey}` }), receiptKey);
  return (
    <main className="receipt-screen public">
      <ErrorText error={error} />
      {!st && !error && <p className="loading">Loading receipt…</p>}
      {st && (
        <>
          <ReceiptView r={st.r} link={`${location.origin}${st.path}`} />
          <div className="actions no-print">
            <button type="button" onClick={() => window.print()}>
              Print or save as PDF
            </button>
          </div>
        </>
      )}
    </main>
  );
}
