/**
 * What happens to each invoice of the years store: a deterministic mix of outcomes a shop sees over years of sales
 * (most invoices paid and confirmed, about a quarter abandoned carts, a few partial, over-, late or split payments,
 * cancellations, refunds and marks), with labels and order references like a shop's.
 */

/** A small seeded PRNG (mulberry32): the same store for the same seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Fate =
  | 'paid' // one payment in time, confirmed
  | 'abandoned' // nothing arrives; expires, the address is released after the grace
  | 'partial_abandoned' // a part arrives, the rest never: expired, the address stays held
  | 'split' // two payments that add up (multiple)
  | 'overpaid'
  | 'late' // the full amount after expiry, inside the grace (paid_late)
  | 'cancelled' // the cashier cancels before anything arrives
  | 'refunded' // paid, then a refund is recorded
  | 'marked'; // paid in cash, marked confirmed by the owner

/** Shares per 10,000 invoices. */
const FATES: [Fate, number][] = [
  ['paid', 6860],
  ['abandoned', 2400],
  ['partial_abandoned', 60],
  ['split', 100],
  ['overpaid', 50],
  ['late', 50],
  ['cancelled', 400],
  ['refunded', 50],
  ['marked', 30],
];

export function pickFate(r: number): Fate {
  let x = Math.floor(r * 10_000);
  for (const [f, n] of FATES) {
    if (x < n) return f;
    x -= n;
  }
  return 'paid';
}

const ITEMS = [
  'Espresso', 'Flat white', 'Cappuccino large', 'Croissant', 'Sourdough loaf', 'T-shirt black M', 'T-shirt white L',
  'Hoodie grey XL', 'Sticker pack', 'Hardware wallet', 'Book: Mastering Bitcoin', 'Gift card 25', 'Gift card 50',
  'Monthly subscription', 'Annual subscription', 'Consulting hour', 'Bike repair', 'Haircut', 'Pizza margherita',
  'Beer IPA 0.5l', 'Wine glass red', 'Concert ticket', 'Workshop seat', 'Donation', 'Domain renewal', 'VPN 1 month',
  'Shipping EU', 'Shipping world', 'Honey 500g', 'Olive oil 1l', 'Coffee beans 1kg', 'Tea sampler', 'Notebook A5',
];

/** A label (a third of invoices have none) and the shop's order reference. */
export function labelFor(r: () => number, i: number): { label: string; userdata: string } {
  const label = r() < 0.33 ? '' : r() < 0.5 ? ITEMS[Math.floor(r() * ITEMS.length)]! : `${ITEMS[Math.floor(r() * ITEMS.length)]!} x${1 + Math.floor(r() * 4)}`;
  return { label, userdata: `order-${100_000 + i}` };
}

/** Amounts from coffee to hardware: log-uniform between 2,000 and 2,000,000 sats. */
export function amountFor(r: () => number): number {
  return Math.round(2_000 * Math.pow(1_000, r()));
}
