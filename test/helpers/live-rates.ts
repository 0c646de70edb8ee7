/** A LiveRates on a real SQLite file, with settings and a clock a test can change, for the rate suites. */
import path from 'node:path';
import { openDatabase, type DB } from '../../src/node/store/sqlite.ts';
import { LiveRates, type LiveRatesOptions, type RatesConfig } from '../../src/node/rates/live.ts';
import type { RateSourceId } from '../../src/core/rates-sources.ts';
import { tempDir } from './api.ts';
import { manualClock } from './rate-sources.ts';

export interface TestRates {
  db: DB;
  live: LiveRates;
  config: RatesConfig;
  clock: { t: number; now(): number };
  logs: string[];
  close(): Promise<void>;
}

export function startTestRates(opts: {
  sources: RateSourceId[];
  currency: string;
  currencies?: string[];
  baseUrls: Partial<Record<RateSourceId, string>>;
  timeoutMs?: number;
  proxy?: string | null;
  extra?: Partial<LiveRatesOptions>;
}): TestRates {
  const db = openDatabase(path.join(tempDir('satdesk-rates-'), 'satdesk.sqlite'));
  const clock = manualClock();
  const logs: string[] = [];
  const config: RatesConfig = {
    currency: opts.currency,
    manual: {},
    manualSetAt: {},
    proxy: opts.proxy ?? null,
    rates: {
      sources: opts.sources,
      currencies: opts.currencies ?? [],
      refresh_s: 3600,
      max_age_s: 600,
      outlier_pct: 5,
      min_sources: 1,
      spread_pct: 0,
    },
  };
  const live = new LiveRates({
    db,
    clock,
    config: () => config,
    write: (fn) => db.transaction(fn)(),
    log: (l) => logs.push(l),
    baseUrls: opts.baseUrls,
    timeoutMs: opts.timeoutMs ?? 2000,
    ...opts.extra,
  });
  return {
    db,
    live,
    config,
    clock,
    logs,
    close: async () => {
      await live.stop();
      db.close();
    },
  };
}
