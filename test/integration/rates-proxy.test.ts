/**
 * With a SOCKS5 proxy in the Electrum settings (Tor), every rate request goes through it: the host name is sent to
 * the proxy unresolved (no DNS leak), each source uses its own username (Tor isolates circuits by it), and a proxy
 * that is down is the sources' error, never a silent direct connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture, startFakeSource, type FakeSource } from '../helpers/rate-sources.ts';
import { startSocks5Server, type Socks5Server } from '../helpers/socks5-server.ts';
import { startTestRates, type TestRates } from '../helpers/live-rates.ts';
import { ratesView } from '../../src/node/rates/view.ts';

let kraken: FakeSource;
let mempool: FakeSource;
let socks: Socks5Server;
let t: TestRates;
const kfx = loadFixture('kraken');
const mfx = loadFixture('mempool');

beforeAll(async () => {
  [kraken, mempool] = await Promise.all([startFakeSource(), startFakeSource()]);
  kraken.set(kfx.path, { body: kfx.body });
  mempool.set('/api/v1/prices', { body: mfx.body });
  const port = (u: string): string => new URL(u).port;
  socks = await startSocks5Server({ 'kraken.test': '127.0.0.1', 'mempool.test': '127.0.0.1' });
  t = startTestRates({
    sources: ['kraken', 'mempool'],
    currency: 'USD',
    // Names that resolve nowhere but in the test proxy: a direct connection cannot reach them.
    baseUrls: { kraken: `http://kraken.test:${port(kraken.url)}`, mempool: `http://mempool.test:${port(mempool.url)}` },
    proxy: socks.url,
  });
  t.config.rates.outlier_pct = 50; // the two fixtures are years apart: keep both in the median
});
afterAll(async () => {
  await t?.close();
  await Promise.all([kraken?.close(), mempool?.close(), socks?.close()]);
});

describe('rates through the SOCKS5 proxy', () => {
  it('fetches every source through the proxy, names resolved by the proxy, one username per source', async () => {
    await t.live.refresh();
    expect(t.live.decide('USD')).toMatchObject({ ok: true, rate: '37028.1', sources: ['kraken', 'mempool'] }); // median of 30303.2 and 43753
    expect(kraken.requests).toEqual([kfx.path]);
    expect(mempool.requests).toEqual(['/api/v1/prices']);
    const seen = socks.requests.map((r) => [r.host, r.kind, r.username]).sort();
    expect(seen).toEqual([
      ['kraken.test', 'domain', 'satdesk-rates-kraken'],
      ['mempool.test', 'domain', 'satdesk-rates-mempool'],
    ]);
  });

  it('without the proxy those names do not resolve: the requests really went through it', async () => {
    t.config.proxy = null;
    const before = socks.requests.length;
    await t.live.refresh();
    const v = ratesView(t.db, t.live, t.config, t.clock.now());
    expect(v.sources.find((s) => s.id === 'kraken')!.error).toMatch(/cannot resolve kraken\.test|getaddrinfo/);
    expect(socks.requests.length).toBe(before);
  });

  it('credentials in the proxy URL are used as given', async () => {
    t.config.proxy = socks.url.replace('socks5://', 'socks5://alice:secret@');
    await t.live.refresh();
    expect(socks.requests.slice(-2).map((r) => r.username)).toEqual(['alice', 'alice']);
  });

  it('a proxy that is down is every source\'s error, and no request leaves directly', async () => {
    const down = socks.url.replace(/:\d+$/, ':9');
    t.config.proxy = down;
    const direct = kraken.requests.length;
    t.clock.t += 60_000;
    await t.live.refresh();
    const v = ratesView(t.db, t.live, t.config, t.clock.now());
    for (const id of ['kraken', 'mempool']) expect(v.sources.find((s) => s.id === id)!.error).toMatch(/ECONNREFUSED|refused/);
    expect(kraken.requests.length).toBe(direct);
    expect(t.live.decide('USD')).toMatchObject({ ok: true, rate: '37028.1' }); // the last rate, one minute old, still holds
  });
});
