/**
 * Live rates end to end through `startApp` and the HTTP API: three local fake sources (real HTTP servers on
 * loopback, in Kraken's, Bitstamp's and Coinbase's documented shapes); invoices in EUR get the median; a source
 * drifting away is flagged and left out; a silent source goes stale; when every quote is stale fiat invoices are
 * refused with 503 rate_unavailable (and the age) until a source answers again; a manual rate wins; the rate used is
 * locked into the invoice; the settings refuse a shop currency nothing can price.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fiatToSats } from '../../src/core/money.ts';
import { alertFor } from '../../src/node/alerts.ts';
import type { App } from '../../src/node/app.ts';
import { ApiClient, startTestApp } from '../helpers/api.ts';
import { freshTpub } from '../helpers/keys.ts';
import { manualClock, startThreeSources, type ThreeSources } from '../helpers/rate-sources.ts';

const MIN = 60_000;
const clock = manualClock();

let app: App;
let api: ApiClient;
let sources: ThreeSources;
const answer = (k: string | null, b: string | null, c: string | null): void => sources.answer(k, b, c);

async function refresh(): Promise<any> {
  const r = await api.post('/rates/refresh');
  expect(r.status).toBe(200);
  return r.body;
}

const eurOf = (rates: any) => rates.rates.find((r: any) => r.currency === 'EUR');
const invoiceCount = (): number => (app.db.prepare('SELECT COUNT(*) AS n FROM invoices').get() as { n: number }).n;
const rateEvents = (): { type: string; data: string }[] =>
  app.db.prepare("SELECT type, event_json(data) AS data FROM events WHERE type LIKE 'rate.%' ORDER BY id").all() as { type: string; data: string }[];

beforeAll(async () => {
  sources = await startThreeSources();
  ({ app, api } = await startTestApp({ clock, rates: { baseUrls: sources.baseUrls, timeoutMs: 2000 } }));
  expect((await api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
});
afterAll(async () => {
  await app?.close();
  await sources?.close();
});

describe('live EUR rates from three sources', () => {
  it('a test network starts with no source selected, and EUR cannot be the shop currency without a rate', async () => {
    const s = (await api.get('/settings')).body;
    expect(s.rates).toEqual({ sources: [], currencies: [], refresh_s: 60, max_age_s: 600, outlier_pct: 5, min_sources: 1, spread_pct: 0 });
    const r = await api.call('PATCH', '/settings', { fiat: { currency: 'EUR' } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe(
      "EUR cannot be the shop's currency: no selected rate source quotes EUR and no manual EUR rate is set. " +
        'Select a source that quotes EUR (rates.sources) or set a manual rate (fiat.rates.EUR).',
    );
    expect((await api.get('/settings')).body.fiat.currency).toBe('USD');
    const bad = await api.call('PATCH', '/settings', { rates: { sources: ['kraken', 'nosuch'] } });
    expect(bad.status).toBe(400);
    expect((await api.call('PATCH', '/settings', { rates: { spread_pct: 1.234 } })).body.error.message).toMatch(/at most 2 decimals/);
  });

  it('with sources selected, invoices in EUR get the median of the three, locked with its sources and time', async () => {
    answer('40000', '40100', '40200');
    const p = await api.call('PATCH', '/settings', { fiat: { currency: 'EUR' }, rates: { sources: ['kraken', 'bitstamp', 'coinbase'], refresh_s: 3600 } });
    expect(p.status).toBe(200);
    const rates = await refresh();
    expect(rates.currency).toBe('EUR');
    expect(eurOf(rates)).toMatchObject({ ok: true, rate: '40100', kind: 'live', sources: ['kraken', 'bitstamp', 'coinbase'], age_s: 0, message: null });
    expect(eurOf(rates).live.quotes.map((q: any) => [q.source, q.state])).toEqual([['kraken', 'used'], ['bitstamp', 'used'], ['coinbase', 'used']]);
    expect(rates.sources.filter((s: any) => s.selected).map((s: any) => [s.id, s.error, s.last_rates.EUR])).toEqual([
      ['kraken', null, '40000'],
      ['bitstamp', null, '40100'],
      ['coinbase', null, '40200'],
    ]);
    const inv = await api.post('/invoices', { amount_fiat: '12.50', currency: 'EUR' });
    expect(inv.status).toBe(201);
    expect(inv.body.amount_sats).toBe(fiatToSats('12.50', '40100'));
    expect(inv.body.fiat).toEqual({
      amount: '12.50',
      currency: 'EUR',
      rate: '40100',
      rate_kind: 'live',
      rate_sources: ['kraken', 'bitstamp', 'coinbase'],
      rate_at: new Date(clock.t).toISOString(),
      market_rate: '40100',
      spread_pct: 0,
    });
    // The shop's currency is the default for amount_fiat.
    expect((await api.post('/invoices', { amount_fiat: '1' })).body.fiat.currency).toBe('EUR');
  });

  it('a source drifting 20 % away is flagged and left out of the median', async () => {
    clock.t += MIN;
    answer('40010', '40090', '48000');
    const eur = eurOf(await refresh());
    expect(eur).toMatchObject({ ok: true, rate: '40050', sources: ['kraken', 'bitstamp'] });
    expect(eur.live.quotes.find((q: any) => q.source === 'coinbase')).toMatchObject({ state: 'outlier', rate: '48000', deviation_pct: '+19.73' });
    const inv = await api.post('/invoices', { amount_fiat: '10', currency: 'EUR' });
    expect(inv.body.fiat).toMatchObject({ rate: '40050', rate_sources: ['kraken', 'bitstamp'] });
  });

  it('a spread makes the customer pay that much more', async () => {
    await api.call('PATCH', '/settings', { rates: { spread_pct: 1 } });
    const eur = eurOf((await api.get('/rates')).body);
    expect(eur).toMatchObject({ rate: '39653.46534653', market_rate: '40050' });
    const inv = await api.post('/invoices', { amount_fiat: '10', currency: 'EUR' });
    expect(inv.body.fiat).toMatchObject({ rate: '39653.46534653', market_rate: '40050', spread_pct: 1 });
    expect(inv.body.amount_sats).toBe(fiatToSats('10', '39653.46534653'));
    await api.call('PATCH', '/settings', { rates: { spread_pct: 0 } });
  });

  it('a silent source goes stale after the limit and no longer counts', async () => {
    answer('40020', null, '40080'); // Bitstamp answers 503 from now on
    clock.t += 6 * MIN;
    let eur = eurOf(await refresh());
    expect(eur.live.quotes.find((q: any) => q.source === 'bitstamp')).toMatchObject({ state: 'used', age_s: 360 });
    clock.t += 4 * MIN + 1000;
    const rates = await refresh();
    eur = eurOf(rates);
    expect(eur.live.quotes.find((q: any) => q.source === 'bitstamp')).toMatchObject({ state: 'stale', rate: '40090', age_s: 601 });
    expect(eur).toMatchObject({ ok: true, rate: '40050', sources: ['kraken', 'coinbase'] });
    expect(rates.sources.find((s: any) => s.id === 'bitstamp')).toMatchObject({ error: 'HTTP 503: maintenance', last_rates: { EUR: '40090' } });
  });

  it('every quote stale: fiat invoices are refused with the age until a source answers again', async () => {
    answer(null, null, null);
    clock.t += 11 * MIN;
    const eur = eurOf(await refresh());
    expect(eur).toMatchObject({ ok: false, rate: null, age_s: 660 });
    const before = invoiceCount();
    const r = await api.post('/invoices', { amount_fiat: '10', currency: 'EUR' });
    expect(r.status).toBe(503);
    expect(r.body.error).toEqual({
      code: 'rate_unavailable',
      message:
        'The last EUR rate is 11 min old: every EUR quote is older than the 10 min limit. Fiat invoices are refused until a source ' +
        'answers again. Set a manual EUR rate in Settings to sell in EUR now.',
    });
    expect(invoiceCount()).toBe(before);
    expect((await api.post('/invoices', { amount_sats: 5000 })).status).toBe(201); // sats and BTC still sell
    const events = rateEvents();
    expect(events.at(-1)!.type).toBe('rate.stale');
    const stale = { type: 'rate.stale', data: JSON.parse(events.at(-1)!.data) as Record<string, unknown> };
    expect(stale.data).toMatchObject({ currency: 'EUR', age_s: 660, message: r.body.error.message });
    expect(alertFor(stale)).toEqual({ title: 'No EUR exchange rate', body: r.body.error.message }); // a desktop notification

    answer(null, '40150', null);
    clock.t += 30_000;
    expect(eurOf(await refresh())).toMatchObject({ ok: true, rate: '40150', sources: ['bitstamp'], age_s: 0 });
    expect((await api.post('/invoices', { amount_fiat: '10', currency: 'EUR' })).body.fiat.rate).toBe('40150');
    expect(rateEvents().at(-1)!.type).toBe('rate.live');
  });

  it('a manual rate wins over live and stale ones, with its age shown', async () => {
    const set = await api.call('PATCH', '/settings', { fiat: { rates: { EUR: '39000' } } });
    expect(set.body.fiat.rates_set_at.EUR).toBe(new Date(clock.t).toISOString());
    answer(null, null, null);
    clock.t += 60 * MIN;
    const eur = eurOf(await refresh());
    expect(eur).toMatchObject({ ok: true, rate: '39000', kind: 'manual', sources: ['manual'], age_s: 3600, manual: { rate: '39000', age_s: 3600 } });
    expect(eur.live.rate).toBeNull(); // the sources' own view stays visible beside it
    const inv = await api.post('/invoices', { amount_fiat: '10', currency: 'EUR' });
    expect(inv.body.fiat).toMatchObject({ rate: '39000', rate_kind: 'manual', rate_sources: ['manual'] });
    // Re-saving the same manual rate keeps its time; removing it brings back the refusal.
    clock.t += MIN;
    expect((await api.call('PATCH', '/settings', { fiat: { rates: { EUR: '39000' } } })).body.fiat.rates_set_at.EUR).toBe(new Date(clock.t - 61 * MIN).toISOString());
    expect((await api.call('PATCH', '/settings', { fiat: { rates: {} } })).status).toBe(200);
    expect((await api.post('/invoices', { amount_fiat: '10', currency: 'EUR' })).status).toBe(503);
  });

  it('a currency no source quotes, or one not fetched, and no manual rate: 503 with what to do, nothing stored', async () => {
    const before = invoiceCount();
    const kes = await api.post('/invoices', { amount_fiat: '1000', currency: 'KES' });
    expect(kes.status).toBe(503);
    expect(kes.body.error.message).toBe(
      'No KES rate: none of the selected rate sources quotes KES, and no manual rate is set. Set a manual KES rate in Settings to sell in KES now.',
    );
    const jpy = await api.post('/invoices', { amount_fiat: '1000', currency: 'JPY' });
    expect(jpy.body.error.message).toMatch(/^No JPY rate: JPY is not among the currencies fetched \(the shop's currency and rates.currencies\)/);
    expect(invoiceCount()).toBe(before);
  });

  it('the books value amounts without an invoice rate at the market rate in force then', () => {
    const history = app.service.rates().history!;
    // The last market rate was derived 61 min ago (since then: a manual rate, and sources that did not answer).
    expect(history('EUR', clock.t - 61 * MIN + 5 * MIN)).toEqual({ rate: '40150', currency: 'EUR', basis: 'history' });
    expect(history('EUR', clock.t)).toMatchObject({ rate: null, reason: /is 1 h 1 min older$/ });
    expect(history('EUR', 0)).toMatchObject({ rate: null, currency: 'EUR', reason: /^no EUR rate was recorded before/ });
  });

  it('a manual rate is the books\' rate from the moment it was set, and a changed one only from its change', async () => {
    const history = () => app.service.rates().history!;
    const setAt = clock.t;
    await api.call('PATCH', '/settings', { fiat: { rates: { EUR: '41000' } } });
    expect(history()('EUR', setAt)).toEqual({ rate: '41000', currency: 'EUR', basis: 'manual' });
    // Before it was set, the history answers as it did (here: no market rate recent enough).
    expect(history()('EUR', setAt - 1)).toMatchObject({ rate: null, reason: /older$/ });
    clock.t += 10 * MIN;
    await api.call('PATCH', '/settings', { fiat: { rates: { EUR: '42000' } } });
    // The first value is not kept: the time between the two is the history's again, the new one rules from now.
    expect(history()('EUR', setAt + 5 * MIN)).toMatchObject({ rate: null });
    expect(history()('EUR', clock.t)).toEqual({ rate: '42000', currency: 'EUR', basis: 'manual' });
    expect((await api.call('PATCH', '/settings', { fiat: { rates: {} } })).status).toBe(200);
    expect(history()('EUR', clock.t)).toMatchObject({ rate: null });
  });

  it('every fetched quote and market rate is kept as history', () => {
    const rows = app.db.prepare("SELECT source, COUNT(*) AS n FROM rate_history WHERE currency = 'EUR' GROUP BY source ORDER BY source").all();
    expect(rows).toEqual([
      { source: 'bitstamp', n: 3 },
      { source: 'coinbase', n: 4 },
      { source: 'kraken', n: 4 },
      { source: 'market', n: 5 },
    ]);
  });
});
