/**
 * Every rate adapter against its fixture (test/fixtures/rates, each with its provenance) served by a real HTTP
 * server on loopback, then against answers that must change nothing: malformed, truncated, empty, an error
 * status, too slow, an absurd price. Each leaves the rate as it was and shows the source's error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_SOURCE_IDS, type RateSourceId } from '../../src/core/rates-sources.ts';
import { ADAPTERS } from '../../src/node/rates/sources/index.ts';
import { parseSourceJson } from '../../src/node/rates/json.ts';
import { ratesView } from '../../src/node/rates/view.ts';
import { fetchSource } from '../../src/node/rates/fetch-source.ts';
import { loadFixture, startFakeSource, type Answer, type FakeSource } from '../helpers/rate-sources.ts';
import { startTestRates, type TestRates } from '../helpers/live-rates.ts';

/** The fixture with every price the adapter reads multiplied by 1000 (a decimal point in the wrong place). */
function absurdBody(id: RateSourceId): string {
  const fx = loadFixture(id);
  const raw = ADAPTERS[id].parse(parseSourceJson(fx.body), fx.currencies);
  let body = fx.body;
  for (const text of new Set(Object.values(raw))) {
    const re = new RegExp(`(?<![\\d.])${text.replace(/\./g, '\\.')}(?!\\d)`, 'g');
    body = body.replace(re, text.replace(/^(\d+)/, '$1000'));
  }
  if (body === fx.body) throw new Error(`no price replaced in the ${id} fixture`);
  return body;
}

describe.each(RATE_SOURCE_IDS)('%s adapter', (id) => {
  const fx = loadFixture(id);
  const main = fx.currencies[0]!;
  let src: FakeSource;
  let t: TestRates;
  const quoteRows = (): number =>
    (t.db.prepare("SELECT COUNT(*) AS n FROM rate_history WHERE source = ?").get(id) as { n: number }).n;
  const sourceView = () => ratesView(t.db, t.live, t.config, t.clock.now()).sources.find((s) => s.id === id)!;

  beforeAll(async () => {
    src = await startFakeSource();
    // 2 s: a loopback answer under a loaded machine's worst pause still arrives; "slow" never answers before it.
    t = startTestRates({ sources: [id], currency: main, currencies: fx.currencies.slice(1), baseUrls: { [id]: src.url }, timeoutMs: 2000 });
  });
  afterAll(async () => {
    await t?.close();
    await src?.close();
  });

  it(`parses its documented answer (${fx.provenance.split(':')[0]})`, async () => {
    expect(fx.url).toMatch(/^https:\/\//);
    expect(fx.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    src.set(fx.path, { body: fx.body });
    await t.live.refresh();
    expect(src.requests).toEqual([fx.path]);
    for (const cur of fx.currencies) {
      expect(t.live.decide(cur)).toMatchObject({ ok: true, rate: fx.expect[cur], kind: 'live', sources: [id], at: t.clock.now() });
    }
    expect(sourceView()).toMatchObject({ error: null, last_rates: fx.expect, selected: true });
    expect(quoteRows()).toBe(fx.currencies.length);
  });

  const bad: [string, () => Answer, RegExp][] = [
    ['malformed', () => ({ body: id === 'bitfinex' ? '[{"price": 1}]' : '{"unexpected": true}' }), /not in the documented shape \(answer/],
    ['truncated', () => ({ body: fx.body.slice(0, Math.floor(fx.body.length / 2)) }), /the answer is not JSON/],
    ['empty', () => ({ body: '' }), /^the answer is empty$/],
    ['error-status', () => ({ status: 503, body: '<html><body>Service Unavailable</body></html>', contentType: 'text/html' }), /^HTTP 503: <html>/],
    ['slow', () => ({ body: fx.body, delayMs: 30_000 }), /^no answer within 2 s$/],
    ['absurd-price', () => ({ body: absurdBody(id) }), /is absurd: more than twice the market rate/],
  ];
  it.each(bad)('%s: the rate stays as it was and the source shows its error', async (_kind, answer, why) => {
    const before = fx.currencies.map((c) => t.live.decide(c));
    const rows = quoteRows();
    src.set(fx.path, answer());
    await t.live.refresh();
    expect(fx.currencies.map((c) => t.live.decide(c))).toEqual(before);
    expect(quoteRows()).toBe(rows);
    const v = sourceView();
    expect(v.error).toMatch(why);
    expect(v.last_rates).toEqual(fx.expect); // its last good answer is still what Settings shows beside the error
  });
});

describe('source-specific answers', () => {
  let src: FakeSource;
  beforeAll(async () => {
    src = await startFakeSource();
  });
  afterAll(async () => src?.close());
  const opts = () => ({ baseUrl: src.url, timeoutMs: 1000, maxBytes: 1 << 20, proxy: null, reference: () => null, clock: Date.now });

  it("Kraken's error array is the source's error", async () => {
    src.set('/0/public/Ticker?pair=XBTEUR', { body: '{"error":["EQuery:Unknown asset pair"]}' });
    const r = await fetchSource('kraken', ['EUR'], opts());
    expect(r).toMatchObject({ rates: {}, error: 'Kraken says: EQuery:Unknown asset pair' });
  });

  it("Bitfinex's error triple is the source's error", async () => {
    src.set('/v2/tickers?symbols=tBTCEUR', { body: '["error",10020,"symbol: invalid"]' });
    expect((await fetchSource('bitfinex', ['EUR'], opts())).error).toBe('Bitfinex says: symbol: invalid');
  });

  it("mempool's -1 means no price, per currency, and the others still count", async () => {
    src.set('/api/v1/prices', { body: '{"time":1703252411,"USD":43753,"EUR":-1}' });
    const r = await fetchSource('mempool', ['USD', 'EUR', 'GBP'], opts());
    expect(r).toMatchObject({ rates: { USD: '43753' }, errors: { EUR: 'no EUR price in the answer', GBP: 'no GBP price in the answer' }, error: null });
  });

  it('a negative or zero price is refused with the reason', async () => {
    src.set('/exrates/BTC', { body: '{"BTC":{"USD":-43759.02,"EUR":0}}' });
    const r = await fetchSource('yadio', ['USD', 'EUR'], opts());
    expect(r.rates).toEqual({});
    expect(r.error).toBe('USD: -43759.02 is negative; EUR: 0 is zero');
  });

  it('a price as a JSON string where the documentation says number is malformed (and vice versa)', async () => {
    src.set('/api/v1/prices', { body: '{"time":1703252411,"USD":"43753"}' });
    expect((await fetchSource('mempool', ['USD'], opts())).error).toMatch(/not in the documented shape \(answer\.USD/);
    src.set('/api/v2/ticker/btcusd/', { body: '{"last": 7675.0, "timestamp": "1523543610"}' });
    expect((await fetchSource('bitstamp', ['USD'], opts())).error).toMatch(/not in the documented shape \(answer\.last/);
  });

  it('a huge answer is cut off, and redirects are not followed', async () => {
    src.set('/ticker', { body: `{"USD":{"pad":"${'x'.repeat(2 << 20)}"}}` });
    expect((await fetchSource('blockchain', ['USD'], opts())).error).toBe('the answer is larger than 1024 KiB');
    src.set('/ticker', { status: 302, body: '' });
    expect((await fetchSource('blockchain', ['USD'], opts())).error).toBe('HTTP 302 (redirects are not followed)');
  });

  it('a refused connection says so', async () => {
    const r = await fetchSource('blockchain', ['USD'], { ...opts(), baseUrl: 'http://127.0.0.1:9' });
    expect(r.error).toBe('127.0.0.1:9 refused the connection');
  });
});
