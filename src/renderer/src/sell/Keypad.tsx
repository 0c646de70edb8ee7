/**
 * The keypad: an amount (typed, tapped, or the total of quick items) in the shop currency, sats or BTC, then a tip
 * when the shop offers them, then the invoice. Enter charges only from the amount field; Esc or N starts over.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { chainWarning } from '../../../core/counter.ts';
import { formatBtc } from '../../../core/money.ts';
import { currencyAffix, errorText, fiatOf, fmtFiat, fmtSats } from '../format.ts';
import { groupEntry, pressKey, type Unit } from '../keypad.ts';
import { sellReadiness, useConsole } from '../store.ts';
import { navigate } from '../router.ts';
import { useConfirm } from '../Dialog.tsx';
import { ChainBanner, Keys, QuickItems, UnitSwitch } from './parts.tsx';
import { TipStep } from './TipStep.tsx';
import { createSale, priceDraft, rulesOf, setTillPrompt, type Draft, type TipChoice } from './sale.ts';

const UNIT_KEY = 'satdesk.unit';

const isTyping = (t: EventTarget | null): boolean =>
  t instanceof HTMLElement && (['INPUT', 'TEXTAREA', 'SELECT', 'BUTTON', 'A'].includes(t.tagName) || t.isContentEditable);

/** The owner (or an unbound cashier) chooses which till this screen sells at: its customer display follows. */
function TillPicker() {
  const tills = useConsole((s) => s.tills);
  const tillId = useConsole((s) => s.tillId);
  const bound = useConsole((s) => s.me?.till);
  if (bound || tills.length < 2) return null;
  return (
    <label className="till-picker">
      Till{' '}
      <select value={tillId ?? ''} onChange={(e) => useConsole.getState().setTill(e.target.value)}>
        {tills.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Keypad() {
  const cfg = useConsole((s) => s.counter);
  const tillId = useConsole((s) => s.tillId);
  const readiness = useConsole(sellReadiness);
  const chain = useConsole((s) => s.sysinfo?.chain);
  // The unit the seller picked stays for the next sale (this tab); until then, the shop currency when it has a rate.
  const [chosenUnit, setChosenUnit] = useState<Unit | null>(() => (sessionStorage.getItem(UNIT_KEY) as Unit | null) ?? null);
  const [entry, setEntry] = useState('');
  // Digits keep the unit they were typed in: the settings read as the keypad opens may bring the rate after the
  // first key, and "420" typed as sats must not turn into €420.00 under the seller's eyes.
  const implicit: Unit = cfg?.rate ? 'fiat' : 'sats';
  const [typedIn, setTypedIn] = useState<Unit>(implicit);
  useEffect(() => {
    if (!entry) setTypedIn(implicit);
  }, [entry, implicit]);
  const unit: Unit = chosenUnit ?? (entry ? typedIn : implicit);
  const [cart, setCart] = useState<Draft['cart']>([]);
  const [label, setLabel] = useState('');
  const [stage, setStage] = useState<'amount' | 'tip'>('amount');
  const [busy, setBusy] = useState(false);
  const [keyError, setKeyError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ask, dialog] = useConfirm();
  const amountRef = useRef<HTMLInputElement>(null);

  // Prices, rate, tips and the dust limit may have changed elsewhere (Settings, the API): read them for each sale.
  useEffect(() => void useConsole.getState().refreshCounter().catch(() => {}), []);

  const draft: Draft = { unit: cart.length ? 'fiat' : unit, entry, cart, label };
  const price = priceDraft(draft, cfg);
  const rules = rulesOf(draft.unit, cfg);

  const press = useCallback(
    (k: string) => {
      setError(null);
      if (cart.length && k !== 'clear' && k !== 'back') return;
      if (cart.length) {
        setCart([]);
        return;
      }
      const r = pressKey(entry, k, rulesOf(unit, cfg));
      setEntry(r.entry);
      setKeyError(r.error);
    },
    [entry, unit, cfg, cart.length],
  );

  const newSale = useCallback(() => {
    setEntry('');
    setCart([]);
    setLabel('');
    setStage('amount');
    setError(null);
    setKeyError(null);
    setTillPrompt(tillId, null);
    amountRef.current?.focus();
  }, [tillId]);

  const create = async (tip: TipChoice): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const inv = await createSale(draft, price, tip, cfg, tillId);
      navigate('sell', inv.id);
    } catch (e) {
      setError(errorText(e));
      setStage('amount');
      setTillPrompt(tillId, null);
    } finally {
      setBusy(false);
    }
  };

  const proceed = (): void => {
    if (cfg?.tips.enabled) {
      setStage('tip');
      setTillPrompt(tillId, { amount_sats: price.sats!, amount_fiat: price.fiat, currency: price.fiat !== null ? (cfg.currency ?? null) : null });
    } else void create(null);
  };

  const charge = (): void => {
    if (busy) return;
    if (price.sats === null) {
      setError(price.error ?? 'Type an amount first.');
      return;
    }
    const warning = chain ? chainWarning(chain) : null;
    if (warning) {
      ask({
        title: chain!.connected ? 'The Bitcoin network is still catching up' : 'The Bitcoin network is not connected',
        children: <p>{warning} Create the invoice anyway?</p>,
        confirmLabel: 'Create anyway',
        onConfirm: proceed,
      });
      return;
    }
    proceed();
  };

  // Digits typed anywhere on the screen (nothing focused) go to the amount; Esc and N start over.
  useEffect(() => {
    if (stage !== 'amount') return;
    const onKey = (e: KeyboardEvent): void => {
      if (e.ctrlKey || e.metaKey || e.altKey || document.querySelector('dialog[open]')) return;
      if (e.target !== amountRef.current && isTyping(e.target)) return;
      if (/^[0-9.,]$/.test(e.key)) press(e.key === ',' ? '.' : e.key);
      else if (e.key === 'Backspace' || e.key === 'Delete') press('back');
      else if (e.key === 'Escape' || e.key === 'n' || e.key === 'N') newSale();
      else if (e.key === 'Enter' && e.target === amountRef.current) charge();
      else return;
      e.preventDefault();
      if (e.target !== amountRef.current) amountRef.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  if (stage === 'tip' && cfg) {
    return (
      <>
        <ChainBanner />
        <TipStep
          price={price}
          cfg={cfg}
          busy={busy}
          onChoose={(t) => void create(t)}
          onBack={() => {
            setStage('amount');
            setTillPrompt(tillId, null);
          }}
        />
      </>
    );
  }

  const currency = cfg?.currency ?? 'USD';
  const shown = cart.length ? groupEntry(price.fiat ?? '0') : groupEntry(entry || '0');
  const affix = currencyAffix(currency);
  const main = draft.unit === 'fiat' ? `${affix.prefix}${shown}${affix.suffix}` : `${shown} ${draft.unit}`;
  const sats = price.sats;
  const secondary =
    sats === null
      ? ''
      : draft.unit === 'fiat'
        ? `${fmtSats(sats)} · ${formatBtc(sats)} BTC`
        : `${draft.unit === 'sats' ? `${formatBtc(sats)} BTC` : fmtSats(sats)}${cfg?.rate ? ` · ≈ ${fmtFiat(fiatOf(sats, cfg.rate)!.replace(/,/g, ''), currency)}` : ''}`;
  const chargeText =
    sats === null ? 'Charge' : price.fiat !== null ? `Charge ${fmtFiat(price.fiat, currency)}` : draft.unit === 'BTC' ? `Charge ${formatBtc(sats).replace(/\.?0+$/, '')} BTC` : `Charge ${fmtSats(sats)}`;
  const shownError = error ?? keyError ?? (entry ? price.error : null);
  return (
    <section className="sell">
      <ChainBanner />
      <div className="sell-head">
        <h1 className="sell-title">New sale</h1>
        <TillPicker />
      </div>
      {readiness === 'no-source' && (
        <div className="empty-state" role="note">
          <strong>Add addresses or an xpub to start selling.</strong> Satdesk gives every invoice its own address: set up your wallet&apos;s xpub (or
          paste a list of addresses) under <a href="#/addresses">Addresses</a>.
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
          charge();
        }}
      >
        {cfg && <QuickItems cfg={cfg} cart={cart} onChange={setCart} />}
        {!cart.length && (
          <UnitSwitch
            unit={unit}
            cfg={cfg}
            onChange={(u) => {
              setChosenUnit(u);
              sessionStorage.setItem(UNIT_KEY, u);
              setEntry('');
              setKeyError(null);
            }}
          />
        )}
        <div className="amount-display">
          <label htmlFor="amount" className="sr-only">
            Amount in {draft.unit === 'fiat' ? currency : draft.unit}
          </label>
          <input
            id="amount"
            ref={amountRef}
            className="amount-main"
            data-testid="amount-entry"
            autoFocus
            inputMode="none"
            autoComplete="off"
            value={main}
            readOnly={cart.length > 0}
            aria-describedby="amount-secondary amount-error"
            aria-invalid={shownError ? true : undefined}
            onChange={() => {}}
            onPaste={(e) => {
              e.preventDefault();
              let next = '';
              for (const ch of e.clipboardData.getData('text').replace(/,/g, '')) next = pressKey(next, ch, rules).entry;
              setEntry(next);
            }}
          />
          <div id="amount-secondary" className="amount-secondary">
            {secondary}
          </div>
        </div>
        <p id="amount-error" className="amount-error" role="alert" data-testid="amount-error">
          {shownError}
        </p>
        <Keys decimals={rules.decimals > 0} onKey={press} disabled={cart.length > 0} />
        <input
          className="label-input"
          aria-label="Label"
          placeholder="Label (optional), e.g. 2 coffees"
          value={label}
          maxLength={256}
          onChange={(e) => setLabel(e.target.value)}
          onKeyDown={(e) => {
            // Enter charges from the amount only: here it goes back to the amount.
            if (e.key === 'Enter') {
              e.preventDefault();
              amountRef.current?.focus();
            }
          }}
        />
        <button type="submit" className="primary charge" disabled={busy || readiness === 'no-source'} data-testid="charge">
          {busy ? 'Creating…' : chargeText}
        </button>
        <p className="hint">Type the amount, Enter to charge, Esc or N for a new sale.</p>
      </form>
      {dialog}
    </section>
  );
}
