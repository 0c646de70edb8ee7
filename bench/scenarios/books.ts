/**
 * books: the invoices.csv export of a 1,000,000-invoice store through `satdesk serve` (docs/books.md#exports).
 * Figures: the time to download the whole file (target ≤ 10 s), `/health` latency p99 while it downloads (polled one
 * after another on a second connection; target ≤ 50 ms), and the serve process's peak RSS growth over its RSS before
 * the export (VmRSS sampled every 20 ms; target ≤ 50 MB) — for the first export after start, and for a second one.
 * Three runs, each on a freshly started serve, on one store.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { populateInvoices } from '../populate.ts';
import { msSince, quantile, result, type ScenarioResult } from '../lib.ts';
import { spawnServe } from '../serve.ts';

const N = Number(process.env.BENCH_BOOKS_INVOICES ?? 1_000_000);
const WORK = path.resolve('bench/.work/books');
const TOKEN = 'bench-books-token-0123456789';
const RUNS = 3;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Downloads the export as fast as the client can read; answers the bytes and lines received. */
function download(base: string): Promise<{ bytes: number; lines: number }> {
  return new Promise((resolve, reject) => {
    const agent = new http.Agent({ keepAlive: false });
    http
      .get(`${base}/api/v1/export/invoices.csv`, { agent, headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`export answered ${res.statusCode}`));
        let bytes = 0;
        let lines = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) lines++;
        });
        res.on('end', () => resolve({ bytes, lines }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

export const scenario = {
  name: 'books',
  async run(): Promise<ScenarioResult[]> {
    populateInvoices(WORK, N);
    const times: number[] = [];
    const p99s: number[] = [];
    const p50s: number[] = [];
    const growth: number[] = [];
    const again: number[] = [];
    let lines = 0;
    let mb = 0;
    for (let run = 0; run < RUNS; run++) {
      const serve = await spawnServe(WORK, { token: TOKEN });
      try {
        const pid = serve.child.pid!;
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const health = (): Promise<number> =>
          new Promise((resolve, reject) => {
            const t0 = process.hrtime.bigint();
            http
              .get(`${serve.base}/api/v1/health`, { agent }, (res) => {
                res.resume();
                res.on('end', () => (res.statusCode === 200 ? resolve(msSince(t0)) : reject(new Error(`health ${res.statusCode}`))));
              })
              .on('error', reject);
          });
        for (let i = 0; i < 50; i++) await health(); // warm the connection and the code paths
        for (let round = 0; round < 2; round++) {
          const before = rssBytes(pid);
          let peak = before;
          const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20);
          const lat: number[] = [];
          let done = false;
          const t0 = process.hrtime.bigint();
          const dl = download(serve.base).finally(() => (done = true));
          while (!done) lat.push(await health());
          const got = await dl;
          const ms = msSince(t0);
          clearInterval(sampler);
          peak = Math.max(peak, rssBytes(pid));
          if (got.lines !== N + 1) throw new Error(`the export had ${got.lines} lines, expected ${N + 1}`);
          if (round === 1) {
            again.push((peak - before) / 1024 / 1024);
            continue;
          }
          times.push(ms);
          growth.push((peak - before) / 1024 / 1024);
          lat.sort((a, b) => a - b);
          p99s.push(quantile(lat, 0.99));
          p50s.push(quantile(lat, 0.5));
          lines = got.lines;
          mb = got.bytes / 1024 / 1024;
        }
        agent.destroy();
      } finally {
        await serve.stop();
      }
    }
    const n = N.toLocaleString('en');
    return [
      result('books', `invoices.csv export, ${n} invoices`, 's', times.map((t) => t / 1000), 10, 'le', `${lines.toLocaleString('en')} lines, ${mb.toFixed(0)} MB, read by the client as fast as it can`),
      result('books', '/health p99 during the export', 'ms', p99s, 50, 'le', 'sequential /health on a second keep-alive connection for the whole download'),
      result('books', '/health p50 during the export', 'ms', p50s, 10, 'le', 'no target in the issue; shown for context'),
      result('books', 'peak RSS growth of serve, first export after start', 'MB', growth, 50, 'le', 'VmRSS sampled every 20 ms, over the RSS just before the export'),
      result('books', 'peak RSS growth of serve, a second export', 'MB', again, 50, 'le', 'the same, for the next export in the same process'),
    ];
  },
};
