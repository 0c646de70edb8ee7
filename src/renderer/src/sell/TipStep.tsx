/**
 * Before the QR: the customer picks a tip (a preset percentage, a custom amount, or none). Keys: 0 = no tip,
 * 1–4 = the presets in order, Enter = the focused choice (No tip first), Esc = back to the amount.
 */
import { useEffect, useRef, useState } from 'react';
import type { CounterConfig } from '../../../shared/contract-counter.ts';
import { toUnits } from '../../../core/counter.ts';
import { fmtFiat, fmtSats } from '../format.ts';
import { tipAmount, type Priced, type TipChoice } from './sale.ts';
import { ErrorText } from '../ErrorText.tsx';

export function TipStep({ price, cfg, busy, onChoose, onBack }: { price: Priced; cfg: CounterConfig; busy: boolean; onChoose: (t: TipChoice) => void; onBack: () => void }) {
  const fiat = price.fiat !== null;
  const show = (t: { fiat: string | null; sats: number }): string => (fiat ? fmtFiat(t.fiat ?? '0', cfg.currency) : fmtSats(t.sats));
  const [custom, setCustom] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const first = useRef<HTMLButtonElement>(null);
  const presets = cfg.tips.presets_pct;

  useEffect(() => first.current?.focus(), []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (custom !== null || busy || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'Escape') onBack();
      else if (e.key === '0') onChoose(null);
      else if (/^[1-4]$/.test(e.key) && presets[Number(e.key) - 1] !== undefined) onChoose({ pct: presets[Number(e.key) - 1]! });
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [custom, busy, presets, onBack, onChoose]);

  const submitCustom = (): void => {
    const text = (custom ?? '').trim();
    try {
      if (fiat) {
        if (!/^\d+(\.\d+)?$/.test(text)) throw new Error(`Type the tip as an amount, e.g. 2.00.`);
        toUnits(text, cfg.decimals, 'The tip');
        onChoose({ fiat: text });
      } else {
        if (!/^\d+$/.test(text)) throw new Error('Type the tip in whole sats, e.g. 500.');
        onChoose({ sats: Number(text) });
      }
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <section className="tip-step" aria-labelledby="tip-title" data-testid="tip-step">
      <h1 id="tip-title">Add a tip?</h1>
      <p className="tip-amount">
        Sale <strong>{show({ fiat: price.fiat, sats: price.sats ?? 0 })}</strong>
      </p>
      <div className="tip-grid">
        <button ref={first} type="button" className="tip-choice" disabled={busy} onClick={() => onChoose(null)}>
          <span className="tip-pct">No tip</span>
          <span className="tip-key">0</span>
        </button>
        {presets.map((pct, i) => {
          const t = tipAmount(price, { pct }, cfg);
          return (
            <button type="button" key={pct} className="tip-choice" disabled={busy} onClick={() => onChoose({ pct })}>
              <span className="tip-pct">{pct} %</span>
              <span className="tip-value">+{show(t)}</span>
              <span className="tip-key">{i + 1}</span>
            </button>
          );
        })}
        <button type="button" className="tip-choice" disabled={busy} onClick={() => setCustom('')}>
          <span className="tip-pct">Other amount</span>
        </button>
      </div>
      {custom !== null && (
        <form
          className="tip-custom"
          onSubmit={(e) => {
            e.preventDefault();
            submitCustom();
          }}
        >
          <label className="field">
            Tip in {fiat ? cfg.currency : 'sats'}
            <input autoFocus inputMode={fiat ? 'decimal' : 'numeric'} value={custom} onChange={(e) => setCustom(e.target.value)} />
          </label>
          <button type="submit" className="primary" disabled={busy}>
            Add tip
          </button>
          <button type="button" onClick={() => setCustom(null)}>
            Back
          </button>
        </form>
      )}
      <ErrorText error={error} />
      <button type="button" className="link" onClick={onBack}>
        ← Change the amount (Esc)
      </button>
    </section>
  );
}
