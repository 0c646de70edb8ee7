/**
 * The rate history on a real SQLite file: the rates migration upgrades a database made by the previous migrations and
 * keeps every row; compaction turns what is older than 30 days into hourly medians and leaves the rest, and the
 * refresh rounds run it once an hour; the
 * books' lookup `rateAtTime` answers from an invoice's locked rate, a raw point or an hourly one.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { migrate, nativeBindingPath, openDatabase } from '../../src/node/store/sqlite.ts';
import { compactHistory, insertQuote, MARKET, marketPointAt, marketPointCursor } from '../../src/node/rates/store.ts';
import { invoiceFiatView, rateAtTime } from '../../src/node/rates/lock.ts';
import { HOUR_MS } from '../../src/core/rates-history.ts';
import { tempDir } from '../helpers/api.ts';
import { startTestRates } from '../helpers/live-rates.ts';
import { loadFixture, startFakeSource } from '../helpers/rate-sources.ts';

const RATES = MIGRATIONS.find((m) => m.name === 'rates')!.version;
const LATEST = MIGRATIONS.at(-1)!.version;

describe(`migration ${RATES} (rates)`, () => {
  it('upgrades a database made by the migrations before it and keeps every row', () => {
    const file = path.join(tempDir(), 'satdesk.sqlite');
    const binding = nativeBindingPath();
    const old = new Database(file, binding ? { nativeBinding: binding } : {});
    migrate(old, RATES - 1);
    old.prepare("INSERT INTO settings (key, value) VALUES ('fiat', ?)").run(JSON.stringify({ currency: 'EUR', rates: { EUR: '60000' } }));
    old
      .prepare(
        `INSERT INTO addresses (id, address, scripthash, script_hex, origin, state, invoice_id, created_at)
         VALUES (1, 'bcrt1qexample', '${'aa'.repeat(32)}', '0014', 'static', 'in_use', 'inv1', 1)`,
      )
      .run();
    old
      .prepare(
        `INSERT INTO invoices (id, status, amount_sats, fiat_amount, fiat_currency, fiat_rate, address_id, address, created_at, expires_at,
           confirmations_required, tolerance_bp, monitoring_ms, updated_at)
         VALUES ('inv1', 'unpaid', 16667, '10', 'EUR', '60000', 1, 'bcrt1qexample', 1000, 2000, 1, 0, 0, 1000)`,
      )
      .run();
    old.close();

    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST);
    expect(migrate(db)).toBe(LATEST); // idempotent
    const row = db.prepare("SELECT * FROM invoices WHERE id = 'inv1'").get() as Parameters<typeof invoiceFiatView>[0];
    expect(invoiceFiatView(row)).toEqual({
      amount: '10',
      currency: 'EUR',
      rate: '60000',
      rate_kind: null,
      rate_sources: [],
      rate_at: null,
      market_rate: null,
      spread_pct: 0,
    });
    expect(db.prepare("SELECT value FROM settings WHERE key = 'fiat'").get()).toEqual({ value: '{"currency":"EUR","rates":{"EUR":"60000"}}' });
    expect(db.prepare('SELECT COUNT(*) AS n FROM rate_history').get()).toEqual({ n: 0 });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'rate_history_compact'").get()).toBeTruthy();
    db.close();
  });
});

describe('history compaction and the rate at time T', () => {
  const now = Date.UTC(2026, 5, 30, 12, 0, 0);
  const old = Date.UTC(2026, 4, 20, 9, 0, 0); // 41 days earlier, on an hour

  function seeded() {
    const db = openDatabase(path.join(tempDir(), 'satdesk.sqlite'));
    db.transaction(() => {
      for (let h = 0; h < 3; h++) {
        for (let m = 0; m < 60; m++) {
          const at = old + h * HOUR_MS + m * 60_000;
          const rate = String(60000 + h * 100 + m); // hour h: 60000+100h … 60059+100h, median 60029.5+100h
          insertQuote(db, 'EUR', 'kraken', rate, at);
          insertQuote(db, 'EUR', MARKET, rate, at, ['kraken', 'coinbase']);
        }
      }
      for (let m = 0; m < 10; m++) insertQuote(db, 'EUR', MARKET, String(70000 + m), now - 20 * 60_000 + m * 60_000, ['kraken']);
    })();
    return db;
  }

  it('compacts each (currency, source, hour) older than 30 days to its median and leaves recent points alone', () => {
    const db = seeded();
    expect(db.prepare('SELECT COUNT(*) AS n FROM rate_history').get()).toEqual({ n: 370 });
    // Two buckets per round: the caller loops until fewer than asked come back.
    let rounds = 0;
    while (db.transaction(() => compactHistory(db, now, 2))() === 2) rounds++;
    expect(rounds).toBe(3);
    const hourly = db.prepare('SELECT source, at, rate, samples, sources FROM rate_history WHERE hourly = 1 ORDER BY source, at').all();
    expect(hourly).toEqual([
      { source: 'kraken', at: old, rate: '60029.5', samples: 60, sources: null },
      { source: 'kraken', at: old + HOUR_MS, rate: '60129.5', samples: 60, sources: null },
      { source: 'kraken', at: old + 2 * HOUR_MS, rate: '60229.5', samples: 60, sources: null },
      { source: MARKET, at: old, rate: '60029.5', samples: 60, sources: 'kraken,coinbase' },
      { source: MARKET, at: old + HOUR_MS, rate: '60129.5', samples: 60, sources: 'kraken,coinbase' },
      { source: MARKET, at: old + 2 * HOUR_MS, rate: '60229.5', samples: 60, sources: 'kraken,coinbase' },
    ]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM rate_history WHERE hourly = 0').get()).toEqual({ n: 10 });
    expect(db.transaction(() => compactHistory(db, now))()).toBe(0); // nothing left to do
    db.close();
  });

  it('answers the rate at T from an invoice lock, a raw point, or an hourly one', () => {
    const db = seeded();
    db.transaction(() => compactHistory(db, now, 1000))();
    const invoice = {
      fiat_amount: '10',
      fiat_currency: 'EUR',
      fiat_rate: '65000',
      fiat_rate_kind: 'live' as const,
      fiat_rate_sources: 'kraken,bitstamp',
      fiat_rate_at: now - 5 * 60_000,
      fiat_market_rate: '65000',
      fiat_spread_bp: 0,
      created_at: now - 5 * 60_000,
    };
    expect(rateAtTime(db, 'EUR', now, invoice)).toEqual({ rate: '65000', currency: 'EUR', at: now - 5 * 60_000, basis: 'invoice', sources: ['kraken', 'bitstamp'] });
    expect(rateAtTime(db, 'EUR', now - 60_000)).toEqual({ rate: '70009', currency: 'EUR', at: now - 11 * 60_000, basis: 'history', sources: ['kraken'] });
    expect(rateAtTime(db, 'EUR', old + HOUR_MS + 45 * 60_000)).toEqual({
      rate: '60129.5',
      currency: 'EUR',
      at: old + HOUR_MS,
      basis: 'history',
      sources: ['kraken', 'coinbase'],
    });
    expect(rateAtTime(db, 'EUR', old - 1)).toMatchObject({ rate: null, reason: 'no EUR rate was recorded before 2026-05-20T08:59:59.999Z' });
    expect(rateAtTime(db, 'EUR', old + 5 * HOUR_MS)).toMatchObject({ rate: null, reason: /is 3 h older$/ });
    expect(rateAtTime(db, 'USD', now)).toMatchObject({ rate: null });
    db.close();
  });
});

describe('the market-rate cursor an export values payments with', () => {
  it('answers every time as the single lookup does, and sees a quote that arrives after the latest point', () => {
    const db = openDatabase(path.join(tempDir(), 'satdesk.sqlite'));
    const t0 = 1_780_000_000_000;
    db.transaction(() => {
      for (let h = 0; h < 5; h++) insertQuote(db, 'EUR', MARKET, String(60_000 + h), t0 + h * HOUR_MS, ['kraken']);
      insertQuote(db, 'USD', MARKET, '70000', t0 + 30 * 60_000, ['kraken']);
    })();
    const cursor = marketPointCursor(db);
    const times = [t0 - 1, t0, t0 + 1, t0 + HOUR_MS - 1, t0 + HOUR_MS, t0 + 2.5 * HOUR_MS, t0 + 4 * HOUR_MS, t0 + 9 * HOUR_MS];
    // In time order, alternating currencies (the cache is per currency), and a late time before an early one again.
    for (const t of [...times, t0 + 30 * 60_000, t0]) {
      for (const cur of ['EUR', 'USD']) expect(cursor(cur, t)).toEqual(marketPointAt(db, cur, t));
    }
    // After the latest point nothing is cached: a quote that arrives now is found at once.
    expect(cursor('EUR', t0 + 9 * HOUR_MS)?.rate).toBe('60004');
    insertQuote(db, 'EUR', MARKET, '61000', t0 + 8 * HOUR_MS, ['kraken']);
    expect(cursor('EUR', t0 + 9 * HOUR_MS)?.rate).toBe('61000');
    db.close();
  });
});

describe('compaction on the refresh schedule', () => {
  it('a refresh round compacts what is older than 30 days, at most once an hour, and keeps the fresh quotes', async () => {
    const fx = loadFixture('kraken');
    const src = await startFakeSource();
    src.set(fx.path, { body: fx.body });
    const t = startTestRates({ sources: ['kraken'], currency: fx.currencies[0]!, currencies: fx.currencies.slice(1), baseUrls: { kraken: src.url } });
    try {
      const hourStart = Math.floor((t.clock.t - 40 * 24 * HOUR_MS) / HOUR_MS) * HOUR_MS;
      const seed = (start: number) =>
        t.db.transaction(() => {
          for (let m = 0; m < 60; m++) {
            insertQuote(t.db, 'EUR', 'kraken', String(50_000 + m), start + m * 60_000);
            insertQuote(t.db, 'EUR', MARKET, String(50_000 + m), start + m * 60_000, ['kraken']);
          }
        })();
      const rows = (hourly: 0 | 1) => (t.db.prepare('SELECT COUNT(*) AS n FROM rate_history WHERE hourly = ? AND at < ?').get(hourly, t.clock.t - 30 * 24 * HOUR_MS) as { n: number }).n;
      seed(hourStart);
      await t.live.refresh();
      expect([rows(0), rows(1)]).toEqual([0, 2]);
      expect(t.logs).toContain('rates: compacted history older than 30 days');
      // The round's own quotes are recent: kept as they came, one per currency.
      expect((t.db.prepare('SELECT COUNT(*) AS n FROM rate_history WHERE source = ? AND hourly = 0').get('kraken') as { n: number }).n).toBe(fx.currencies.length);
      // Within the hour the next rounds leave old raw points alone; an hour later they are compacted too.
      seed(hourStart + HOUR_MS);
      t.clock.t += 30 * 60_000;
      await t.live.refresh();
      expect([rows(0), rows(1)]).toEqual([120, 2]);
      t.clock.t += 30 * 60_000;
      await t.live.refresh();
      expect([rows(0), rows(1)]).toEqual([0, 4]);
      expect(rateAtTime(t.db, 'EUR', hourStart + HOUR_MS + 59 * 60_000)).toMatchObject({ rate: '50029.5', at: hourStart + HOUR_MS, basis: 'history' });
    } finally {
      await t.close();
      await src.close();
    }
  });
});
