import { describe, expect, it } from 'vitest';
import {
  MAX_SATS,
  assertSats,
  bip21,
  fiatToSats,
  formatBtc,
  formatBtcCompact,
  parseBtc,
  parseSatsAmount,
} from '../../src/core/money.ts';
import { SatdeskError } from '../../src/core/errors.ts';

function expectError(fn: () => unknown, code: string, message: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SatdeskError);
  expect((caught as SatdeskError).code).toBe(code);
  expect((caught as SatdeskError).message).toBe(message);
}

describe('formatBtc', () => {
  const valid: [number, string, string][] = [
    [122678000, '1.22678000', '1.22678'],
    [1, '0.00000001', '0.00000001'],
    [0, '0.00000000', '0'],
    [100_000, '0.00100000', '0.001'],
    [100_000_000, '1.00000000', '1'],
    [2_099_999_999_999_999, '20999999.99999999', '20999999.99999999'],
    [MAX_SATS, '21000000.00000000', '21000000'],
    [1_000_000_001, '10.00000001', '10.00000001'],
  ];
  it.each(valid)('%d sats → %s / %s', (sats, btc, compact) => {
    expect(formatBtc(sats)).toBe(btc);
    expect(formatBtcCompact(sats)).toBe(compact);
    expect(parseBtc(btc, { allowZero: true })).toBe(sats);
  });

  const invalid: unknown[] = [-1, 1.5, NaN, Infinity, MAX_SATS + 1, '1'];
  it.each(invalid)('refuses %s', (v) => {
    expectError(() => formatBtc(v as number), 'invalid_amount', 'sats must be an integer number of satoshis from 0 to 2100000000000000');
  });
});

describe('assertSats', () => {
  it('accepts 0 and MAX_SATS, refuses the rest with the field name', () => {
    expect(() => assertSats(0, 'paid')).not.toThrow();
    expect(() => assertSats(MAX_SATS, 'paid')).not.toThrow();
    expectError(() => assertSats(-5, 'paid'), 'invalid_amount', 'paid must be an integer number of satoshis from 0 to 2100000000000000');
    expectError(() => assertSats('5', 'paid'), 'invalid_amount', 'paid must be an integer number of satoshis from 0 to 2100000000000000');
  });
});

describe('parseBtc', () => {
  const valid: [string, number][] = [
    ['0.001', 100_000],
    ['1', 100_000_000],
    ['1.0', 100_000_000],
    ['1.22678', 122_678_000],
    ['1.22678000', 122_678_000],
    ['0.00000001', 1],
    ['007.5', 750_000_000],
    ['21000000', MAX_SATS],
    ['21000000.00000000', MAX_SATS],
    ['20999999.99999999', MAX_SATS - 1],
  ];
  it.each(valid)('%s → %d sats', (s, sats) => {
    expect(parseBtc(s)).toBe(sats);
  });

  const invalid: [unknown, string][] = [
    [1, 'amount must be a string'],
    [null, 'amount must be a string'],
    [undefined, 'amount must be a string'],
    ['', 'amount is empty'],
    ['1'.repeat(65), 'amount is too long (at most 64 characters)'],
    [' 1', 'amount must not contain whitespace'],
    ['1 ', 'amount must not contain whitespace'],
    ['1 000', 'amount must not contain whitespace'],
    ['0.\t1', 'amount must not contain whitespace'],
    ['1\u00a0000', 'amount must not contain whitespace'],
    ['1e-3', 'amount must not use exponent notation'],
    ['1E5', 'amount must not use exponent notation'],
    ['-1e5', 'amount must not use exponent notation'],
    ['.5e2', 'amount must not use exponent notation'],
    ['-1', 'amount must not be negative'],
    ['-0.001', 'amount must not be negative'],
    ['-0', 'amount must not be negative'],
    ['+1', "amount must not start with '+'"],
    ['1.', 'amount needs digits on both sides of the decimal point'],
    ['.5', 'amount needs digits on both sides of the decimal point'],
    ['.', 'amount is not a decimal number'],
    ['abc', 'amount is not a decimal number'],
    ['1,5', 'amount is not a decimal number'],
    ['0x10', 'amount is not a decimal number'],
    ['NaN', 'amount is not a decimal number'],
    ['Infinity', 'amount is not a decimal number'],
    ['1.2.3', 'amount is not a decimal number'],
    ['--1', 'amount is not a decimal number'],
    ['١', 'amount is not a decimal number'],
    ['0.000000001', 'amount has more than 8 decimal places'],
    ['1.123456789', 'amount has more than 8 decimal places'],
    ['21000000.00000001', 'amount is above 21000000 BTC'],
    ['99999999999', 'amount is above 21000000 BTC'],
    ['0', 'amount must be greater than zero'],
    ['0.00000000', 'amount must be greater than zero'],
  ];
  it.each(invalid)('refuses %j: %s', (s, message) => {
    expectError(() => parseBtc(s as string), 'invalid_amount', message);
  });

  it('names the field and can accept zero', () => {
    expectError(() => parseBtc('x', { field: 'amount_btc' }), 'invalid_amount', 'amount_btc is not a decimal number');
    expect(parseBtc('0', { allowZero: true })).toBe(0);
    expect(parseBtc('0.0', { allowZero: true })).toBe(0);
  });
});

describe('parseSatsAmount', () => {
  const valid: number[] = [1, 546, 122_678_000, MAX_SATS];
  it.each(valid)('accepts %d', (n) => {
    expect(parseSatsAmount(n)).toBe(n);
  });

  const invalid: [unknown, string][] = [
    ['1000', 'amount_sats must be a JSON integer number of satoshis, not a string'],
    [null, 'amount_sats must be a JSON integer number of satoshis, not null'],
    [undefined, 'amount_sats must be a JSON integer number of satoshis, not a undefined'],
    [true, 'amount_sats must be a JSON integer number of satoshis, not a boolean'],
    [[1], 'amount_sats must be a JSON integer number of satoshis, not an array'],
    [{}, 'amount_sats must be a JSON integer number of satoshis, not an object'],
    [10n, 'amount_sats must be a JSON integer number of satoshis, not a bigint'],
    [NaN, 'amount_sats must be a finite number'],
    [Infinity, 'amount_sats must be a finite number'],
    [-Infinity, 'amount_sats must be a finite number'],
    [1.5, 'amount_sats must be a whole number of satoshis'],
    [0.1, 'amount_sats must be a whole number of satoshis'],
    [0, 'amount_sats must be greater than zero'],
    [-0, 'amount_sats must be greater than zero'],
    [-1, 'amount_sats must be greater than zero'],
    [MAX_SATS + 1, 'amount_sats is above 21000000 BTC (2100000000000000 sats)'],
    [Number.MAX_SAFE_INTEGER + 2, 'amount_sats is above 21000000 BTC (2100000000000000 sats)'],
  ];
  it.each(invalid)('refuses %s: %s', (v, message) => {
    expectError(() => parseSatsAmount(v), 'invalid_amount', message);
  });
});

describe('fiatToSats', () => {
  const valid: [string, string, number][] = [
    ['10', '50000', 20_000],
    ['10.00', '50000.00', 20_000],
    ['0.01', '30000', 34], // 33.33… rounds up
    ['1', '3', 33_333_334], // 33333333.33… rounds up
    ['2', '3', 66_666_667], // 66666666.66… rounds up
    ['100', '100', 100_000_000], // exact: no rounding
    ['19.99', '61234.56', 32_645], // 32644.96… rounds up
    ['0.00000001', '1', 1], // exact
    ['0.00000001', '100000', 1], // 1e-5 sats rounds up to 1
  ];
  it.each(valid)('%s at %s → %d sats', (amount, rate, sats) => {
    expect(fiatToSats(amount, rate)).toBe(sats);
  });

  it('reaches exactly 21,000,000 BTC and no further', () => {
    expect(fiatToSats('21000000', '1')).toBe(MAX_SATS);
    expectError(() => fiatToSats('21000000.00000001', '1'), 'invalid_amount', 'fiat amount is above 21000000 BTC at this rate');
    expectError(() => fiatToSats('1', '0.00000001'), 'invalid_amount', 'fiat amount is above 21000000 BTC at this rate');
  });

  const invalid: [unknown, unknown, string][] = [
    [10, '50000', 'fiat amount must be a string'],
    ['', '50000', 'fiat amount is empty'],
    ['1 0', '50000', 'fiat amount must not contain whitespace'],
    ['1e2', '50000', 'fiat amount must not use exponent notation'],
    ['-10', '50000', 'fiat amount must not be negative'],
    ['+10', '50000', "fiat amount must not start with '+'"],
    ['10.', '50000', 'fiat amount needs digits on both sides of the decimal point'],
    ['ten', '50000', 'fiat amount is not a decimal number'],
    ['0.000000001', '50000', 'fiat amount has more than 8 decimal places'],
    ['0', '50000', 'fiat amount must be greater than zero'],
    ['0.00', '50000', 'fiat amount must be greater than zero'],
    ['10', 50000, 'rate must be a string'],
    ['10', '', 'rate is empty'],
    ['10', ' 50000', 'rate must not contain whitespace'],
    ['10', '5e4', 'rate must not use exponent notation'],
    ['10', '-50000', 'rate must not be negative'],
    ['10', '.5', 'rate needs digits on both sides of the decimal point'],
    ['10', '50,000', 'rate is not a decimal number'],
    ['10', '1.123456789', 'rate has more than 8 decimal places'],
    ['10', '0', 'rate must be greater than zero'],
  ];
  it.each(invalid)('refuses amount %j rate %j: %s', (amount, rate, message) => {
    expectError(() => fiatToSats(amount as string, rate as string), 'invalid_amount', message);
  });
});

describe('bip21', () => {
  const addr = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
  const valid: [string, number, string | undefined, string | undefined, string][] = [
    [addr, 100_000, undefined, undefined, `bitcoin:${addr}?amount=0.001`],
    [addr, 100_000_000, '', '', `bitcoin:${addr}?amount=1`],
    [addr, 122_678_000, 'Order 42', undefined, `bitcoin:${addr}?amount=1.22678&label=Order%2042`],
    [addr, 1, 'Café & co/€?=#', 'thanks!', `bitcoin:${addr}?amount=0.00000001&label=Caf%C3%A9%20%26%20co%2F%E2%82%AC%3F%3D%23&message=thanks!`],
    ['BCRT1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KYGT080', 5000, undefined, 'x', 'bitcoin:BCRT1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KYGT080?amount=0.00005&message=x'],
  ];
  it.each(valid)('%s %d %j %j', (a, sats, label, message, uri) => {
    expect(bip21(a, sats, label, message)).toBe(uri);
  });

  it('refuses bad input', () => {
    expectError(() => bip21('', 1), 'invalid_address', 'address must be a non-empty string of letters and digits');
    expectError(() => bip21('bc1q?x=1', 1), 'invalid_address', 'address must be a non-empty string of letters and digits');
    expectError(() => bip21(addr, 0), 'invalid_amount', 'amount_sats must be greater than zero');
    expectError(() => bip21(addr, 1.5), 'invalid_amount', 'amount_sats must be a whole number of satoshis');
    expectError(() => bip21(addr, 1, '\ud800'), 'invalid_request', 'label is not valid Unicode text');
  });
});
