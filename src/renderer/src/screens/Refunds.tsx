/**
 * Recording a refund (docs/books.md#refunds): the amount prefilled with the excess of an overpaid invoice or with what
 * an unfinished one received, the customer's address, a note; once recorded, a BIP21 QR and link for the merchant's
 * own wallet to pay it. Satdesk then watches the address and fills in the transaction itself.
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { Invoice, MethodOutput } from '../../../shared/contract.ts';
import { call } from '../api.ts';
import { useConsole } from '../store.ts';
import { Qr } from '../Qr.tsx';
import { copyText, errorText, fmtSats, formatBtc, short } from '../format.ts';

type Refund = MethodOutput<'addRefund'>;

/** What a refund of this invoice is most likely to be: the excess when overpaid, else everything still refundable. */
export function suggestedRefund(inv: Pick<Invoice, 'overpaid_sats' | 'refundable_sats'>): number {
  return inv.overpaid_sats > 0 ? Math.min(inv.overpaid_sats, inv.refundable_sats) : inv.refundable_sats;
}

/** The next step an invoice offers when money must go back (an overpaid or unfinished invoice), or null. */
export function refundStep(inv: Invoice): string | null {
  if (inv.refundable_sats <= 0) return null;
  const excess = inv.overpaid_sats - inv.refunded_sats;
  if (excess > 0) return `Overpaid by ${fmtSats(excess)}: refund the excess to the customer.`;
  if (inv.status === 'partial') return `Only ${fmtSats(inv.paid_sats)} of ${fmtSats(inv.due_sats)} arrived: ask the customer for the rest, or refund what was received.`;
  if (inv.status === 'expired' || inv.status === 'cancelled') return `${fmtSats(inv.refundable_sats)} arrived for an invoice that will not be completed: refund it.`;
  return null;
}

export function RefundDialog({ invoice, onClose }: { invoice: Invoice; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const showToast = useConsole((s) => s.showToast);
  const [sats, setSats] = useState(String(suggestedRefund(invoice)));
  const [address, setAddress] = useState('');
  const [note, setNote] = useState(invoice.overpaid_sats > 0 ? 'Overpayment returned' : '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<Refund | null>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  const amount = /^\d{1,16}$/.test(sats) ? Number(sats) : NaN;

  const submit = (): void => {
    setBusy(true);
    setError(null);
    call('addRefund', { params: { id: invoice.id }, body: { sats: amount, address: address.trim() || null, note: note.trim() } }).then(
      (r) => {
        setBusy(false);
        setDone(r);
        showToast('Refund recorded');
      },
      (e: unknown) => {
        setBusy(false);
        setError(errorText(e));
      },
    );
  };

  return (
    <dialog ref={ref} className="dialog refund-dialog" aria-labelledby={titleId} onClose={onClose} onCancel={onClose}>
      {!done ? (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            if (!busy && Number.isSafeInteger(amount) && amount > 0) submit();
          }}
        >
          <h2 id={titleId}>Refund</h2>
          <p className="small">
            Received {fmtSats(invoice.paid_sats)}
            {invoice.refunded_sats > 0 && <>, already refunded {fmtSats(invoice.refunded_sats)}</>}: at most {fmtSats(invoice.refundable_sats)} can go back.
          </p>
          <label className="field">
            Amount (sats)
            <input inputMode="numeric" value={sats} onChange={(e) => setSats(e.target.value.replace(/[^\d]/g, ''))} aria-describedby={`${titleId}-btc`} />
            <span id={`${titleId}-btc`} className="small muted">
              {Number.isSafeInteger(amount) ? `${formatBtc(amount)} BTC` : ''}
            </span>
          </label>
          <label className="field">
            Customer&apos;s refund address
            <input value={address} spellCheck={false} autoComplete="off" placeholder="bc1q…" onChange={(e) => setAddress(e.target.value)} />
            <span className="small muted">Satdesk watches it and fills in the refund&apos;s transaction when your wallet pays it.</span>
          </label>
          <label className="field">
            Note
            <input value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />
          </label>
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
          <div className="actions">
            <button type="button" onClick={() => ref.current?.close()}>
              Go back
            </button>
            <button type="submit" className="primary" disabled={busy || !(amount > 0)}>
              {busy ? 'Working…' : 'Record refund'}
            </button>
          </div>
        </form>
      ) : (
        <div>
          <h2 id={titleId}>Refund recorded</h2>
          {done.bip21 ? (
            <>
              <p>Pay it from your wallet: scan the code or open the link. The transaction appears here by itself.</p>
              <Qr text={done.bip21} label="Refund payment QR code" className="qr refund-qr" />
              <p className="actions">
                <a className="button primary" href={done.bip21} data-testid="refund-bip21">
                  Open in wallet
                </a>
                <button type="button" onClick={() => void copyText(done.bip21!).then(() => showToast('Refund link copied'))}>
                  Copy link
                </button>
              </p>
              <p className="small mono wrap">{done.address}</p>
            </>
          ) : (
            <p>No address was given: record the transaction id on the invoice once the refund is paid.</p>
          )}
          <div className="actions">
            <button type="button" className="primary" autoFocus onClick={() => ref.current?.close()}>
              Done
            </button>
          </div>
        </div>
      )}
    </dialog>
  );
}

const REFUND_STATE: Record<Refund['state'], string> = { recorded: 'Waiting for the payment', sent: 'Sent, unconfirmed', confirmed: 'Confirmed' };

/**
 * The refunds of an invoice: each with its state, the transaction Satdesk found (or was given) and its confirmations,
 * a link to pay it while it is waiting; and the next step an overpaid or unfinished invoice offers.
 */
export function RefundsPanel({ invoice, canRefund }: { invoice: Invoice; canRefund: boolean }) {
  const [open, setOpen] = useState(false);
  const step = refundStep(invoice);
  if (!invoice.refunds.length && !(canRefund && invoice.refundable_sats > 0)) return null;
  return (
    <section className="refunds" aria-labelledby="refunds-h">
      <h2 id="refunds-h">Refunds</h2>
      {canRefund && step && (
        <p className="next-step" data-testid="refund-step">
          {step}{' '}
          <button type="button" className="primary small" onClick={() => setOpen(true)}>
            Refund…
          </button>
        </p>
      )}
      {invoice.refunds.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>Amount</th>
              <th>To</th>
              <th>State</th>
              <th>Transaction</th>
              <th>Confirmations</th>
              <th>Note</th>
            </tr>
          </thead>
          <tbody>
            {invoice.refunds.map((r) => (
              <tr key={r.id} data-testid="refund-row" data-state={r.state}>
                <td>
                  {fmtSats(r.sats)}
                  {r.fiat.amount && <div className="small muted">{r.fiat.amount.replace(/^-/, '')} {r.fiat.currency}</div>}
                </td>
                <td className="mono small wrap">{r.address ?? '—'}</td>
                <td>{REFUND_STATE[r.state]}</td>
                <td className="mono" title={r.txid ?? ''} data-testid="refund-txid">
                  {r.txid ? short(r.txid, 10) : r.bip21 ? (
                    <a href={r.bip21} className="small">
                      Pay from your wallet
                    </a>
                  ) : (
                    '—'
                  )}
                </td>
                <td data-testid="refund-confirmations">{r.confirmations}</td>
                <td>{r.note || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canRefund && !step && invoice.refundable_sats > 0 && (
        <p>
          <button type="button" onClick={() => setOpen(true)}>
            Refund…
          </button>{' '}
          <span className="small muted">up to {fmtSats(invoice.refundable_sats)}</span>
        </p>
      )}
      {open && <RefundDialog invoice={invoice} onClose={() => setOpen(false)} />}
    </section>
  );
}
