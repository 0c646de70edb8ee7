/** The books' one derivation of money (src/core/ledger.ts, docs/books.md), as tables. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  FiatSums,
  balance,
  bookState,
  checkRefund,
  confirmations,
  currencyDecimals,
  dueSats,
  fiatMinorUnits,
  fiatValue,
  formatMinor,
} from '../../src/core/ledger.ts';
import { SatdeskError } from '../../src/core/errors.ts';

function errorOf(f: () => unknown): SatdeskError {
  try {
    f();
  } catch (e) {
    if (e instanceof SatdeskError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('confirmations: one rule for the API, the planner, the exports and evaluate', () => {
  it.each([
    // height, tip, verified, expected
    [0, 200, true, 0],
    [0, 200, false, 0],
    [200, 200, true, 1],
    [195, 200, true, 6],
    [201, 200, true, 1], // our tip lags the block we verified: still confirmed
    [195, 200, false, 0], // no verified merkle proof: not a confirmation
    [-1, 200, true, 0], // an unconfirmed parent is a mempool entry
  ])('height %i, tip %i, verified %s → %i', (h, tip, v, n) => {
    expect(confirmations(h, tip, v)).toBe(n);
  });
});

describe('balance: due, missing, overpaid, refunded, refundable, net', () => {
  it.each([
    // amount, tolerance, received, confirmed, refunded → due, missing, overpaid, refundable, net
    [5000, 0, 0, 0, 0, 5000, 5000, 0, 0, 0],
    [5000, 0, 4000, 0, 0, 5000, 1000, 0, 4000, 4000],
    [5000, 0, 7000, 7000, 2000, 5000, 0, 2000, 5000, 5000],
    [5000, 1, 4950, 0, 0, 4950, 0, 0, 4950, 4950],
    // a 100 % tolerance still needs a payment: due 1, missing 1 (the API used to say 0)
    [5000, 100, 0, 0, 0, 1, 1, 0, 0, 0],
    [1, 100, 0, 0, 0, 1, 1, 0, 0, 0],
    // refunded more than received after a reversal: refundable floors at 0, net goes negative
    [5000, 0, 0, 0, 3000, 5000, 5000, 0, 0, -3000],
  ])('amount %i tolerance %i%% received %i confirmed %i refunded %i', (amount, tol, rec, conf, ref, due, missing, over, refundable, net) => {
    const b = balance({ amountSats: amount, tolerancePct: tol }, { receivedSats: rec, confirmedSats: conf, refundedSats: ref });
    expect(b).toEqual({
      dueSats: due,
      receivedSats: rec,
      confirmedSats: conf,
      missingSats: missing,
      overpaidSats: over,
      refundedSats: ref,
      refundableSats: refundable,
      netSats: net,
    });
    expect(b.dueSats).toBe(dueSats(amount, tol));
  });
});

describe('dueSats', () => {
  it('agrees with exact BigInt arithmetic for every amount and tolerance', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2_100_000_000_000_000 }), fc.integer({ min: 0, max: 10_000 }), (amount, bp) => {
        const exact = BigInt(amount) - (BigInt(amount) * BigInt(bp)) / 10000n;
        expect(dueSats(amount, bp / 100)).toBe(Number(exact < 1n ? 1n : exact));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('checkRefund (docs/spec/invoices.md#refunds)', () => {
  const b = (received: number, refunded: number) => balance({ amountSats: 5000, tolerancePct: 0 }, { receivedSats: received, confirmedSats: 0, refundedSats: refunded });

  it('refuses a refund on an invoice that received nothing', () => {
    const e = errorOf(() => checkRefund(100, b(0, 0)));
    expect(e.code).toBe('refund_exceeds_received');
    expect(e.message).toBe('This invoice received nothing (0 sats): there is nothing to refund.');
  });

  it('refuses more than received minus already refunded, with the numbers', () => {
    const e = errorOf(() => checkRefund(999_999_999, b(5000, 0)));
    expect(e.code).toBe('refund_exceeds_received');
    expect(e.message).toBe(
      'A refund of 999999999 sats is more than this invoice can refund: it received 5000 sats and 0 were already refunded, so at most 5000 sats.',
    );
    expect(errorOf(() => checkRefund(2001, b(7000, 5000))).message).toMatch(/received 7000 sats and 5000 were already refunded, so at most 2000 sats/);
  });

  it('accepts up to exactly what is left', () => {
    expect(() => checkRefund(5000, b(5000, 0))).not.toThrow();
    expect(() => checkRefund(2000, b(7000, 5000))).not.toThrow();
    expect(() => checkRefund(1, b(7000, 6999))).not.toThrow();
  });
});

describe('bookState', () => {
  it.each([
    [{ gone: false, invoiceId: 'inv' }, 'counted'],
    [{ gone: false, invoiceId: null }, 'unattributed'],
    [{ gone: true, invoiceId: 'inv' }, 'reversed'],
    [{ gone: true, invoiceId: null }, 'reversed'],
  ] as const)('%j → %s', (p, s) => {
    expect(bookState(p)).toBe(s);
  });
});

describe('fiat values: exact, half up, in the currency’s minor units', () => {
  it.each([
    // sats, rate, currency → amount
    [100_000_000, '65000.50', 'EUR', '65000.50'],
    [1, '65000', 'EUR', '0.00'], // 0.00065 EUR
    [8, '65000', 'EUR', '0.01'], // 0.0052 → 0.01 (half up at .005)
    [7, '65000', 'EUR', '0.00'], // 0.00455
    [12_345_678, '30000.12345678', 'USD', '3703.72'],
    [100_000, '10000000', 'JPY', '10000'],
    [2_100_000_000_000_000, '999999999999999.99999999', 'EUR', '20999999999999999999999.79'],
  ])('%i sats at %s %s → %s', (sats, rate, cur, amount) => {
    expect(formatMinor(fiatMinorUnits(sats, rate, cur), cur)).toBe(amount);
  });

  it('knows the minor units of a currency, 2 when unknown', () => {
    expect(currencyDecimals('EUR')).toBe(2);
    expect(currencyDecimals('JPY')).toBe(0);
    expect(currencyDecimals('BHD')).toBe(3);
    expect(currencyDecimals('NOTACURRENCY')).toBe(2);
  });

  it('a refund is negative; a missing rate keeps its reason', () => {
    expect(fiatValue(-8, { rate: '65000', currency: 'EUR', basis: 'invoice' })).toEqual({ currency: 'EUR', amount: '-0.01', rate: '65000', basis: 'invoice', reason: null });
    expect(fiatValue(5000, { rate: null, currency: 'EUR', reason: 'no EUR rate was recorded' })).toEqual({
      currency: 'EUR',
      amount: null,
      rate: null,
      basis: null,
      reason: 'no EUR rate was recorded',
    });
  });

  it('sums exactly per currency, in the currency’s digits unless a value had more', () => {
    const s = new FiatSums();
    s.add({ currency: 'EUR', amount: '0.10' });
    s.add({ currency: 'EUR', amount: '0.20' });
    s.add({ currency: 'USD', amount: null });
    s.add({ currency: 'EUR', amount: '-0.05' });
    const t = new FiatSums();
    t.add({ currency: 'JPY', amount: '7' });
    s.merge(t);
    expect(s.list()).toEqual([
      { currency: 'EUR', amount: '0.25', missing: 0 },
      { currency: 'JPY', amount: '7', missing: 0 },
      { currency: 'USD', amount: '0.00', missing: 1 },
    ]);
    s.add({ currency: 'EUR', amount: '0.005' }); // a price typed with more digits than the currency has
    expect(s.list()[0]).toEqual({ currency: 'EUR', amount: '0.255', missing: 0 });
    s.add({ currency: 'EUR', amount: '-0.505' });
    expect(s.list()).toEqual([
      { currency: 'EUR', amount: '-0.25', missing: 0 },
      { currency: 'JPY', amount: '7', missing: 0 },
      { currency: 'USD', amount: '0.00', missing: 1 },
    ]);
  });
});
