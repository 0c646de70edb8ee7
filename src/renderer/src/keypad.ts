/**
 * The keypad's entry rules, pure (unit-tested in test/unit/keypad.test.ts): what a key press does to the typed
 * text, and what the text is worth, with a sentence for everything that cannot be charged. Nothing here throws: a
 * keypad must never blank the screen.
 */
import { MAX_SATS, fiatToSats, parseBtc } from '../../core/money.ts';

export type Unit = 'sats' | 'BTC' | 'fiat';

export interface EntryRules {
  unit: Unit;
  /** Decimal places of the unit: sats 0, BTC 8, fiat the currency's (USD 2, JPY 0). */
  decimals: number;
  currency: string;
}

/** Longest integer part accepted: 21,000,000 BTC in sats has 16 digits; BTC 8; fiat 12 (the rate's limit). */
const MAX_INT_DIGITS: Record<Unit, number> = { sats: 16, BTC: 8, fiat: 12 };

export const unitName = (r: EntryRules): string => (r.unit === 'fiat' ? r.currency : r.unit);

/** A key press: a digit, '.', 'back' or 'clear'. Returns the new text and, when the key was refused, why. */
export function pressKey(entry: string, key: string, r: EntryRules): { entry: string; error: string | null } {
  if (key === 'clear') return { entry: '', error: null };
  if (key === 'back') return { entry: entry.slice(0, -1), error: null };
  if (key === '.') {
    if (r.decimals === 0) {
      return { entry, error: r.unit === 'sats' ? 'Sats are whole numbers: no decimal point.' : `${r.currency} has no decimals.` };
    }
    return { entry: entry.includes('.') ? entry : (entry || '0') + '.', error: null };
  }
  if (!/^[0-9]$/.test(key)) return { entry, error: null };
  const dot = entry.indexOf('.');
  if (dot >= 0) {
    if (entry.length - dot - 1 >= r.decimals) {
      return { entry, error: `${unitName(r)} has at most ${r.decimals} decimal place${r.decimals === 1 ? '' : 's'}.` };
    }
    return { entry: entry + key, error: null };
  }
  const next = entry === '0' ? key : entry + key;
  if (next.length > MAX_INT_DIGITS[r.unit]) return { entry, error: tooLarge(r) };
  return { entry: next, error: null };
}

function tooLarge(r: EntryRules): string {
  return r.unit === 'fiat' ? `At this rate that is more than 21,000,000 BTC, all the bitcoin there will ever be.` : 'That is more than 21,000,000 BTC, all the bitcoin there will ever be.';
}

export interface Valuation {
  /** What the text is worth, or null when it is empty or cannot be charged. */
  sats: number | null;
  /** Why it cannot be charged (shown as the user types; `charge` refuses with it). */
  error: string | null;
}

/**
 * The value of the typed text, with the bounds a real payment has: above zero, at most 21 M BTC, no more decimals
 * than the unit has, and at least the dust limit of the wallet's address type.
 */
export function valueOf(entry: string, r: EntryRules, ctx: { rate: string | null; minSats: number; rateMessage?: string | null }): Valuation {
  if (entry === '' || entry === '.') return { sats: null, error: null };
  const m = /^(\d*)(?:\.(\d*))?$/.exec(entry);
  if (!m) return { sats: null, error: 'Type digits only.' };
  const frac = m[2] ?? '';
  if (frac.length > r.decimals) return { sats: null, error: `${unitName(r)} has at most ${r.decimals} decimal place${r.decimals === 1 ? '' : 's'}.` };
  const clean = `${m[1] || '0'}${frac ? `.${frac}` : ''}`;
  if (!/[1-9]/.test(clean)) return { sats: null, error: 'Type an amount above zero.' };
  let sats: number;
  if (r.unit === 'sats') {
    if (BigInt(clean) > BigInt(MAX_SATS)) return { sats: null, error: tooLarge(r) };
    sats = Number(clean);
  } else if (r.unit === 'BTC') {
    if (BigInt(m[1] || '0') >= 21_000_001n) return { sats: null, error: tooLarge(r) };
    try {
      sats = parseBtc(clean);
    } catch {
      return { sats: null, error: tooLarge(r) };
    }
  } else {
    if (!ctx.rate) return { sats: null, error: ctx.rateMessage ?? `No ${r.currency} rate is set: ask the owner to set one, or sell in sats.` };
    try {
      sats = fiatToSats(clean, ctx.rate);
    } catch {
      return { sats: null, error: tooLarge(r) };
    }
  }
  if (sats < ctx.minSats) {
    return { sats: null, error: `Too small: no wallet can send less than ${ctx.minSats.toLocaleString('en-US')} sats to this shop's addresses.` };
  }
  return { sats, error: null };
}

/** Thousands separators in the typed text, keeping what was typed after the point ("12500.5" → "12,500.5"). */
export function groupEntry(entry: string): string {
  const [int = '', frac] = entry.split('.');
  const grouped = (int || '0').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/** The typed fiat text as a decimal string with the currency's places ("12.5" → "12.50"), for the API. */
export function fiatAmount(entry: string, decimals: number): string {
  const [int = '', frac = ''] = entry.split('.');
  const i = int.replace(/^0+(?=\d)/, '') || '0';
  return decimals ? `${i}.${frac.padEnd(decimals, '0')}` : i;
}
