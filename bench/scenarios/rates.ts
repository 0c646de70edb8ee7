/**
 * rates: live exchange rates on a real SQLite file (docs/rates.md).
 * - a refresh round against eight sources (real HTTP servers on loopback, each answering its fixture), end to end:
 *   fetch, parse, check, write the quotes, the market rate and the statuses in one transaction;
 * - the decision a fiat invoice waits for (`decide`: the latest quote of each source, median, outliers, spread);
 * - the books' lookup, the rate at time T (`rateAtTime`), over a year of history (30 days per minute, then hourly);
 * - compacting a day of per-minute history to hourly rows.
 */
import path from 'node:path';
import fs from 'node:fs';
import { openDatabase, type DB } from '../../src/node/store/sqlite.ts';
import { LiveRates, type RatesConfig } from '../../src/node/rates/live.ts';
import { compactHistory, insertQuote, MARKET } from '../../src/node/rates/store.ts';
import { rateAtTime } from '../../src/node/rates/lock.ts';
import { HOUR_MS } from '../../src/core/rates-history.ts';
import { RATE_SOURCE_IDS } from '../../src/core/rates-sources.ts';
import { loadFixture, startFakeSource, type FakeSource } from '../../test/helpers/rate-sources.ts';
import { msSince, quantile, result, type ScenarioResult } from '../lib.ts';

const WORK = path.resolve('bench/.work/rates');
const DAY = 24 * HOUR_MS;

function freshDb(name: string): DB {
  fs.mkdirSync(WORK, { recursive: true });
  const file = path.join(WORK, `${name}.sqlite`);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  return openDatabase(file);
}

/** A year of EUR history for eight sources and the market rate: per minute for the last 30 days, hourly before. */
function seedYear(db: DB, now: number): number {
  let rows = 0;
  const ids = [...RATE_SOURCE_IDS, MARKET];
  db.transaction(() => {
    for (let t = now - 365 * DAY; t < now - 30 * DAY; t += HOUR_MS) {
      for (const id of ids) {
        db.prepare('INSERT INTO rate_history (currency, source, at, rate, samples, hourly) VALUES (?, ?, ?, ?, 60, 1)').run('EUR', id, t, String(40000 + (t % 7919)));
        rows++;
      }
    }
    for (let t = now - 30 * DAY; t < now; t += 60_000) {
      for (const id of ids) {
        insertQuote(db, 'EUR', id, String(40000 + (t % 7919)), t, id === MARKET ? ['kraken', 'coinbase'] : undefined);
        rows++;
      }
    }
  })();
  return rows;
}

export const scenario = {
  name: 'rates',
  async run(): Promise<ScenarioResult[]> {
    const servers: FakeSource[] = [];
    const rounds: number[] = [];
    const decides: number[] = [];
    const lookupsP50: number[] = [];
    const lookupsP99: number[] = [];
    const compactRates: number[] = [];
    let yearRows = 0;
    let yearMb = 0;
    try {
      const baseUrls: Record<string, string> = {};
      for (const id of RATE_SOURCE_IDS) {
        const fx = loadFixture(id);
        const s = await startFakeSource();
        s.set('*', { body: fx.body });
        servers.push(s);
        baseUrls[id] = s.url;
      }
      for (let run = 0; run < 5; run++) {
        const db = freshDb(`round-${run}`);
        const now = Date.now();
        const config: RatesConfig = {
          currency: 'USD',
          manual: {},
          manualSetAt: {},
          proxy: null,
          rates: { sources: [...RATE_SOURCE_IDS], currencies: ['EUR', 'ARS'], refresh_s: 3600, max_age_s: 600, outlier_pct: 50, min_sources: 1, spread_pct: 1 },
        };
        const live = new LiveRates({ db, clock: { now: () => Date.now() }, config: () => config, write: (fn) => db.transaction(fn)(), log: () => {}, baseUrls });
        await live.refresh(); // warm-up: connections, statements
        const lat: number[] = [];
        for (let i = 0; i < 20; i++) {
          const t0 = process.hrtime.bigint();
          await live.refresh();
          lat.push(msSince(t0));
        }
        rounds.push(quantile(lat.sort((a, b) => a - b), 0.5));
        const d: number[] = [];
        for (let i = 0; i < 2000; i++) {
          const t0 = process.hrtime.bigint();
          if (!live.decide('USD').ok) throw new Error('no USD rate in the bench');
          d.push(msSince(t0));
        }
        decides.push(quantile(d.sort((a, b) => a - b), 0.5));
        await live.stop();
        db.close();
        void now;
      }

      for (let run = 0; run < 3; run++) {
        const db = freshDb(`year-${run}`);
        const now = Date.UTC(2026, 11, 1);
        yearRows = seedYear(db, now);
        db.pragma('wal_checkpoint(TRUNCATE)');
        yearMb = ((db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number)) / 1e6;
        const lat: number[] = [];
        for (let i = 0; i < 20_000; i++) {
          const t = now - Math.floor(((i * 7_919_993) % 365) * DAY + ((i * 104_729) % DAY));
          const t0 = process.hrtime.bigint();
          rateAtTime(db, 'EUR', t);
          lat.push(msSince(t0));
        }
        lat.sort((a, b) => a - b);
        lookupsP50.push(quantile(lat, 0.5));
        lookupsP99.push(quantile(lat, 0.99));
        // One more day falls past 30 days: compact it (9 series × 1,440 rows).
        const t0 = process.hrtime.bigint();
        let n = 0;
        while (db.transaction(() => compactHistory(db, now + DAY, 200))() === 200) n++;
        const ms = msSince(t0);
        compactRates.push((9 * 1440) / (ms / 1000));
        void n;
        db.close();
      }
    } finally {
      for (const s of servers) await s.close();
    }
    return [
      result('rates', 'refresh round, 8 sources on loopback, p50', 'ms', rounds, 250, 'le', 'fetch + parse + check + one write transaction; USD, EUR and ARS; 20 rounds per run'),
      result('rates', 'rate decision for a fiat invoice, p50', 'ms', decides, 1, 'le', 'latest quote per source, median, outliers, spread: what POST /invoices adds'),
      result('rates', 'rate at time T over a year of history, p50', 'ms', lookupsP50, 0.5, 'le', `${yearRows.toLocaleString('en')} rows (${yearMb.toFixed(1)} MB): 9 series, per minute for 30 days, hourly before`),
      result('rates', 'rate at time T, p99', 'ms', lookupsP99, 2, 'le', 'the books look one up per payment'),
      result('rates', 'compaction of a day of history', 'rows/s', compactRates, 13_000, 'ge', 'a day is 12,960 rows (8 sources + market): at least a day per second'),
    ];
  },
};
