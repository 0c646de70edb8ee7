/**
 * The pure rate rules (src/core/rates*.ts) as tables: decimal arithmetic on rate strings, median and outliers,
 * staleness, manual rates and spread, compaction and the "rate at time T" lookup the books use.
 */
import { describe, expect, it } from 'vitest';
import {
  applySpread,
  compareRates,
  deviatesBeyond,
  deviationPct,
  medianRate,
  parseRateText,
  pctToBp,
  RateValueError,
  withinFactor,
} from '../../src/core/rates-decimal.ts';
import { aggregateQuotes, decideRate, formatAge, type Quote, type RatePolicy } from '../../src/core/rates.ts';
import { compactHour, compactionCutoff, hourStart, HOUR_MS, rateAt } from '../../src/core/rates-history.ts';
import { RATE_SOURCE_IDS, RATE_SOURCES, sourcesQuoting } from '../../src/core/rates-sources.ts';
import { fiatToSats } from '../../src/core/money.ts';

describe('parseRateText', () => {
  const valid: [string, string][] = [
    ['43753', '43753'],
    ['30303.20000', '30303.2'],
    ['65000.123456789', '65000.12345679'], // half-up at the 9th decimal
    ['65000.123456784', '65000.12345678'],
    ['6.5e4', '65000'],
    ['6.5E+4', '65000'],
    ['1.23456789012e3', '1234.56789012'],
    ['12345e-2', '123.45'],
    ['0.00000001', '0.00000001'],
    ['0.000000005', '0.00000001'],
    ['007.50', '7.5'],
    ['999999999999999', '999999999999999'],
  ];
  it.each(valid)('%s → %s', (text, rate) => expect(parseRateText(text)).toBe(rate));

  const invalid: [string, RegExp][] = [
    ['', /is not a number/],
    ['abc', /is not a number/],
    ['1,5', /is not a number/],
    ['-1', /negative/],
    ['-65000.5', /negative/],
    ['0', /zero/],
    ['0.000000004', /zero/],
    ['-0', /zero/],
    ['1e41', /out of range/],
    ['1e20', /implausibly large/],
    ['1000000000000000', /implausibly large/],
    ['NaN', /is not a number/],
    ['Infinity', /is not a number/],
    [' 1', /is not a number/],
    ['1.', /is not a number/],
  ];
  it.each(invalid)('refuses %j', (text, why) => {
    expect(() => parseRateText(text)).toThrow(RateValueError);
    expect(() => parseRateText(text)).toThrow(why);
  });
});

describe('decimal rules on rates', () => {
  it.each([
    [['65000'], '65000'],
    [['3', '1', '2'], '2'],
    [['1', '2'], '1.5'],
    [['65000.1', '65000.2'], '65000.15'],
    [['0.00000001', '0.00000002'], '0.00000002'], // 0.000000015 rounds half-up
    [['100', '64000', '65000', '65500', '9000000'], '65000'],
    [['64000', '65000', '65500', '66000'], '65250'],
  ] as [string[], string][])('median of %j is %s', (rates, m) => expect(medianRate(rates)).toBe(m));

  it('median of nothing is an error', () => expect(() => medianRate([])).toThrow(/no rates/));

  it.each([
    ['65000', '65000', 0],
    ['65000.5', '65000.25', 1],
    ['9', '10', -1],
    ['10', '9.99999999', 1],
  ] as [string, string, number][])('compare %s %s → %d', (a, b, c) => expect(compareRates(a, b)).toBe(c));

  it.each([
    // rate, reference, bp, beyond?
    ['65000', '65000', 0, false],
    ['68250', '65000', 500, false], // exactly +5 %: not beyond
    ['68250.01', '65000', 500, true],
    ['61750', '65000', 500, false], // exactly -5 %
    ['61749.99', '65000', 500, true],
    ['65001', '65000', 1, false], // 0.0015 % < 0.01 %
    ['65007', '65000', 1, true],
  ] as [string, string, number, boolean][])('%s vs %s at %d bp → beyond %s', (r, ref, bp, beyond) =>
    expect(deviatesBeyond(r, ref, bp)).toBe(beyond),
  );

  it.each([
    ['65000', '65000', '0'],
    ['68250', '65000', '+5'],
    ['61750', '65000', '-5'],
    ['65650', '65000', '+1'],
    ['65003.25', '65000', '+0.01'],
    ['130000', '65000', '+100'],
  ])('deviation of %s from %s is %s %%', (r, ref, pct) => expect(deviationPct(r, ref)).toBe(pct));

  it.each([
    ['65000', '65000', true],
    ['32500', '65000', true],
    ['32499.99', '65000', false],
    ['130000', '65000', true],
    ['130000.01', '65000', false],
    ['650', '65000', false],
  ] as [string, string, boolean][])('%s within ×2 of %s: %s', (r, ref, ok) => expect(withinFactor(r, ref)).toBe(ok));

  it.each([
    ['65000', 0, '65000'],
    ['65000', 100, '64356.43564356'], // /1.01, rounded down
    ['65000', 250, '63414.63414634'],
    ['0.00000001', 100, '0.00000000'],
  ])('spread %s at %d bp → %s', (rate, bp, out) => {
    if (out === '0.00000000') expect(() => applySpread(rate, bp)).toThrow(/no rate/);
    else expect(applySpread(rate, bp)).toBe(out);
  });

  it('a +1 % spread makes the customer pay 1 % more sats (rounded up, never less)', () => {
    const plain = fiatToSats('100', '65000');
    const spread = fiatToSats('100', applySpread('65000', 100));
    expect(plain).toBe(153847);
    expect(spread).toBe(155385); // 153846.15… × 1.01 = 155384.6… → rounded up
    expect(spread).toBeGreaterThanOrEqual(Math.ceil(plain * 1.01) - 1);
  });

  it.each([
    [0, 0],
    [1, 100],
    [1.5, 150],
    [0.25, 25],
    [20, 2000],
  ])('%d %% = %d bp', (pct, bp) => expect(pctToBp(pct)).toBe(bp));
  it.each([0.123, -1, Number.NaN])('refuses %d %%', (pct) => expect(() => pctToBp(pct)).toThrow(/at most 2 decimals/));
});

const MIN = 60_000;
const NOW = 1_800_000_000_000;
const policy: RatePolicy = { maxAgeMs: 10 * MIN, outlierBp: 500, minSources: 1 };
const q = (source: string, rate: string, agoMs = 0): Quote => ({ source, rate, at: NOW - agoMs });

describe('aggregateQuotes: median, outliers, staleness', () => {
  const cases: {
    name: string;
    quotes: Quote[];
    policy?: Partial<RatePolicy>;
    rate: string | null;
    states?: Record<string, string>;
    reason?: RegExp;
  }[] = [
    { name: 'one source', quotes: [q('kraken', '65000')], rate: '65000', states: { kraken: 'used' } },
    {
      name: 'three agreeing sources give their median',
      quotes: [q('kraken', '65000'), q('bitstamp', '65100', MIN), q('coinbase', '64950', 2 * MIN)],
      rate: '65000',
      states: { kraken: 'used', bitstamp: 'used', coinbase: 'used' },
    },
    {
      name: 'a source 10 % off is flagged and left out',
      quotes: [q('kraken', '65000'), q('bitstamp', '65200'), q('coinbase', '71600')],
      rate: '65100',
      states: { kraken: 'used', bitstamp: 'used', coinbase: 'outlier' },
    },
    {
      name: 'an absurd price among many is an outlier',
      quotes: [q('a', '65000'), q('b', '65010'), q('c', '64990'), q('d', '0.65')],
      rate: '65000',
      states: { a: 'used', b: 'used', c: 'used', d: 'outlier' },
    },
    {
      name: 'a stale quote does not count',
      quotes: [q('kraken', '65000'), q('bitstamp', '60000', 11 * MIN)],
      rate: '65000',
      states: { kraken: 'used', bitstamp: 'stale' },
    },
    {
      name: 'a quote exactly at the limit still counts',
      quotes: [q('kraken', '65000', 10 * MIN)],
      rate: '65000',
    },
    {
      name: 'every quote stale: no rate, and the limit is said',
      quotes: [q('kraken', '65000', 11 * MIN), q('bitstamp', '65010', 14 * MIN)],
      rate: null,
      reason: /every EUR quote is older than the 10 min limit/,
    },
    { name: 'no quote at all', quotes: [], rate: null, reason: /no source has answered for EUR yet/ },
    {
      name: 'two sources 20 % apart: both flagged, no rate',
      quotes: [q('kraken', '60000'), q('bitstamp', '72000')],
      rate: null,
      reason: /2 EUR sources disagree by more than 5 %/,
    },
    {
      name: 'fewer agreeing sources than required',
      quotes: [q('kraken', '65000'), q('bitstamp', '65010', 20 * MIN)],
      policy: { minSources: 2 },
      rate: null,
      reason: /only 1 EUR source agrees \(at least 2 required\)/,
    },
    {
      name: 'a tighter threshold flags more',
      quotes: [q('a', '65000'), q('b', '65400'), q('c', '65100')],
      policy: { outlierBp: 30 },
      rate: '65050',
      states: { a: 'used', b: 'outlier', c: 'used' },
    },
  ];
  it.each(cases)('$name', (c) => {
    const agg = aggregateQuotes('EUR', c.quotes, NOW, { ...policy, ...c.policy });
    expect(agg.rate).toBe(c.rate);
    if (c.states) expect(Object.fromEntries(agg.quotes.map((x) => [x.source, x.state]))).toEqual(c.states);
    if (c.reason) expect(agg.reason).toMatch(c.reason);
    if (c.rate) {
      expect(agg.reason).toBeNull();
      expect(agg.sources).toEqual(agg.quotes.filter((x) => x.state === 'used').map((x) => x.source));
      expect(agg.at).toBe(Math.max(...agg.quotes.filter((x) => x.state === 'used').map((x) => x.at)));
    }
  });

  it('reports deviations from the median of the fresh quotes', () => {
    const agg = aggregateQuotes('EUR', [q('a', '65000'), q('b', '65000'), q('c', '71500')], NOW, policy);
    expect(agg.quotes.map((x) => x.deviation)).toEqual(['0', '0', '+10']);
  });
});

describe('decideRate: manual wins, stale means stop', () => {
  const live = aggregateQuotes('EUR', [q('kraken', '65000', 2 * MIN), q('bitstamp', '65100', MIN)], NOW, policy);
  const stale = aggregateQuotes('EUR', [q('kraken', '65000', 14 * MIN)], NOW, policy);

  it('a live rate is used with its sources and time', () => {
    const d = decideRate({ currency: 'EUR', manual: null, aggregate: live, spreadBp: 0, now: NOW, noLive: null });
    expect(d).toEqual({ ok: true, currency: 'EUR', rate: '65050', market: '65050', kind: 'live', sources: ['kraken', 'bitstamp'], at: NOW - MIN, spreadBp: 0 });
  });

  it('a spread applies to the live rate', () => {
    const d = decideRate({ currency: 'EUR', manual: null, aggregate: live, spreadBp: 100, now: NOW, noLive: null });
    expect(d.ok && [d.rate, d.market]).toEqual(['64405.94059405', '65050']);
  });

  it('a manual rate wins over a live one, and over a stale one', () => {
    for (const aggregate of [live, stale, null]) {
      const d = decideRate({ currency: 'EUR', manual: { rate: '60000', setAt: NOW - 3 * 24 * 3600_000 }, aggregate, spreadBp: 0, now: NOW, noLive: null });
      expect(d).toMatchObject({ ok: true, rate: '60000', kind: 'manual', sources: ['manual'], at: NOW - 3 * 24 * 3600_000 });
    }
  });

  it('a stale rate refuses with its age', () => {
    const d = decideRate({ currency: 'EUR', manual: null, aggregate: stale, spreadBp: 0, now: NOW, noLive: null });
    expect(d).toEqual({
      ok: false,
      currency: 'EUR',
      ageMs: 14 * MIN,
      message:
        'The last EUR rate is 14 min old: every EUR quote is older than the 10 min limit. Fiat invoices are refused until a source ' +
        'answers again. Set a manual EUR rate in Settings to sell in EUR now.',
    });
  });

  it('no rate ever: says so', () => {
    const d = decideRate({ currency: 'EUR', manual: null, aggregate: aggregateQuotes('EUR', [], NOW, policy), spreadBp: 0, now: NOW, noLive: null });
    expect(d.ok === false && d.message).toMatch(/^No EUR rate: no source has answered for EUR yet\. Fiat invoices are refused/);
  });

  it('a currency no selected source quotes: says which setting to change', () => {
    const d = decideRate({ currency: 'VES', manual: null, aggregate: null, spreadBp: 0, now: NOW, noLive: 'none of the selected rate sources quotes VES' });
    expect(d.ok === false && d.message).toBe(
      'No VES rate: none of the selected rate sources quotes VES, and no manual rate is set. Set a manual VES rate in Settings to sell in VES now.',
    );
  });
});

describe('formatAge', () => {
  it.each([
    [0, '0 s'],
    [59_999, '59 s'],
    [60_000, '1 min'],
    [14 * MIN + 5000, '14 min'],
    [60 * MIN, '1 h'],
    [185 * MIN, '3 h 5 min'],
    [48 * 60 * MIN, '2 d'],
    [52 * 60 * MIN, '2 d 4 h'],
    [-5, '0 s'],
  ])('%d ms → %s', (ms, text) => expect(formatAge(ms)).toBe(text));
});

describe('history: compaction and the rate at time T', () => {
  const H = Date.UTC(2026, 0, 10, 14); // 14:00 UTC
  it('compacts an hour to its median at the start of the hour', () => {
    expect(compactHour([{ at: H + 60_000, rate: '65000' }, { at: H + 1_800_000, rate: '65300' }, { at: H + 3_540_000, rate: '65100' }])).toEqual({
      at: H,
      rate: '65100',
      samples: 3,
    });
    expect(() => compactHour([{ at: H, rate: '1' }, { at: H + HOUR_MS, rate: '1' }])).toThrow(/share an hour/);
  });

  it('the compaction cutoff is 30 days back, on an hour', () => {
    expect(compactionCutoff(H + 30 * 24 * HOUR_MS + 1234)).toBe(H);
    expect(hourStart(H + HOUR_MS - 1)).toBe(H);
  });

  const point = (at: number, hourly = false) => ({ at, rate: '65000', hourly, sources: ['kraken', 'coinbase'] });
  const lock = { currency: 'EUR', rate: '64000', at: H - 5 * MIN, sources: ['bitstamp'] };
  it.each([
    { name: "the invoice's locked rate wins", input: { lock, point: point(H) }, out: { rate: '64000', basis: 'invoice', at: H - 5 * MIN } },
    { name: 'a lock in another currency is ignored', input: { lock: { ...lock, currency: 'USD' }, point: point(H + 25 * MIN) }, out: { rate: '65000', basis: 'history' } },
    { name: 'the market point in force', input: { lock: null, point: point(H + 20 * MIN) }, out: { rate: '65000', basis: 'history', at: H + 20 * MIN } },
    { name: 'a raw point older than the gap is not in force', input: { lock: null, point: point(H) }, out: { rate: null, reason: /is 30 min older/ } },
    { name: 'an hourly point covers its hour', input: { lock: null, point: point(H, true) }, out: { rate: '65000', basis: 'history' } },
    { name: 'nothing recorded', input: { lock: null, point: null }, out: { rate: null, reason: /no EUR rate was recorded before 2026-01-10T14:30:00.000Z/ } },
  ])('$name', ({ input, out }) => {
    const r = rateAt({ currency: 'EUR', t: H + 30 * MIN, maxGapMs: 10 * MIN, ...input });
    const { reason, ...rest } = out as { reason?: RegExp };
    expect(r).toMatchObject(rest);
    if (reason) expect((r as { reason: string }).reason).toMatch(reason);
  });
});

describe('the source catalogue', () => {
  it('has at least six sources covering the major currencies', () => {
    expect(RATE_SOURCE_IDS.length).toBeGreaterThanOrEqual(6);
    for (const cur of ['USD', 'EUR', 'GBP', 'JPY', 'CAD', 'CHF', 'AUD']) expect(sourcesQuoting(cur, RATE_SOURCE_IDS).length).toBeGreaterThanOrEqual(3);
    for (const cur of ['ARS', 'VES', 'BRL', 'MXN', 'COP']) expect(sourcesQuoting(cur, RATE_SOURCE_IDS)).toContain('yadio');
    for (const id of RATE_SOURCE_IDS) expect(RATE_SOURCES[id].currencies.every((c) => /^[A-Z]{3}$/.test(c))).toBe(true);
  });
  it('only selected sources count', () => expect(sourcesQuoting('EUR', ['bitstamp', 'yadio'])).toEqual(['bitstamp', 'yadio']));
});
