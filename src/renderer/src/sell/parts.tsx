/** Small pieces of the Sell screen: the unit switch, the keys, the quick-items grid, the offline banner. */
import { RadioSwitch } from '../RadioSwitch.tsx';
import type { CounterConfig, SaleLine } from '../../../shared/contract-counter.ts';
import { chainWarning, linesTotal } from '../../../core/counter.ts';
import { useConsole } from '../store.ts';
import { fmtFiat } from '../format.ts';
import type { Unit } from '../keypad.ts';

export function UnitSwitch({ unit, cfg, onChange }: { unit: Unit; cfg: CounterConfig | null; onChange: (u: Unit) => void }) {
  const units: Unit[] = cfg?.rate ? ['fiat', 'sats', 'BTC'] : ['sats', 'BTC', 'fiat'];
  return <RadioSwitch label="Unit" options={units} value={unit} text={(u) => (u === 'fiat' ? (cfg?.currency ?? 'Fiat') : u)} onChange={onChange} />;
}

/** On-screen keys for touch. Out of the Tab order: a keyboard types digits straight into the amount. */
export function Keys({ decimals, onKey, disabled }: { decimals: boolean; onKey: (k: string) => void; disabled?: boolean }) {
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', decimals ? '.' : 'clear', '0', 'back'];
  return (
    <div className="keys" role="group" aria-label="Keypad">
      {keys.map((k) => (
        <button
          type="button"
          key={k}
          tabIndex={-1}
          className="key"
          disabled={disabled && k !== 'clear' && k !== 'back'}
          onClick={() => onKey(k)}
          aria-label={k === 'back' ? 'Delete last digit' : k === 'clear' ? 'Clear' : k === '.' ? 'Decimal point' : k}
        >
          {k === 'back' ? '⌫' : k === 'clear' ? 'C' : k}
        </button>
      ))}
    </div>
  );
}

/** The owner's quick items (name, price): a tap adds one to the sale. */
export function QuickItems({ cfg, cart, onChange }: { cfg: CounterConfig; cart: SaleLine[]; onChange: (c: SaleLine[]) => void }) {
  if (!cfg.quick_items.length || !cfg.rate) return null;
  const add = (name: string, price: string): void => {
    const at = cart.findIndex((l) => l.name === name && l.price === price);
    onChange(at >= 0 ? cart.map((l, i) => (i === at ? { ...l, qty: Math.min(999, l.qty + 1) } : l)) : [...cart, { name, qty: 1, price }]);
  };
  const remove = (i: number): void => onChange(cart.flatMap((l, j) => (j !== i ? [l] : l.qty > 1 ? [{ ...l, qty: l.qty - 1 }] : [])));
  return (
    <section className="quick" aria-label="Quick items">
      <div className="quick-grid">
        {cfg.quick_items.map((q) => (
          <button type="button" key={`${q.name}|${q.price}`} className="quick-item" onClick={() => add(q.name, q.price)}>
            <span className="quick-name">{q.name}</span>
            <span className="quick-price">{fmtFiat(q.price, cfg.currency)}</span>
          </button>
        ))}
      </div>
      {cart.length > 0 && (
        <ul className="cart" aria-label="In this sale">
          {cart.map((l, i) => (
            <li key={`${l.name}|${l.price}`}>
              <span>
                {l.qty}× {l.name}
              </span>
              <span className="cart-sum">{fmtFiat(linesTotal([l], cfg.decimals), cfg.currency)}</span>
              <button type="button" className="small" aria-label={`Remove one ${l.name}`} onClick={() => remove(i)}>
                −
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The loud banner: the chain is not watched, so a payment to a QR would go unseen. */
export function ChainBanner() {
  const chain = useConsole((s) => s.sysinfo?.chain);
  const warning = chain ? chainWarning(chain) : null;
  if (!warning) return null;
  return (
    <div className="chain-banner" role="alert" data-testid="chain-banner">
      <strong>{chain!.connected ? 'Bitcoin network: catching up' : 'Bitcoin network: not connected'}</strong>
      <span>{warning}</span>
    </div>
  );
}
