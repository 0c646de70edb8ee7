/**
 * books: the invoices.csv export of a 1,000,000-invoice store through `satdesk serve` (docs/books.md#exports).
 * Figures: the time to download the whole file (target ≤ 10 s), `/health` latency p99 while it downloads (polled one
 * after another on a second connection; target ≤ 50 ms), and the serve process's peak RSS growth over its RSS before
 * the export (VmRSS sampled every 20 ms; target ≤ 50 MB) — for the first export after start (after a warm-up under the
 * same /health polling), and for a second one.
 * Then payments.csv of the same store, where 85 % of the invoices have a payment, each valued in USD from an hourly
 * rate history (the books' fiat lookup for invoices priced in sats): time and peak RSS growth.
 * Three runs, each on a freshly started serve, on one store.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { openDatabase } from '../../src/node/store/sqlite.ts';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { populateInvoices } from '../populate.ts';
import { msSince, quantile, result, type ScenarioResult } from '../lib.ts';
import { spawnServe } from '../serve.ts';

const N = Number(process.env.BENCH_BOOKS_INVOICES ?? 1_000_000);
const WORK = path.resolve('bench/.work/books');
const TOKEN = 'bench-books-token-0123456789';
const RUNS = 3;
/** ms of /health polling before the first export (see the warm-up below) */
const WARM_MS = 3000;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * A payment for every paid, partly paid and confirmed invoice of the populated store (the invoices' maintained sums
 * follow), and a USD market rate per hour over their time span. Reused until the count or the schema changes.
 */
function populatePayments(dir: string, n: number): number {
  const marker = path.join(dir, `payments-${n}-schema-${MIGRATIONS.length}`);
  const db = openDatabase(path.join(dir, 'satdesk.sqlite'));
  try {
    if (!fs.existsSync(marker)) {
      db.pragma('synchronous = OFF'); // bulk load only; serve reopens with FULL
      db.transaction(() => {
        db.exec(`
          INSERT INTO payments (txid, address_id, sats, invoice_seq, height, block_time, first_seen, verified, state_code, plan_done)
          -- Txids spread over their first bytes, as hashes are: payments are found by the first eight (migration 027).
          SELECT unhex(printf('%08x%056x', (seq * 2654435761) % 4294967296, seq)), address_id,
            CASE status WHEN 'partial' THEN amount_sats / 2 ELSE amount_sats END, seq,
            CASE status WHEN 'confirmed' THEN 100 + seq / 1000 ELSE 0 END,
            CASE status WHEN 'confirmed' THEN created_at + 120000 ELSE NULL END,
            created_at + 60000, CASE status WHEN 'confirmed' THEN 1 ELSE 0 END, 0, 1
          FROM invoices WHERE status IN ('confirmed', 'paid', 'partial');
          UPDATE invoices SET paid_sats = CASE status WHEN 'partial' THEN amount_sats / 2 ELSE amount_sats END,
            confirmed_sats = CASE status WHEN 'confirmed' THEN amount_sats ELSE 0 END
          WHERE status IN ('confirmed', 'paid', 'partial');`);
        const span = db.prepare('SELECT MIN(time) AS lo, MAX(time) AS hi FROM payments').get() as { lo: number; hi: number };
        const put = db.prepare("INSERT OR REPLACE INTO rate_history (currency, source, at, rate, sources, samples, hourly) VALUES ('USD', 'market', ?, ?, 'kraken,bitstamp', 60, 1)");
        for (let h = Math.floor(span.lo / 3_600_000) - 1; h * 3_600_000 <= span.hi; h++) put.run(h * 3_600_000, `${60_000 + (h % 500)}.${String(h % 100).padStart(2, '0')}`);
      })();
      db.exec('ANALYZE');
      fs.writeFileSync(marker, '');
    }
    return (db.prepare("SELECT COUNT(*) AS n FROM payments WHERE state = 'active'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Downloads the export as fast as the client can read; answers the bytes and lines received. */
function download(base: string, file = 'invoices.csv'): Promise<{ bytes: number; lines: number }> {
  return new Promise((resolve, reject) => {
    const agent = new http.Agent({ keepAlive: false });
    http
      .get(`${base}/api/v1/export/${file}`, { agent, headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
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
    const payments = populatePayments(WORK, N);
    const times: number[] = [];
    const p99s: number[] = [];
    const p50s: number[] = [];
    const growth: number[] = [];
    const again: number[] = [];
    let lines = 0;
    let mb = 0;
    const payTimes: number[] = [];
    const payGrowth: number[] = [];
    const warmGrowth: number[] = [];
    let payMb = 0;
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
        // Warm up with the load the export is measured under: /health one request after another for as long as an
        // export takes. A server that has answered 50 requests has not compiled its request path yet; the 30,000
        // polled during an export compile it, and that growth (about 25 MB, recorded in the note) is the API's, once
        // per process, not the export's (docs/decisions/0116-exports-on-a-worker-thread.md).
        const cold = rssBytes(pid);
        for (const t0 = Date.now(); Date.now() - t0 < WARM_MS; ) await health();
        warmGrowth.push((rssBytes(pid) - cold) / 1024 / 1024);
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
        // payments.csv: every payment with its fiat value from the rate history.
        const before = rssBytes(pid);
        let peak = before;
        const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20);
        const t0 = process.hrtime.bigint();
        const got = await download(serve.base, 'payments.csv');
        payTimes.push(msSince(t0) / 1000);
        clearInterval(sampler);
        payGrowth.push((Math.max(peak, rssBytes(pid)) - before) / 1024 / 1024);
        if (got.lines !== payments + 1) throw new Error(`payments.csv had ${got.lines} lines, expected ${payments + 1}`);
        payMb = got.bytes / 1024 / 1024;
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
      result('books', 'peak RSS growth of serve, first export after start', 'MB', growth, 50, 'le',
        `VmRSS sampled every 20 ms, over the RSS just before the export; the ${WARM_MS / 1000} s /health warm-up before it grew serve by ${quantile([...warmGrowth].sort((a, b) => a - b), 0.5).toFixed(1)} MB (median) by itself`),
      result('books', 'peak RSS growth of serve, a second export', 'MB', again, 50, 'le', 'the same, for the next export in the same process'),
      result('books', `payments.csv export, ${payments.toLocaleString('en')} payments`, 's', payTimes, 10, 'le', `${payMb.toFixed(0)} MB; each payment valued in USD from an hourly rate history`),
      result('books', 'peak RSS growth of serve, payments.csv', 'MB', payGrowth, 50, 'le', 'VmRSS sampled every 20 ms, after the two invoices.csv exports'),
    ];
  },
};
