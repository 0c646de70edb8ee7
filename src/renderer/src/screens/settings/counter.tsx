/** Settings → Counter: the shop's name, tips, quick items, how long "Paid" stays up, and the tills. */
import { useEffect, useState } from 'react';
import type { Settings } from '../../../../shared/contract.ts';
import type { Till } from '../../../../shared/contract-counter.ts';
import { currencyDecimals } from '../../../../core/counter.ts';
import { call } from '../../api.ts';
import { useConsole } from '../../store.ts';
import { errorText, fmtFiat } from '../../format.ts';
import { useConfirm } from '../../Dialog.tsx';
import { openCustomerDisplay } from '../../sell/ChargeView.tsx';
import { checkInt, Field, NumberInput, type Check } from './fields.tsx';
import { Section, SaveError, useSave } from './shared.tsx';
import { ErrorText } from '../../ErrorText.tsx';

const LABELS = {
  'counter.shop_name': 'Shop name',
  'counter.tips.presets_pct': 'Tip buttons',
  'counter.quick_items': 'Quick items',
  'counter.paid_screen_s': '"Paid" screen',
};

function checkPresets(text: string): Check {
  const parts = text.split(/[\s,%]+/).filter(Boolean);
  if (parts.length > 4) return 'At most 4 tip buttons.';
  if (parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) < 1 || Number(p) > 100)) return 'Whole percentages from 1 to 100, e.g. 10, 15, 20.';
  if (new Set(parts).size !== parts.length) return 'Each percentage once.';
  return null;
}

export function CounterSettings({ s }: { s: Settings }) {
  const c = s.counter;
  const places = currencyDecimals(s.fiat.currency);
  const [shop, setShop] = useState(c.shop_name);
  const [tips, setTips] = useState(c.tips.enabled);
  const [presets, setPresets] = useState(c.tips.presets_pct.join(', '));
  const [paidS, setPaidS] = useState(String(c.paid_screen_s));
  const [items, setItems] = useState(c.quick_items.map((q) => ({ ...q })));
  const [save, error] = useSave(LABELS);
  const priceRe = new RegExp(`^\\d{1,9}${places ? `(\\.\\d{1,${places}})?` : ''}$`);
  const itemErrors = items.map((q) => (!q.name.trim() ? 'Give it a name.' : !priceRe.test(q.price.trim()) ? `A price in ${s.fiat.currency}, e.g. ${places ? '3.50' : '350'}.` : null));
  const errors = { presets: checkPresets(presets), paid: checkInt(paidS, 3, 600, 'a number of seconds') };
  const bad = Object.values(errors).some(Boolean) || itemErrors.some(Boolean) || shop.length > 80;
  return (
    <Section title="Counter">
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (bad) return;
          void save(
            {
              counter: {
                shop_name: shop.trim(),
                tips: { enabled: tips, presets_pct: presets.split(/[\s,%]+/).filter(Boolean).map(Number) },
                quick_items: items.map((q) => ({ name: q.name.trim(), price: q.price.trim() })),
                paid_screen_s: Number(paidS),
              },
            },
            'Counter',
          );
        }}
      >
        <div className="form-grid">
          <Field label="Shop name" error={shop.length > 80 ? 'At most 80 characters.' : null} hint="On the customer display and receipts.">
            {(id, d) => <input id={id} value={shop} maxLength={80} aria-describedby={d} onChange={(e) => setShop(e.target.value)} />}
          </Field>
          <NumberInput label='"Paid — thank you" stays up' value={paidS} onChange={setPaidS} error={errors.paid} suffix="seconds" hint="Then the customer display returns to idle." />
          <label className="check">
            <input type="checkbox" checked={tips} onChange={(e) => setTips(e.target.checked)} /> Offer tips before the QR
          </label>
          <NumberInput label="Tip buttons" text value={presets} onChange={setPresets} error={errors.presets} suffix="%" hint="Up to 4, e.g. 10, 15, 20. The customer can also give another amount or none." />
        </div>
        <h3>Quick items</h3>
        <p className="muted small">
          Buttons on the Sell screen for what you sell most (a café&apos;s coffees): a tap adds one. Prices in {s.fiat.currency}; they need a{' '}
          {s.fiat.currency} rate.
        </p>
        <ul className="quick-edit">
          {items.map((q, i) => (
            <li key={i}>
              <input aria-label={`Item ${i + 1} name`} placeholder="Name" value={q.name} maxLength={60} onChange={(e) => setItems(items.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))} />
              <input
                aria-label={`Item ${i + 1} price in ${s.fiat.currency}`}
                placeholder="Price"
                inputMode="decimal"
                value={q.price}
                aria-invalid={itemErrors[i] ? true : undefined}
                onChange={(e) => setItems(items.map((x, j) => (j === i ? { ...x, price: e.target.value } : x)))}
              />
              <span className="muted small">{!itemErrors[i] ? fmtFiat(q.price.trim(), s.fiat.currency) : ''}</span>
              <button type="button" className="small" onClick={() => setItems(items.filter((_, j) => j !== i))} aria-label={`Remove item ${q.name || i + 1}`}>
                Remove
              </button>
              {itemErrors[i] && <span className="field-error">{itemErrors[i]}</span>}
            </li>
          ))}
        </ul>
        <div className="actions">
          <button type="button" disabled={items.length >= 48} onClick={() => setItems([...items, { name: '', price: '' }])}>
            Add item
          </button>
          <button type="submit" className="primary">
            Save counter
          </button>
        </div>
      </form>
      <SaveError error={error} />
    </Section>
  );
}

export function Tills() {
  const tills = useConsole((s) => s.tills);
  const showToast = useConsole((s) => s.showToast);
  const [name, setName] = useState('');
  const [edits, setEdits] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [ask, dialog] = useConfirm();
  const reload = (): Promise<void> => useConsole.getState().refreshCounter();
  useEffect(() => void reload().catch(() => {}), []);
  const run = (p: Promise<unknown>, done: string): void => {
    setError(null);
    p.then(
      () => {
        showToast(done);
        void reload();
      },
      (e: unknown) => setError(errorText(e)),
    );
  };
  const rename = (t: Till): void => {
    const next = (edits[t.id] ?? t.name).trim();
    if (next && next !== t.name) run(call('patchTill', { params: { id: t.id }, body: { name: next } }), 'Till renamed');
  };
  return (
    <Section title="Tills">
      <p className="muted">Each till has its own customer display: open it on a second screen with Customer display, or pair a tablet to it under Devices.</p>
      <ul className="till-list">
        {tills.map((t) => (
          <li key={t.id} data-till={t.id}>
            <input aria-label={`Name of ${t.name}`} value={edits[t.id] ?? t.name} maxLength={40} onChange={(e) => setEdits({ ...edits, [t.id]: e.target.value })} onBlur={() => rename(t)} />
            <button type="button" className="small" onClick={() => openCustomerDisplay(t.id)}>
              Open its display
            </button>
            <button
              type="button"
              className="small danger"
              disabled={tills.length <= 1}
              onClick={() =>
                ask({
                  title: `Delete the till ${t.name}?`,
                  children: <p>Its customer display stops showing sales. Past sales keep their records.</p>,
                  confirmLabel: 'Delete till',
                  cancelLabel: 'Keep it',
                  danger: true,
                  onConfirm: () => call('deleteTill', { params: { id: t.id } }).then(() => reload()),
                })
              }
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
      <form
        className="actions"
        onSubmit={(e) => {
          e.preventDefault();
          if (!name.trim()) return setError('Give the till a name, e.g. Terrace.');
          run(call('createTill', { body: { name: name.trim() } }), 'Till added');
          setName('');
        }}
      >
        <input aria-label="New till name" placeholder="New till, e.g. Terrace" value={name} maxLength={40} onChange={(e) => setName(e.target.value)} />
        <button type="submit">Add till</button>
      </form>
      <ErrorText error={error} />
      {dialog}
    </Section>
  );
}
