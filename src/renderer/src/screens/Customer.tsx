/** The customer-facing display: the current QR full-screen, flipping to a paid confirmation. */
import { useEffect, useState } from 'react';
import type { Invoice } from '../../../shared/contract.ts';
import { useConsole } from '../store.ts';
import { followSeller } from '../customer-channel.ts';
import { Qr } from '../Qr.tsx';
import { fiatOf, fmtSats, formatBtc, qrUri } from '../format.ts';

export function CustomerDisplay() {
  const [shownId, setShownId] = useState<string | null>(null);
  const [fromSeller, setFromSeller] = useState<Invoice | null>(null);
  const live = useConsole((s) => (shownId ? s.invoices[shownId] : undefined));
  const lastEvent = useConsole((s) => s.lastEvent);
  const settings = useConsole((s) => s.settings);

  useEffect(
    () =>
      followSeller((inv) => {
        setFromSeller(inv);
        setShownId(inv?.id ?? null);
      }),
    [],
  );
  // Without a seller tab on this channel (another device, the desktop's second window), follow the newest invoice.
  useEffect(() => {
    if (lastEvent?.type === 'invoice.created' && lastEvent.invoice) {
      setShownId(lastEvent.invoice.id);
      setFromSeller(lastEvent.invoice);
    }
  }, [lastEvent]);

  // The event stream's view wins over the channel's when it is newer (it is the server's word).
  const inv = live ?? fromSeller;
  useEffect(() => {
    document.title = inv ? `Pay ${inv.amount_btc} BTC — Satdesk` : 'Satdesk';
  }, [inv]);

  if (!inv || inv.status === 'cancelled' || inv.status === 'expired') {
    return (
      <main className="customer idle" data-state="idle">
        <div className="customer-welcome">Welcome</div>
        <p>{inv ? (inv.status === 'cancelled' ? 'This payment was cancelled.' : 'This payment request has expired.') : 'Your payment request will appear here.'}</p>
      </main>
    );
  }
  const paid = inv.status === 'paid' || inv.status === 'confirmed';
  const rate = inv.fiat?.rate ?? (settings ? settings.fiat.rates[settings.fiat.currency] : undefined);
  const currency = inv.fiat?.currency ?? settings?.fiat.currency;
  if (paid) {
    return (
      <main className="customer paid" data-state="paid" data-invoice={inv.id}>
        <div className="paid-mark big" aria-hidden="true">
          ✓
        </div>
        <h1>Paid — thank you!</h1>
        <p className="customer-amount">{inv.amount_btc} BTC</p>
      </main>
    );
  }
  return (
    <main className="customer" data-state={inv.status} data-invoice={inv.id}>
      <h1>Scan to pay</h1>
      <Qr text={qrUri(inv)} size={Math.min(520, Math.max(240, Math.floor(Math.min(window.innerWidth, window.innerHeight) * 0.6)))} label="Payment QR code" />
      <p className="customer-amount">{inv.amount_btc} BTC</p>
      <p className="customer-fiat">
        {fmtSats(inv.amount_sats)}
        {inv.fiat ? ` · ${inv.fiat.amount} ${inv.fiat.currency}` : rate && currency ? ` · ≈ ${fiatOf(inv.amount_sats, rate)} ${currency}` : ''}
      </p>
      {inv.status === 'partial' && (
        <p className="customer-partial" role="status">
          Received {formatBtc(inv.paid_sats)} BTC — please send the remaining <strong>{formatBtc(inv.missing_sats)} BTC</strong>
        </p>
      )}
      <code className="address">{inv.address}</code>
    </main>
  );
}
