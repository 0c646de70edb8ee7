/** Turning what the seller typed into an invoice, and clearing the till's customer display for the next sale. */
import type { CreateInvoiceRequest, Invoice } from '../../../shared/contract.ts';
import type { CounterConfig, SaleLine } from '../../../shared/contract-counter.ts';
import { linesTotal, tipOfPercent, tipSatsOfPercent } from '../../../core/counter.ts';
import { fiatToSats } from '../../../core/money.ts';
import { call } from '../api.ts';
import { useConsole } from '../store.ts';
import { fiatAmount, valueOf, type EntryRules, type Unit, type Valuation } from '../keypad.ts';

export interface Draft {
  unit: Unit;
  entry: string;
  /** Quick items tapped: the amount is their total, in the shop currency. */
  cart: SaleLine[];
  label: string;
}

export const rulesOf = (unit: Unit, cfg: CounterConfig | null): EntryRules => ({
  unit,
  decimals: unit === 'sats' ? 0 : unit === 'BTC' ? 8 : (cfg?.decimals ?? 2),
  currency: cfg?.currency ?? 'USD',
});

export interface Priced extends Valuation {
  /** The fiat amount as the API takes it ("12.50"), for a sale in the shop currency. */
  fiat: string | null;
}

/** What the draft is worth: the cart's total, or the typed amount in its unit. */
export function priceDraft(d: Draft, cfg: CounterConfig | null): Priced {
  const ctx = { rate: cfg?.rate ?? null, minSats: cfg?.min_sats ?? 1, rateMessage: cfg?.rate_message ?? null };
  if (d.cart.length) {
    const places = cfg?.decimals ?? 2;
    const total = linesTotal(d.cart, places);
    const v = valueOf(total, rulesOf('fiat', cfg), ctx);
    return { ...v, fiat: total };
  }
  const r = rulesOf(d.unit, cfg);
  const v = valueOf(d.entry, r, ctx);
  return { ...v, fiat: d.unit === 'fiat' && v.sats !== null ? fiatAmount(d.entry, r.decimals) : null };
}

/** A tip: a preset percentage, or a custom amount typed in the sale's unit (fiat text, or sats). */
export type TipChoice = { pct: number } | { fiat: string } | { sats: number } | null;

/** The tip in the sale's terms: a fiat string for a fiat sale, sats otherwise. */
export function tipAmount(price: Priced, choice: TipChoice, cfg: CounterConfig | null): { fiat: string | null; sats: number } {
  if (!choice) return { fiat: null, sats: 0 };
  if (price.fiat !== null && cfg?.rate) {
    const fiat = 'pct' in choice ? tipOfPercent(price.fiat, choice.pct, cfg.decimals) : 'fiat' in choice ? choice.fiat : '0';
    return { fiat, sats: /[1-9]/.test(fiat) ? fiatToSats(fiat, cfg.rate) : 0 };
  }
  const sats = 'pct' in choice ? tipSatsOfPercent(price.sats ?? 0, choice.pct) : 'sats' in choice ? choice.sats : 0;
  return { fiat: null, sats };
}

export async function createSale(d: Draft, price: Priced, tip: TipChoice, cfg: CounterConfig | null, tillId: string | null): Promise<Invoice> {
  const body: CreateInvoiceRequest =
    price.fiat !== null
      ? { amount_fiat: price.fiat, currency: cfg?.currency }
      : d.unit === 'BTC'
        ? { amount_btc: d.entry.endsWith('.') ? d.entry.slice(0, -1) : d.entry }
        : { amount_sats: price.sats ?? 0 };
  const t = tipAmount(price, tip, cfg);
  if (t.fiat !== null && /[1-9]/.test(t.fiat)) body.tip_fiat = t.fiat;
  else if (t.fiat === null && t.sats > 0) body.tip_sats = t.sats;
  if (d.cart.length) body.items = d.cart;
  const label = d.label.trim() || d.cart.map((l) => `${l.qty}× ${l.name}`).join(', ');
  if (label) body.label = label.slice(0, 256);
  if (tillId) body.till_id = tillId;
  const inv = await call('createInvoice', { body, headers: { 'Idempotency-Key': idempotencyKey() } });
  useConsole.getState().setInvoice(inv);
  return inv;
}

/** A random key per sale: a retried request never makes a second invoice. getRandomValues works on plain HTTP too. */
function idempotencyKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Shows nothing (or a tip prompt) on this till's customer display. Best effort: selling goes on if it fails. */
export function setTillPrompt(tillId: string | null, prompt: { amount_sats: number; amount_fiat: string | null; currency: string | null } | null): void {
  if (!tillId) return;
  void call('setTillSale', { params: { id: tillId }, body: { invoice_id: null, prompt } }).catch(() => {});
}
