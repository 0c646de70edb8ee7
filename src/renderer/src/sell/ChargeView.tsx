/**
 * The invoice while the customer pays: the amount as typed (fiat first) as the heading, the QR (only while the
 * invoice can still be paid), the remainder as the hero after a partial payment, and two distinct looks for "paid,
 * waiting for a confirmation" and "paid and confirmed". Esc or N starts a new sale.
 */
import { useEffect, useRef, useState } from 'react';
import type { Invoice } from '../../../shared/contract.ts';
import { formatBtc } from '../../../core/money.ts';
import { call } from '../api.ts';
import { useConsole, isOwner } from '../store.ts';
import { navigate } from '../router.ts';
import { Qr } from '../Qr.tsx';
import { copyText, fiatOf, fmtCountdown, fmtFiat, fmtSats, heroAmount, qrUri, remainingText, STATUS_LABEL } from '../format.ts';
import { playPaidTone } from '../sound.ts';
import { useLiveInvoice } from '../live.ts';
import { useConfirm } from '../Dialog.tsx';
import { ChainBanner } from './parts.tsx';
import { DemoPayControls } from './DemoPay.tsx';
import { setTillPrompt } from './sale.ts';

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

export const payable = (s: Invoice['status']): boolean => s === 'unpaid' || s === 'partial';

/** What the status line says, and its look: waiting, partial, pending (paid, not yet confirmed), done, dead. */
export function statusLine(inv: Pick<Invoice, 'status' | 'confirmations_required'>): { text: string; tone: string; icon: string } {
  switch (inv.status) {
    case 'unpaid':
      return { text: 'Waiting for payment', tone: 'waiting', icon: '' };
    case 'partial':
      return { text: 'Partly paid — waiting for the rest', tone: 'partial', icon: '◐' };
    case 'paid':
      return inv.confirmations_required > 0
        ? { text: 'Paid — waiting for confirmation', tone: 'pending', icon: '◔' }
        : { text: 'Paid', tone: 'done', icon: '✓' };
    case 'confirmed':
      return { text: 'Paid and confirmed', tone: 'done', icon: '✓' };
    default:
      return { text: `${STATUS_LABEL[inv.status]} — do not pay this request`, tone: 'dead', icon: '✕' };
  }
}

export function openCustomerDisplay(tillId: string | null): void {
  const url = `${location.pathname}${location.search}#/customer${tillId ? `/${encodeURIComponent(tillId)}` : ''}`;
  window.open(url, `satdesk-customer-${tillId ?? 'default'}`, 'popup,width=900,height=700');
}

export function ChargeView({ id }: { id: string }) {
  const [inv, error] = useLiveInvoice(id);
  const owner = useConsole(isOwner);
  const tillId = useConsole((s) => s.tillId);
  const showToast = useConsole((s) => s.showToast);
  const open = inv ? payable(inv.status) : false;
  const now = useNow(open);
  const prev = useRef<string | null>(null);
  const [ask, dialog] = useConfirm();

  useEffect(() => {
    if (!inv) return;
    const was = prev.current;
    prev.current = inv.status;
    if (was && was !== inv.status && (inv.status === 'paid' || (inv.status === 'confirmed' && was !== 'paid'))) playPaidTone();
    // Paid: a receipt link for the customer's display (the key is made once, on first use).
    if ((inv.status === 'paid' || inv.status === 'confirmed') && inv.till_id) void call('createReceipt', { params: { id: inv.id } }).catch(() => {});
  }, [inv]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey || document.querySelector('dialog[open]')) return;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) return;
      if (e.key === 'Escape' || e.key === 'n' || e.key === 'N') {
        e.preventDefault();
        setTillPrompt(tillId, null);
        navigate('sell');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [tillId]);

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!inv) return <p className="loading">Loading invoice…</p>;
  const line = statusLine(inv);
  const partial = inv.status === 'partial' && inv.missing_sats > 0;
  const done = inv.status === 'paid' || inv.status === 'confirmed';
  const left = new Date(inv.expires_at).getTime() - now;
  const cancel = (): void =>
    ask({
      title: 'Cancel this invoice?',
      children: <p>The customer can no longer pay it, and its QR disappears from both screens. This cannot be undone.</p>,
      confirmLabel: 'Cancel invoice',
      cancelLabel: 'Keep it',
      danger: true,
      onConfirm: () => call('cancelInvoice', { params: { id: inv.id } }).then((v) => useConsole.getState().setInvoice(v)),
    });
  return (
    <section className={`charge-view tone-${line.tone}`} data-status={inv.status} data-invoice={inv.id}>
      {open && <ChainBanner />}
      <div className="charge-main">
        <div className={`status-banner tone-${line.tone}`} role="status" data-testid="invoice-status">
          {line.icon && (
            <span className="status-icon" aria-hidden="true">
              {line.icon}{' '}
            </span>
          )}
          {line.text}
          {inv.flags.length > 0 && <span className="flags"> ({inv.flags.join(', ')})</span>}
        </div>
        <div className="charge-hero">
          <h1 className="hero" data-testid="hero">
            {partial ? `${remainingText(inv)} left to pay` : heroAmount(inv)}
          </h1>
          <p className="sub-amount" data-testid="sub-amount">
            {partial
              ? `${fmtSats(inv.missing_sats)} · ${formatBtc(inv.missing_sats)} BTC still missing, of ${heroAmount(inv)}`
              : inv.fiat
                ? `${fmtSats(inv.amount_sats)} · ${inv.amount_btc} BTC`
                : fmtSats(inv.amount_sats)}
            {inv.tip && (
              <span className="tip-note">
                {' '}
                · includes a tip of {inv.tip.fiat && inv.fiat ? fmtFiat(inv.tip.fiat, inv.fiat.currency) : fmtSats(inv.tip.sats)}
              </span>
            )}
          </p>
          {inv.label && <p className="label">{inv.label}</p>}
        </div>
        <div className="charge-qr">
          {open ? (
            <div className="qr-box">
              <Qr text={qrUri(inv)} label={`Payment QR code for ${partial ? formatBtc(inv.missing_sats) : inv.amount_btc} BTC`} />
            </div>
          ) : done ? (
            <div className={`qr-box state-mark tone-${line.tone}`} data-testid="paid-mark">
              <span aria-hidden="true">✓</span>
              <span className="dead-text">
                {line.tone === 'pending'
                  ? `Paid — ${inv.confirmations_required} confirmation${inv.confirmations_required === 1 ? '' : 's'} to wait for`
                  : 'Confirmed'}
              </span>
            </div>
          ) : (
            <div className="qr-box state-mark tone-dead" data-testid="no-qr">
              <span aria-hidden="true">✕</span>
              <span className="dead-text">No QR: this request can no longer be paid.</span>
            </div>
          )}
        </div>
        <div className="charge-info">
          {(inv.paid_sats > 0 || partial) && (
            <dl className={`progress ${inv.missing_sats > 0 ? 'short' : 'enough'}`} data-testid="payment-progress">
              <dt>Received</dt>
              <dd data-testid="received">{fmtSats(inv.paid_sats)}</dd>
              {inv.missing_sats > 0 && (
                <>
                  <dt>Missing</dt>
                  <dd data-testid="missing" className="missing">
                    {fmtSats(inv.missing_sats)} ({formatBtc(inv.missing_sats)} BTC)
                  </dd>
                </>
              )}
              {inv.overpaid_sats > 0 && (
                <>
                  <dt>Overpaid</dt>
                  <dd>
                    {fmtSats(inv.overpaid_sats)}
                    {inv.fiat ? ` (≈ ${fmtFiat(fiatOf(inv.overpaid_sats, inv.fiat.rate)!.replace(/,/g, ''), inv.fiat.currency)})` : ''}
                  </dd>
                </>
              )}
            </dl>
          )}
          {open && (
            <p className="countdown">
              Expires in <strong>{fmtCountdown(left)}</strong>
            </p>
          )}
          {open && (
            <div className="address-row">
              <code className="address" data-testid="invoice-address">
                {inv.address}
              </code>
              <button type="button" className="small" onClick={() => void copyText(inv.address).then((ok) => showToast(ok ? 'Address copied' : 'Copy failed'))}>
                Copy address
              </button>
            </div>
          )}
          {inv.payments.length > 0 && (
            <ul className="confs">
              {inv.payments.map((p) => (
                <li key={p.txid}>
                  {fmtSats(p.sats)} · {p.confirmations === 0 ? 'in the mempool' : `${p.confirmations} confirmation${p.confirmations === 1 ? '' : 's'}`}
                  {p.rbf ? ' · replaceable (RBF)' : ''}
                </li>
              ))}
            </ul>
          )}
          <div className="actions">
            <button type="button" className="primary" onClick={() => (setTillPrompt(tillId, null), navigate('sell'))}>
              New sale
            </button>
            {done && (
              <a className="button" href={`#/receipt/${encodeURIComponent(inv.id)}`}>
                Receipt
              </a>
            )}
            <button type="button" onClick={() => openCustomerDisplay(tillId)}>
              Customer display
            </button>
            {owner && (
              <a className="button" href={`#/invoices/${encodeURIComponent(inv.id)}`}>
                Details
              </a>
            )}
            {open && (
              <button type="button" className="danger" onClick={cancel}>
                Cancel invoice
              </button>
            )}
          </div>
          {inv.refund_policy && <p className="refund-policy">{inv.refund_policy}</p>}
          <DemoPayControls invoice={inv} />
        </div>
      </div>
      {dialog}
    </section>
  );
}
