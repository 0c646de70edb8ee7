/** The counter's money rules (src/core/counter.ts): dust limits, tips, item totals, currency places, the chain banner. */
import { describe, expect, it } from 'vitest';
import {
  chainWarning,
  currencyDecimals,
  DUST_SATS,
  fiatSale,
  fromUnits,
  KNOWN_DECIMALS,
  linesTotal,
  minInvoiceSats,
  satsSale,
  tipOfPercent,
  tipSatsOfPercent,
  toUnits,
} from '../../src/core/counter.ts';
import { fiatToSats } from '../../src/core/money.ts';
import { errorOf } from '../helpers/keys.ts';

describe('dust limits', () => {
  it('follow the address type; a static pool takes the largest', () => {
    expect(minInvoiceSats('p2wpkh')).toBe(294);
    expect(minInvoiceSats('p2pkh')).toBe(546);
    expect(minInvoiceSats('p2sh-p2wpkh')).toBe(540);
    expect(minInvoiceSats('p2tr')).toBe(330);
    expect(minInvoiceSats('p2wsh-sortedmulti')).toBe(330);
    expect(minInvoiceSats(null)).toBe(Math.max(...Object.values(DUST_SATS)));
  });
});

describe('currency places and decimal units', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['JPY', 0],
    ['BHD', 3],
    ['XYZQ', 2],
  ])('%s has %i places', (c, n) => expect(currencyDecimals(c)).toBe(n));

  it('knows the common currencies without Intl, as Intl gives them', () => {
    for (const [c, n] of Object.entries(KNOWN_DECIMALS)) {
      expect(new Intl.NumberFormat('en', { style: 'currency', currency: c }).resolvedOptions().maximumFractionDigits).toBe(n);
    }
  });

  it('round-trips decimal strings through integer units and refuses extra places', () => {
    expect(toUnits('12.5', 2)).toBe(1250n);
    expect(fromUnits(1250n, 2)).toBe('12.50');
    expect(fromUnits(5n, 2)).toBe('0.05');
    expect(fromUnits(700n, 0)).toBe('700');
    expect(errorOf(() => toUnits('1.234', 2)).message).toBe('amount has more than 2 decimal places');
    expect(errorOf(() => toUnits('1e3', 2)).code).toBe('invalid_amount');
  });
});

describe('tips', () => {
  it.each([
    ['12.50', 15, 2, '1.88'], // 1.875 rounds half up
    ['12.50', 10, 2, '1.25'],
    ['0.01', 10, 2, '0.00'],
    ['1000', 15, 0, '150'],
  ])('%s × %i %% (%i places) = %s', (amount, pct, places, tip) => expect(tipOfPercent(amount, pct, places)).toBe(tip));

  it('in sats, and refuses a fractional or out-of-range percentage', () => {
    expect(tipSatsOfPercent(19_231, 15)).toBe(2885);
    expect(errorOf(() => tipOfPercent('10', 12.5, 2)).code).toBe('invalid_amount');
    expect(errorOf(() => tipSatsOfPercent(10, 101)).code).toBe('invalid_amount');
  });

  it('a fiat sale: the total converts once, the tip is its share, and the parts add up', () => {
    const s = fiatSale('12.50', '1.88', '65000', 2);
    expect(s.totalFiat).toBe('14.38');
    expect(s.totalSats).toBe(fiatToSats('14.38', '65000'));
    expect(s.totalSats - s.tipSats).toBe(fiatToSats('12.50', '65000'));
    expect(fiatSale('12.50', null, '65000', 2)).toEqual({ totalFiat: '12.50', totalSats: fiatToSats('12.50', '65000'), tipSats: 0 });
  });

  it('a sats sale adds the tip and stays within 21 M BTC', () => {
    expect(satsSale(10_000, 500)).toEqual({ totalSats: 10_500, tipSats: 500 });
    expect(errorOf(() => satsSale(2_100_000_000_000_000, 1)).message).toMatch(/above 21,000,000 BTC/);
  });
});

describe('quick items', () => {
  it('sum qty × price in the currency places', () => {
    expect(linesTotal([{ name: 'Coffee', qty: 3, price: '2.40' }, { name: 'Bun', qty: 1, price: '1.5' }], 2)).toBe('8.70');
    expect(errorOf(() => linesTotal([{ name: 'Coffee', qty: 0, price: '2' }], 2)).message).toBe('quantity of "Coffee" must be 1–999');
  });
});

describe('the chain banner', () => {
  it('says why a QR must not be trusted, or nothing when synced', () => {
    expect(chainWarning({ connected: false, synced: false, lag_blocks: null })).toMatch(/^Not connected/);
    expect(chainWarning({ connected: true, synced: false, lag_blocks: 3 })).toMatch(/\(3 blocks behind\)/);
    expect(chainWarning({ connected: true, synced: true, lag_blocks: 0 })).toBeNull();
  });
});
