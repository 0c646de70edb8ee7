/**
 * The counter's money rules (docs/counter.md): the smallest invoice a wallet can be paid (the dust limit of its
 * address type), tips added to a fiat or sats sale, quick-item totals, and the currency's decimal places. Every
 * number here is computed once and used by the API, the keypad and the receipt alike. Integer arithmetic only.
 */
import { SatdeskError } from './errors.ts';
import { MAX_SATS, fiatToSats } from './money.ts';
import type { AddressType } from './wallet/address.ts';
import type { WalletScript } from './wallet/source.ts';

/**
 * Bitcoin Core's dust thresholds at its default dust relay fee (3 sat/vB): an output below these is non-standard,
 * so no wallet broadcasts a payment that small (policy/policy.cpp, GetDustThreshold).
 */
export const DUST_SATS: Record<AddressType, number> = { p2pkh: 546, p2sh: 540, p2wpkh: 294, p2wsh: 330, p2tr: 330 };

/** The address type a wallet script pays to. */
export function addressTypeOfScript(script: WalletScript): AddressType {
  switch (script) {
    case 'p2pkh':
      return 'p2pkh';
    case 'p2sh-p2wpkh':
      return 'p2sh';
    case 'p2wpkh':
      return 'p2wpkh';
    case 'p2wsh-sortedmulti':
      return 'p2wsh';
    case 'p2tr':
      return 'p2tr';
  }
}

/** The smallest invoice for a wallet script; a static pool (any type) takes the largest threshold. */
export function minInvoiceSats(script: WalletScript | null): number {
  return script === null ? Math.max(...Object.values(DUST_SATS)) : DUST_SATS[addressTypeOfScript(script)];
}

function bad(message: string): SatdeskError {
  return new SatdeskError('invalid_amount', message);
}

/** Throws `invalid_amount` when `sats` is below what an address of `type` can be paid. */
export function assertAboveDust(sats: number, type: AddressType): void {
  const min = DUST_SATS[type];
  if (sats < min) {
    throw bad(`${sats} sats is below the dust limit of this wallet's address type (${min} sats): no wallet can send that little.`);
  }
}

/**
 * The most used currencies' places, as Intl gives them (test/unit/counter.test.ts holds them to Intl): the first
 * Intl.NumberFormat of a process loads locale data, tens of milliseconds of a cold start's first page.
 */
export const KNOWN_DECIMALS: Readonly<Record<string, number>> = { USD: 2, EUR: 2, GBP: 2, CHF: 2, CAD: 2, AUD: 2, JPY: 0 };

/** Decimal places of a currency (ISO 4217 minor units through Intl): USD 2, JPY 0, BHD 3. Unknown codes: 2. */
export function currencyDecimals(currency: string): number {
  const known = KNOWN_DECIMALS[currency];
  if (known !== undefined) return known;
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

const DEC_RE = /^(\d{1,15})(?:\.(\d{1,8}))?$/;

/** A non-negative decimal string as an integer count of 10^-places units ("12.5", 2 → 1250n). */
export function toUnits(amount: string, places: number, field = 'amount'): bigint {
  const m = DEC_RE.exec(amount);
  if (!m) throw bad(`${field} is not a decimal number such as "12.50"`);
  const frac = m[2] ?? '';
  if (frac.length > places) throw bad(`${field} has more than ${places} decimal place${places === 1 ? '' : 's'}`);
  return BigInt(m[1]! + frac.padEnd(places, '0'));
}

/** Integer units back to a decimal string with exactly `places` decimals (1250n, 2 → "12.50"). */
export function fromUnits(units: bigint, places: number): string {
  const s = units.toString().padStart(places + 1, '0');
  return places ? `${s.slice(0, -places)}.${s.slice(-places)}` : s;
}

/** A tip of `pct` percent of a fiat amount, rounded half up to the currency's smallest unit. */
export function tipOfPercent(amount: string, pct: number, places: number): string {
  if (!Number.isInteger(pct) || pct < 0 || pct > 100) throw bad('a tip percentage is a whole number from 0 to 100');
  const units = toUnits(amount, places);
  return fromUnits((units * BigInt(pct) + 50n) / 100n, places);
}

/** A tip of `pct` percent of a sats amount, rounded half up. */
export function tipSatsOfPercent(sats: number, pct: number): number {
  if (!Number.isInteger(pct) || pct < 0 || pct > 100) throw bad('a tip percentage is a whole number from 0 to 100');
  return Number((BigInt(sats) * BigInt(pct) + 50n) / 100n);
}

export interface SaleLine {
  name: string;
  qty: number;
  /** Unit price in the shop's currency, a decimal string. */
  price: string;
}

/** The sum of quick-item lines (qty × price), in the currency's places. */
export function linesTotal(lines: readonly SaleLine[], places: number): string {
  let total = 0n;
  for (const l of lines) {
    if (!Number.isInteger(l.qty) || l.qty < 1 || l.qty > 999) throw bad(`quantity of "${l.name}" must be 1–999`);
    total += toUnits(l.price, places, `price of "${l.name}"`) * BigInt(l.qty);
  }
  return fromUnits(total, places);
}

export interface FiatSale {
  /** What the customer pays, tip included. */
  totalFiat: string;
  totalSats: number;
  /** The tip's share of totalSats: totalSats minus what the amount alone converts to, so the parts add up. */
  tipSats: number;
}

/** A fiat sale with an optional tip, converted at `rate` (fiat → sats rounds up, docs/spec/money.md). */
export function fiatSale(amount: string, tip: string | null, rate: string, places: number): FiatSale {
  const base = toUnits(amount, places, 'amount_fiat');
  const tipUnits = tip === null ? 0n : toUnits(tip, places, 'tip_fiat');
  const totalFiat = fromUnits(base + tipUnits, places);
  const totalSats = fiatToSats(totalFiat, rate);
  const tipSats = tipUnits === 0n ? 0 : totalSats - fiatToSats(fromUnits(base, places), rate);
  return { totalFiat, totalSats, tipSats };
}

/** A sats sale with an optional tip in sats. */
export function satsSale(amount: number, tip: number | null): { totalSats: number; tipSats: number } {
  const t = tip ?? 0;
  if (!Number.isSafeInteger(t) || t < 0) throw bad('tip_sats must be a whole number of satoshis, 0 or more');
  if (amount + t > MAX_SATS) throw bad('the amount with its tip is above 21,000,000 BTC');
  return { totalSats: amount + t, tipSats: t };
}

/**
 * Why a payable QR must not be shown as if someone were watching, or null when the chain is watched and synced.
 * One sentence each, for the charge view, the customer display and the status bar alike.
 */
export function chainWarning(chain: { connected: boolean; synced: boolean; lag_blocks: number | null }): string | null {
  if (!chain.connected) return 'Not connected to the Bitcoin network: a payment would not be seen. Do not take payment until it reconnects.';
  if (!chain.synced) {
    const behind = chain.lag_blocks ? ` (${chain.lag_blocks} block${chain.lag_blocks === 1 ? '' : 's'} behind)` : '';
    return `Catching up with the Bitcoin network${behind}: a payment may show late. Wait until it is synced.`;
  }
  return null;
}
