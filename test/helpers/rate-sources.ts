/**
 * Rate sources for tests: real HTTP servers on loopback that answer each path with whatever the test sets
 * (a fixture from test/fixtures/rates, a malformed body, an error status, a slow answer), and record the requests.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { RateSourceId } from '../../src/core/rates-sources.ts';

export interface Fixture {
  source: RateSourceId;
  provenance: string;
  url: string;
  read: string;
  path: string;
  currencies: string[];
  body: string;
  expect: Record<string, string>;
}

const DIR = path.resolve(import.meta.dirname, '../fixtures/rates');

export function loadFixture(id: RateSourceId): Fixture {
  return JSON.parse(fs.readFileSync(path.join(DIR, `${id}.json`), 'utf8')) as Fixture;
}

export interface Answer {
  status?: number;
  body: string;
  contentType?: string;
  /** Wait this long before sending anything. */
  delayMs?: number;
}

export interface FakeSource {
  url: string;
  /** Answers `pathAndQuery` (or every path with '*') with `answer` from now on. */
  set(pathAndQuery: string, answer: Answer): void;
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeSource(): Promise<FakeSource> {
  const answers = new Map<string, Answer>();
  const requests: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const a = answers.get(req.url ?? '') ?? answers.get('*') ?? { status: 404, body: '{"error":"no such path in this test"}' };
    const send = (): void => {
      res.writeHead(a.status ?? 200, { 'content-type': a.contentType ?? 'application/json' });
      res.end(a.body);
    };
    if (a.delayMs) {
      const t = setTimeout(() => {
        timers.delete(t);
        if (!res.destroyed) send();
      }, a.delayMs);
      timers.add(t);
    } else send();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    set: (p, a) => void answers.set(p, a),
    requests,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A Kraken-shaped answer for one currency at `price` (the shape of the kraken fixture). */
export function krakenAnswer(currency: string, price: string): string {
  const key = ['CHF', 'AUD'].includes(currency) ? `XBT${currency}` : `XXBTZ${currency}`;
  return JSON.stringify({ error: [], result: { [key]: { a: [price, '1', '1.000'], b: [price, '1', '1.000'], c: [price, '0.001'] } } });
}

/** A clock a test moves by hand (`clock.t += 60_000`). */
export function manualClock(t = Date.now()): { t: number; now(): number } {
  return {
    t,
    now(): number {
      return this.t;
    },
  };
}

/** Three EUR sources in Kraken's, Bitstamp's and Coinbase's shapes; `answer(k, b, c)` sets each price, null = 503. */
export interface ThreeSources {
  baseUrls: { kraken: string; bitstamp: string; coinbase: string };
  answer(kraken: string | null, bitstamp: string | null, coinbase: string | null): void;
  close(): Promise<void>;
}

export async function startThreeSources(): Promise<ThreeSources> {
  const [kraken, bitstamp, coinbase] = await Promise.all([startFakeSource(), startFakeSource(), startFakeSource()]);
  const down: Answer = { status: 503, body: 'maintenance', contentType: 'text/plain' };
  return {
    baseUrls: { kraken: kraken.url, bitstamp: bitstamp.url, coinbase: coinbase.url },
    answer(k, b, c) {
      kraken.set('/0/public/Ticker?pair=XBTEUR', k === null ? down : { body: krakenAnswer('EUR', k) });
      bitstamp.set('/api/v2/ticker/btceur/', b === null ? down : { body: JSON.stringify({ last: b, timestamp: '1703252411', bid: b, ask: b }) });
      coinbase.set('/v2/exchange-rates?currency=BTC', c === null ? down : { body: JSON.stringify({ data: { currency: 'BTC', rates: { EUR: c, USD: '99999.99' } } }) });
    },
    close: async () => {
      await Promise.all([kraken.close(), bitstamp.close(), coinbase.close()]);
    },
  };
}
