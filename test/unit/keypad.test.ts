/** The keypad's entry rules (src/renderer/src/keypad.ts): nothing throws, everything refused says why. */
import { describe, expect, it } from 'vitest';
import { fiatAmount, groupEntry, pressKey, valueOf, type EntryRules } from '../../src/renderer/src/keypad.ts';

const sats: EntryRules = { unit: 'sats', decimals: 0, currency: 'USD' };
const btc: EntryRules = { unit: 'BTC', decimals: 8, currency: 'USD' };
const usd: EntryRules = { unit: 'fiat', decimals: 2, currency: 'USD' };
const jpy: EntryRules = { unit: 'fiat', decimals: 0, currency: 'JPY' };
const type = (keys: string, r: EntryRules): { entry: string; error: string | null } => {
  let s = { entry: '', error: null as string | null };
  for (const k of keys) s = pressKey(s.entry, k, r);
  return s;
};
const ctx = { rate: '65000', minSats: 294 };

describe('pressKey', () => {
  it('refuses a decimal point where the unit has none, and a decimal too many', () => {
    expect(type('12.', sats)).toEqual({ entry: '12', error: 'Sats are whole numbers: no decimal point.' });
    expect(type('5.', jpy)).toEqual({ entry: '5', error: 'JPY has no decimals.' });
    expect(type('0.000000001', btc)).toEqual({ entry: '0.00000000', error: 'BTC has at most 8 decimal places.' });
    expect(type('1.234', usd)).toEqual({ entry: '1.23', error: 'USD has at most 2 decimal places.' });
  });

  it('caps the integer digits (16 for sats, 8 for BTC), drops a leading zero, edits', () => {
    expect(type('21000000000000019', sats).entry).toBe('2100000000000001');
    expect(type('123456789', btc).entry).toBe('12345678');
    expect(type('05', sats).entry).toBe('5');
    expect(type('.5', usd).entry).toBe('0.5');
    expect(pressKey('123', 'back', sats).entry).toBe('12');
    expect(pressKey('123', 'clear', sats).entry).toBe('');
  });
});

describe('valueOf', () => {
  it.each([
    ['2100000000000001', sats, /more than 21,000,000 BTC/],
    ['99999999', btc, /more than 21,000,000 BTC/],
    ['21000000.00000001', btc, /more than 21,000,000 BTC/],
    ['0', sats, /above zero/],
    ['0.00000000', btc, /above zero/],
    ['1', sats, /no wallet can send less than 294 sats/],
    ['0.00000100', btc, /no wallet can send less than 294 sats/],
    ['0.10', usd, /no wallet can send less than 294 sats/],
  ] as const)('%s (%s) is refused', (entry, r, msg) => {
    const v = valueOf(entry, r, ctx);
    expect(v.sats).toBeNull();
    expect(v.error).toMatch(msg);
  });

  it('values what can be charged', () => {
    expect(valueOf('2100000000000000', sats, ctx)).toEqual({ sats: 2_100_000_000_000_000, error: null });
    expect(valueOf('0.0005', btc, ctx)).toEqual({ sats: 50_000, error: null });
    expect(valueOf('12.5', usd, ctx)).toEqual({ sats: 19_231, error: null });
    expect(valueOf('', usd, ctx)).toEqual({ sats: null, error: null });
    expect(valueOf('12', usd, { rate: null, minSats: 294 }).error).toMatch(/No USD rate is set/);
    expect(valueOf('999999999999', usd, { rate: '10000', minSats: 294 }).error).toMatch(/At this rate that is more than 21,000,000 BTC/);
  });
});

describe('formatting', () => {
  it('groups thousands as typed and pads fiat for the API', () => {
    expect(groupEntry('12500')).toBe('12,500');
    expect(groupEntry('1234567.5')).toBe('1,234,567.5');
    expect(groupEntry('')).toBe('0');
    expect(fiatAmount('12.5', 2)).toBe('12.50');
    expect(fiatAmount('007', 2)).toBe('7.00');
    expect(fiatAmount('1500', 0)).toBe('1500');
  });
});
