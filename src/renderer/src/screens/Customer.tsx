/**
 * The customer display: bound to one till (a display token's own till, or `#/customer/<till>`), it long-polls that
 * till's state and shows an idle screen between sales, the tip prompt, the sale (fiat first, then BTC and sats, the
 * label or items, a countdown, the refund policy; the remainder as the hero after a partial payment), "Paid — thank
 * you" with the amount, and then idle again. A loud banner when the chain is not watched.
 */
import { useEffect, useRef, useState } from 'react';
import type { DisplayState } from '../../../shared/contract-counter.ts';
import { currencyDecimals, tipOfPercent, tipSatsOfPercent } from '../../../core/counter.ts';
import { call, ApiError } from '../api.ts';
import { Qr } from '../Qr.tsx';
import { errorText, fmtCountdown, fmtFiat, fmtSats, heroAmount, qrUri, reachableFromPhones, remainingText } from '../format.ts';
import { formatBtc } from '../../../core/money.ts';

function useDisplayState(till: string | null): [DisplayState | null, string | null] {
  const [state, setState] = useState<DisplayState | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stopped = false;
    let version: string | undefined;
    const abort = new AbortController();
    void (async () => {
      while (!stopped) {
        try {
          const s = await call('displayState', { query: { ...(till ? { till } : {}), ...(version ? { after: version } : {}) }, signal: abort.signal });
          if (stopped) return;
          version = s.version;
          setState(s);
          setError(null);
          continue;
        } catch (e) {
          if (stopped) return;
          setError(e instanceof ApiError && (e.code === 'forbidden' || e.code === 'unauthorized') ? errorText(e) : 'Reconnecting…');
          version = undefined;
        }
        await new Promise((r) => setTimeout(r, 2000));
      }
    })();
    return () => {
      stopped = true;
      abort.abort();
    };
  }, [till]);
  return [state, error];
}

function useClock(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

function Banner({ st }: { st: DisplayState }) {
  if (st.chain.ok) return null;
  return (
    <div className="chain-banner customer-banner" role="alert" data-testid="chain-banner">
      <strong>Please wait before paying</strong>
      <span>{st.chain.message}</span>
    </div>
  );
}

export function CustomerDisplay({ till }: { till: string | null }) {
  const [st, error] = useDisplayState(till);
  const now = useClock();
  // When each sale was first seen paid: "Paid — thank you" stays up for paid_screen_s, then idle.
  const paidAt = useRef(new Map<string, number>());
  const sale = st?.sale ?? null;
  const paid = sale && (sale.status === 'paid' || sale.status === 'confirmed');
  if (sale && paid && !paidAt.current.has(sale.id)) paidAt.current.set(sale.id, Date.now());
  const thanksOver = sale && paid && now - (paidAt.current.get(sale.id) ?? now) > (st?.paid_screen_s ?? 10) * 1000;
  const title = sale && !paid ? `Pay ${heroAmount(sale)}` : st?.shop_name || 'Satdesk';
  useEffect(() => {
    document.title = title;
  }, [title]);

  if (!st) {
    return (
      <main className="customer idle" data-state="loading">
        <h1 className="customer-welcome">Welcome</h1>
        <p>{error ?? 'Connecting…'}</p>
      </main>
    );
  }
  const dead = sale && !paid && sale.status !== 'unpaid' && sale.status !== 'partial';
  if (st.stage === 'idle' || !sale || dead || thanksOver) {
    if (st.stage === 'tip' && st.prompt) return <TipPrompt st={st} />;
    return (
      <main className="customer idle" data-state="idle" data-till={st.till.id}>
        <Banner st={st} />
        <h1 className="customer-welcome">{st.shop_name || 'Welcome'}</h1>
        <p className="customer-sub">Your total will appear here.</p>
        <p className="customer-till muted">{st.till.name}</p>
        {error && <p className="muted">{error}</p>}
      </main>
    );
  }
  if (paid) {
    const link = sale.receipt_path && reachableFromPhones() ? `${location.origin}${sale.receipt_path}` : null;
    return (
      <main className={`customer paid tone-${sale.status === 'confirmed' ? 'done' : 'pending-paid'}`} data-state="paid" data-invoice={sale.id}>
        <div className="paid-mark big" aria-hidden="true">
          ✓
        </div>
        <h1>Paid — thank you!</h1>
        <p className="customer-amount" data-testid="customer-paid-amount">
          {heroAmount(sale)}
        </p>
        {link && (
          <div className="customer-receipt">
            <div className="receipt-qr-box">
              <Qr text={link} label="Receipt link QR code" className="qr" />
            </div>
            <p>Scan to keep your receipt</p>
          </div>
        )}
      </main>
    );
  }
  const partial = sale.status === 'partial' && sale.missing_sats > 0;
  const left = Date.parse(sale.expires_at) - now;
  return (
    <main className={`customer sale${partial ? ' partial' : ''}`} data-state={sale.status} data-invoice={sale.id} data-till={st.till.id}>
      <Banner st={st} />
      <div className="customer-head">
        <h1 className="customer-amount" data-testid="customer-hero">
          {partial ? `${remainingText(sale)} left to pay` : heroAmount(sale)}
        </h1>
        <p className="customer-fiat" data-testid="customer-sub">
          {partial
            ? `${fmtSats(sale.missing_sats)} still to send, of ${heroAmount(sale)}`
            : sale.fiat
              ? `${sale.amount_btc} BTC · ${fmtSats(sale.amount_sats)}`
              : fmtSats(sale.amount_sats)}
        </p>
        {partial && (
          <p className="customer-partial" role="status">
            Received {formatBtc(sale.paid_sats)} BTC — please send the remaining <strong>{formatBtc(sale.missing_sats)} BTC</strong>
          </p>
        )}
      </div>
      <div className="customer-qr">
        <div className="qr-box">
          <Qr text={qrUri(sale)} label={`Payment QR code for ${partial ? formatBtc(sale.missing_sats) : sale.amount_btc} BTC`} />
        </div>
      </div>
      <div className="customer-details">
        {sale.items ? (
          <ul className="customer-items">
            {sale.items.map((l) => (
              <li key={`${l.name}|${l.price}`}>
                {l.qty}× {l.name} <span>{sale.fiat ? fmtFiat(l.price, sale.fiat.currency) : l.price}</span>
              </li>
            ))}
          </ul>
        ) : (
          sale.label && <p className="customer-label">{sale.label}</p>
        )}
        {sale.tip && <p className="customer-tip">Includes a tip of {sale.tip.fiat && sale.fiat ? fmtFiat(sale.tip.fiat, sale.fiat.currency) : fmtSats(sale.tip.sats)} — thank you!</p>}
        <p className="countdown" data-testid="customer-countdown">
          This request expires in <strong>{fmtCountdown(left)}</strong>
        </p>
        <code className="address">{sale.address}</code>
        {st.refund_policy && <p className="refund-policy">{st.refund_policy}</p>}
      </div>
    </main>
  );
}

/** Before the QR: the sale's total and the tip choices, which the cashier enters on the till. */
function TipPrompt({ st }: { st: DisplayState }) {
  const p = st.prompt!;
  const show = (pct: number): string =>
    p.amount_fiat !== null && p.currency
      ? fmtFiat(tipOfPercent(p.amount_fiat, pct, currencyDecimals(p.currency)), p.currency)
      : fmtSats(tipSatsOfPercent(p.amount_sats, pct));
  return (
    <main className="customer tip" data-state="tip" data-till={st.till.id}>
      <Banner st={st} />
      <p className="customer-sub">Your total</p>
      <h1 className="customer-amount">{p.amount_fiat !== null && p.currency ? fmtFiat(p.amount_fiat, p.currency) : fmtSats(p.amount_sats)}</h1>
      <p className="customer-sub">Would you like to add a tip? Tell the cashier.</p>
      <ul className="customer-tips">
        <li>No tip</li>
        {p.presets_pct.map((pct) => (
          <li key={pct}>
            {pct} % · +{show(pct)}
          </li>
        ))}
      </ul>
    </main>
  );
}
