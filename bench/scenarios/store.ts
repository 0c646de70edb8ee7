/**
 * store: 1,000,000 invoices. Figures: a list page by status over HTTP (p50, target ≤ 5 ms) and cold start of
 * `satdesk serve` on that data dir until the first list page is served (target ≤ 2 s).
 */
import path from 'node:path';
import { populateInvoices } from '../populate.ts';
import { msSince, quantile, result, type ScenarioResult } from '../lib.ts';
import { spawnServe } from '../serve.ts';

const N = Number(process.env.BENCH_STORE_INVOICES ?? 1_000_000);
const WORK = path.resolve('bench/.work/store');
const TOKEN = 'bench-token-bench-token';


async function startServe(dir: string): Promise<{ base: string; stop: () => Promise<void>; startMs: number }> {
  const t0 = process.hrtime.bigint();
  const serve = await spawnServe(dir, { token: TOKEN });
  const res = await fetch(`${serve.base}/api/v1/invoices?status=unpaid&limit=50`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  if (res.status !== 200) throw new Error(`list answered ${res.status}`);
  await res.arrayBuffer();
  return { base: serve.base, startMs: msSince(t0), stop: serve.stop };
}

export const scenario = {
  name: 'store',
  async run(): Promise<ScenarioResult[]> {
    populateInvoices(WORK, N);
    const starts: number[] = [];
    const p50s: number[] = [];
    const p99s: number[] = [];
    for (let run = 0; run < 3; run++) {
      const s = await startServe(WORK);
      starts.push(s.startMs);
      const lat: number[] = [];
      const statuses = ['unpaid', 'confirmed', 'expired', 'paid', 'partial', 'cancelled'];
      for (let i = 0; i < 300; i++) {
        const status = statuses[i % statuses.length];
        let cursor: string | null = null;
        // Walk a few pages deep: cursor paging must not slow down with depth.
        for (let page = 0; page < 3; page++) {
          const t0 = process.hrtime.bigint();
          const res = await fetch(`${s.base}/api/v1/invoices?status=${status}&limit=50${cursor ? `&cursor=${cursor}` : ''}`, {
            headers: { Authorization: `Bearer ${TOKEN}` },
          });
          const body = (await res.json()) as { next_cursor: string | null };
          lat.push(msSince(t0));
          cursor = body.next_cursor;
        }
      }
      lat.sort((a, b) => a - b);
      p50s.push(quantile(lat, 0.5));
      p99s.push(quantile(lat, 0.99));
      await s.stop();
    }
    return [
      result('store', `list page by status, ${N.toLocaleString('en')} invoices, p50`, 'ms', p50s, 5, 'le', '50 invoices per page over HTTP on loopback, 900 requests per run'),
      result('store', 'list page by status, p99', 'ms', p99s, 50, 'le', 'no target in the issue; shown for context'),
      result('store', 'cold start to first list page served', 'ms', starts, 2000, 'le', 'spawn of `satdesk serve` (the built CLI) until the first list page answers'),
    ];
  },
};
