/** Sell: a keypad for in-person sales, then the invoice with its QR, countdown and live status. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CreateInvoiceRequest, Invoice } from '../../../shared/contract.ts';
import { parseBtc, fiatToSats } from '../../../core/money.ts';
import { call, demoCall } from '../api.ts';
import { sellReadiness, useConsole } from '../store.ts';
import { navigate } from '../router.ts';
import { Qr } from '../Qr.tsx';
import { copyText, errorText, fiatOf, fmtCountdown, fmtSats, formatBtc, STATUS_LABEL, qrUri } from '../format.ts';
import { playPaidTone } from '../sound.ts';
import { openCustomerDisplay, showOnCustomer } from '../customer-channel.ts';

type Unit = 'sats' | 'BTC' | 'fiat';

function amountFromEntry(entry: string, unit: Unit, rate: string | undefined): number | null {
  if (!entry || entry === '.') return null;
  try {
    if (unit === 'sats') return /^\d+$/.test(entry) ? Number(entry) : null;
    if (unit === 'BTC') return parseBtc(entry);
    if (!rate) return null;
    return fiatToSats(entry, rate);
  } catch {
    return null;
  }
}

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable);
}

function Keypad() {
  const settings = useConsole((s) => s.settings);
  const readiness = useConsole(sellReadiness);
  const [unit, setUnit] = useState<Unit>('sats');
  const [entry, setEntry] = useState('');
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const currency = settings?.fiat.currency ?? 'USD';
  const rate = settings?.fiat.rates[currency];
  const sats = amountFromEntry(entry, unit, rate);

  const press = useCallback(
    (k: string) => {
      setError(null);
      setEntry((e) => {
        if (k === 'C') return '';
        if (k === '⌫') return e.slice(0, -1);
        if (k === '.') return unit === 'sats' || e.includes('.') ? e : (e || '0') + '.';
        const decimals = e.includes('.') ? e.length - e.indexOf('.') - 1 : 0;
        if (e.includes('.') && decimals >= (unit === 'BTC' ? 8 : 2)) return e;
        if (e.replace('.', '').length >= 16) return e;
        return e === '0' ? k : e + k;
      });
    },
    [unit],
  );

  const charge = useCallback(async () => {
    if (busy) return;
    if (sats === null || sats <= 0) {
      setError(unit === 'fiat' && !rate ? `Set a ${currency} rate in Settings to sell in ${currency}.` : 'Type an amount first.');
      return;
    }
    setBusy(true);
    setError(null);
    const body: CreateInvoiceRequest =
      unit === 'sats' ? { amount_sats: Number(entry) } : unit === 'BTC' ? { amount_btc: entry } : { amount_fiat: entry, currency };
    if (label.trim()) body.label = label.trim();
    try {
      const inv = await call('createInvoice', { body, headers: { 'Idempotency-Key': crypto.randomUUID() } });
      useConsole.getState().setInvoice(inv);
      showOnCustomer(inv);
      setEntry('');
      setLabel('');
      navigate('sell', inv.id);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }, [busy, sats, unit, rate, currency, entry, label]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (/^[0-9]$/.test(e.key)) press(e.key);
      else if (e.key === '.' || e.key === ',') press('.');
      else if (e.key === 'Backspace') press('⌫');
      else if (e.key === 'Escape') press('C');
      else if (e.key === 'Enter') void charge();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [press, charge]);

  const empty = readiness === 'no-source';
  const display = entry || '0';
  const secondary =
    sats === null
      ? unit === 'fiat' && !rate
        ? `No ${currency} rate set`
        : ' '
      : unit === 'sats'
        ? `${formatBtc(sats)} BTC${rate ? ` · ${fiatOf(sats, rate)} ${currency}` : ''}`
        : `${fmtSats(sats)}${unit === 'BTC' && rate ? ` · ${fiatOf(sats, rate)} ${currency}` : ''}`;

  return (
    <section className="sell">
      <h1>New sale</h1>
      {empty && (
        <div className="empty-state" role="note">
          <strong>Add addresses or an xpub to start selling.</strong> Satdesk gives every invoice its own address: set up your
          wallet&apos;s xpub (or paste a list of addresses) under <a href="#/addresses">Addresses</a>.
        </div>
      )}
      {readiness === 'exhausted' && (
        <div className="empty-state warn" role="note">
          Every address is in use: add more addresses under <a href="#/addresses">Addresses</a> before the next sale.
        </div>
      )}
      <form
        className="keypad-card"
        onSubmit={(e) => {
          e.preventDefault();
          void charge();
        }}
      >
        <div className="unit-switch" role="radiogroup" aria-label="Unit">
          {(['sats', 'BTC', 'fiat'] as Unit[]).map((u) => (
            <button
              type="button"
              key={u}
              role="radio"
              aria-checked={unit === u}
              className={unit === u ? 'on' : ''}
              onClick={() => {
                setUnit(u);
                setEntry('');
              }}
            >
              {u === 'fiat' ? currency : u}
            </button>
          ))}
        </div>
        <div className="amount-display" aria-live="polite">
          <output data-testid="amount-entry" className="amount-main">
            {unit === 'fiat' ? `${display} ${currency}` : `${display} ${unit}`}
          </output>
          <div className="amount-secondary">{secondary}</div>
        </div>
        <div className="keys">
          {['1', '2', '3', '4', '5', '6', '7', '8', '9', unit === 'sats' ? 'C' : '.', '0', '⌫'].map((k) => (
            <button type="button" key={k} className="key" onClick={() => press(k)} aria-label={k === '⌫' ? 'Delete' : k === 'C' ? 'Clear' : k}>
              {k}
            </button>
          ))}
        </div>
        <input className="label-input" aria-label="Label" placeholder="Label (optional), e.g. 2 coffees" value={label} maxLength={256} onChange={(e) => setLabel(e.target.value)} />
        <button type="submit" className="primary charge" disabled={busy || empty}>
          {busy ? 'Creating…' : sats ? `Charge ${fmtSats(sats)}` : 'Charge'}
        </button>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <p className="hint">Type digits, Enter to charge, Esc to clear.</p>
      </form>
    </section>
  );
}

function useInvoice(id: string): [Invoice | null, string | null] {
  const inv = useConsole((s) => s.invoices[id] ?? null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    call('getInvoice', { params: { id } }).then(
      (fresh) => {
        const known = useConsole.getState().invoices[id];
        // An event may have brought a newer view while this request was in flight.
        if (!known || known.status === fresh.status) useConsole.getState().setInvoice(fresh);
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, [id]);
  return [inv, error];
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

export function DemoPayControls({ invoice }: { invoice: Invoice }) {
  const demo = useConsole((s) => s.demo);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  if (!demo) return null;
  const run = async (what: string, body: unknown): Promise<void> => {
    setBusy(true);
    setMsg(null);
    try {
      const r = await demoCall<{ txid?: string; height?: number }>(what, body);
      setMsg(r.txid ? `Sent ${r.txid.slice(0, 12)}…` : `Mined to height ${r.height}`);
    } catch (e) {
      setMsg(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const open = invoice.status === 'unpaid' || invoice.status === 'partial' || invoice.status === 'expired';
  return (
    <div className="demo-controls" aria-label="Simulate payment">
      <span className="demo-tag">Sandbox</span>
      {open && (
        <>
          <button type="button" disabled={busy} onClick={() => void run('pay', { invoice_id: invoice.id, kind: 'full' })}>
            Simulate: pay in full
          </button>
          <button type="button" disabled={busy} onClick={() => void run('pay', { invoice_id: invoice.id, kind: 'partial' })}>
            Simulate: pay part
          </button>
          <button type="button" disabled={busy} onClick={() => void run('pay', { invoice_id: invoice.id, kind: 'over' })}>
            Simulate: overpay
          </button>
          {invoice.status === 'partial' && (
            <button type="button" disabled={busy} onClick={() => void run('pay', { invoice_id: invoice.id, kind: 'rest' })}>
              Simulate: pay the rest
            </button>
          )}
        </>
      )}
      <button type="button" disabled={busy} onClick={() => void run('mine', { blocks: 1 })}>
        Mine a block
      </button>
      {msg && <span className="demo-msg">{msg}</span>}
    </div>
  );
}

function ChargeView({ id }: { id: string }) {
  const [inv, error] = useInvoice(id);
  const settings = useConsole((s) => s.settings);
  const showToast = useConsole((s) => s.showToast);
  const open = inv ? inv.status === 'unpaid' || inv.status === 'partial' : false;
  const now = useNow(open);
  const prev = useRef<string | null>(null);

  useEffect(() => {
    if (!inv) return;
    showOnCustomer(inv);
    const was = prev.current;
    prev.current = inv.status;
    if (was && was !== inv.status && (inv.status === 'paid' || (inv.status === 'confirmed' && was !== 'paid'))) playPaidTone();
  }, [inv]);

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!inv) return <p className="loading">Loading invoice…</p>;
  const currency = inv.fiat?.currency ?? settings?.fiat.currency;
  const rate = inv.fiat?.rate ?? (currency ? settings?.fiat.rates[currency] : undefined);
  const left = new Date(inv.expires_at).getTime() - now;
  const done = inv.status === 'paid' || inv.status === 'confirmed';
  return (
    <section className={`charge-view status-${inv.status}`} data-status={inv.status} data-invoice={inv.id}>
      <div className="charge-main">
        <div className="charge-qr">
          {done ? (
            <div className="paid-mark" aria-hidden="true">
              ✓
            </div>
          ) : (
            <Qr text={qrUri(inv)} size={300} label={`Payment QR code for ${inv.amount_btc} BTC`} />
          )}
        </div>
        <div className="charge-info">
          <div className={`status-banner status-${inv.status}`} role="status" data-testid="invoice-status">
            {inv.status === 'unpaid' && 'Waiting for payment'}
            {inv.status === 'partial' && 'Partially paid'}
            {inv.status === 'paid' && (inv.confirmations_required > 0 ? 'Paid — waiting for confirmation' : 'Paid')}
            {inv.status === 'confirmed' && 'Paid and confirmed'}
            {!['unpaid', 'partial', 'paid', 'confirmed'].includes(inv.status) && STATUS_LABEL[inv.status]}
            {inv.flags.length > 0 && <span className="flags"> ({inv.flags.join(', ')})</span>}
          </div>
          <div className="big-amount">{inv.amount_btc} BTC</div>
          <div className="sub-amount">
            {fmtSats(inv.amount_sats)}
            {inv.fiat ? ` · ${inv.fiat.amount} ${inv.fiat.currency}` : rate && currency ? ` · ≈ ${fiatOf(inv.amount_sats, rate)} ${currency}` : ''}
          </div>
          {inv.label && <div className="label">{inv.label}</div>}
          {(inv.paid_sats > 0 || inv.status === 'partial') && (
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
                  <dd>{fmtSats(inv.overpaid_sats)}</dd>
                </>
              )}
            </dl>
          )}
          <div className="address-row">
            <code className="address" data-testid="invoice-address">
              {inv.address}
            </code>
            <button type="button" onClick={() => void copyText(inv.address).then((ok) => showToast(ok ? 'Address copied' : 'Copy failed'))}>
              Copy
            </button>
          </div>
          {open && (
            <div className="countdown" aria-label="Time left">
              Expires in <strong>{fmtCountdown(left)}</strong>
            </div>
          )}
          {inv.payments.length > 0 && (
            <div className="confs">
              {inv.payments.map((p) => (
                <div key={p.txid}>
                  {fmtSats(p.sats)} · {p.confirmations === 0 ? 'in mempool' : `${p.confirmations} confirmation${p.confirmations === 1 ? '' : 's'}`}
                  {p.rbf ? ' · RBF' : ''}
                </div>
              ))}
            </div>
          )}
          {inv.refund_policy && <p className="refund-policy">{inv.refund_policy}</p>}
          <div className="actions">
            <button type="button" className="primary" onClick={() => navigate('sell')}>
              New sale
            </button>
            <button type="button" onClick={openCustomerDisplay}>
              Customer display
            </button>
            <a className="button" href={`#/invoices/${encodeURIComponent(inv.id)}`}>
              Details
            </a>
            {open && (
              <button
                type="button"
                className="danger"
                onClick={() => void call('cancelInvoice', { params: { id: inv.id } }).then((v) => useConsole.getState().setInvoice(v), (e: unknown) => showToast(errorText(e)))}
              >
                Cancel invoice
              </button>
            )}
          </div>
          <DemoPayControls invoice={inv} />
        </div>
      </div>
    </section>
  );
}

export function SellScreen({ invoiceId }: { invoiceId: string | null }) {
  return invoiceId ? <ChargeView id={invoiceId} /> : <Keypad />;
}
