/**
 * years: a shop after years of sales — 1,000,000 invoices made through the service with their payments, events,
 * notifications and deliveries (bench/years/build.ts; cached under bench/.work/years/ by schema) — served by
 * `satdesk serve --electrum` against a sandbox child whose chain the store holds. Each run works on a fresh copy.
 *
 * Figures (the targets of "Years of sales"):
 * - invoice creation over the API, sequential, at 1M, beside the same on a 1,000-invoice store (≥ 300/s, ≤ 1.5×);
 * - CPU of the serve process per new block at 1M (≤ 20 ms): first over the ten blocks after the creation phase (they
 *   confirm its payments and send their callbacks), then over ten more that find nothing left to do;
 * - `/health` p99 during a CSV export of every invoice, the export's time and serve's RSS growth;
 * - search p50 at 1M (≤ 10 ms); cold start to the first list page (≤ 0.5 s);
 * - database bytes per invoice (≤ 600), with where they go (SQLite's dbstat).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { msSince, quantile, result, type ScenarioResult } from '../lib.ts';
import { spawnServe, type BenchServe } from '../serve.ts';
import { control, startSandboxChild, type SandboxChild } from '../sandbox.ts';
import { api, followEvents } from '../http.ts';
import { yearsStore, type YearsStore } from '../years/build.ts';
import { cpuMs, quiet, rssMb, sleep } from '../years/proc.ts';

const N = Number(process.env.BENCH_YEARS_INVOICES ?? 1_000_000);
const SMALL = 1_000;
const RUNS = Number(process.env.BENCH_YEARS_RUNS ?? 3);
const CREATE = Number(process.env.BENCH_YEARS_CREATE ?? 1_000);
const BLOCKS = 10;
const WORK = path.resolve('bench/.work/years');
const TOKEN = 'bench-token-bench-token';
const log = (l: string): void => console.error(`bench: ${l}`);

/** A copy of a cached store (data dir and sandbox chain) to run on, so the cache stays as built. */
function freshCopy(store: YearsStore, name: string): { dataDir: string; sandboxDir: string } {
  const dir = path.join(WORK, 'runs', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const dataDir = path.join(dir, 'data');
  const sandboxDir = path.join(dir, 'sandbox');
  fs.cpSync(store.dataDir, dataDir, { recursive: true });
  fs.cpSync(store.sandboxDir, sandboxDir, { recursive: true });
  fs.rmSync(path.join(dataDir, 'satdesk.lock'), { force: true });
  return { dataDir, sandboxDir };
}

async function coldStart(dataDir: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const serve = await spawnServe(dataDir, { token: TOKEN });
  const res = await fetch(`${serve.base}/api/v1/invoices?limit=50`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  if (res.status !== 200) throw new Error(`list answered ${res.status}`);
  await res.arrayBuffer();
  const ms = msSince(t0);
  await serve.stop();
  return ms;
}

/** The shop's callback endpoint: answers every callback at once (the store's agent is pointed here). */
async function startReceiver(): Promise<{ url: string; received: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      n++;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/callback`, received: () => n, close: () => new Promise((r) => server.close(() => r())) };
}

async function serveWatching(dataDir: string, sb: SandboxChild, receiver: string): Promise<BenchServe> {
  const serve = await spawnServe(dataDir, { token: TOKEN, electrum: sb.electrum, ready: (_o, err) => /chain: synced/.test(err), timeoutMs: 300_000 });
  const { agents } = await api<{ agents: { id: string }[] }>(serve.base, TOKEN, 'GET', '/agents');
  for (const a of agents) await api(serve.base, TOKEN, 'PATCH', `/agents/${a.id}`, { url: receiver });
  return serve;
}

/** Sequential POST /invoices; every 25th is paid by the sandbox meanwhile (payments arrive while the shop sells). */
async function creationRate(serve: BenchServe, sb: SandboxChild, count: number): Promise<number> {
  for (let i = 0; i < 50; i++) await api(serve.base, TOKEN, 'POST', '/invoices', { amount_sats: 5_000 + i, label: 'warm-up' });
  const pays: Promise<unknown>[] = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const inv = await api<{ address: string; amount_sats: number }>(serve.base, TOKEN, 'POST', '/invoices', { amount_sats: 10_000 + i, label: 'Espresso', userdata: `bench-${i}` });
    if (i % 25 === 0) pays.push(control(sb, '/pay', { address: inv.address, sats: inv.amount_sats }));
  }
  const ms = msSince(t0);
  await Promise.all(pays);
  return (count * 1000) / ms;
}

/** Serve's CPU per mined block beyond its idle CPU over the same time: each block waits for chain.tip on /events. */
async function cpuPerBlock(serve: BenchServe, sb: SandboxChild): Promise<number> {
  const pid = serve.child.pid!;
  const abort = new AbortController();
  let tips = 0;
  await followEvents(serve.base, TOKEN, (type) => void (type === 'chain.tip' && tips++), abort.signal);
  // Leftover work of the phase before (the creation phase's payments and callbacks, the first maintenance run a few
  // seconds after start) is not a block's cost, and must not count as idle either: wait until the maintenance has run
  // and serve is quiet, then measure its idle CPU as the baseline.
  for (let k = 0; k < 300 && !(await api<{ maintenance: { last_run_at: string | null } }>(serve.base, TOKEN, 'GET', '/sysinfo')).maintenance.last_run_at; k++) await sleep(100);
  const leftover = await quiet(pid);
  const idle0 = cpuMs(pid);
  const t0 = Date.now();
  await sleep(BLOCKS * 400);
  const idle = cpuMs(pid) - idle0;
  const idleMs = Date.now() - t0;
  const busy0 = cpuMs(pid);
  const t1 = Date.now();
  for (let b = 0; b < BLOCKS; b++) {
    const before = tips;
    await control(sb, '/mine', { blocks: 1 });
    for (let k = 0; k < 500 && tips === before; k++) await sleep(5);
    await sleep(Math.max(0, 400 - 5)); // the histories a block brings are part of its cost
  }
  const busy = cpuMs(pid) - busy0;
  const busyMs = Date.now() - t1;
  abort.abort();
  log(`  ${BLOCKS} blocks: ${busy} ms CPU in ${busyMs} ms; idle ${idle} ms in ${idleMs} ms (after ${leftover} ms of leftover work)`);
  return Math.max(0, busy - (idle * busyMs) / idleMs) / BLOCKS;
}

/** A mix of what a shop types into search: order references, label words, addresses and txids. */
async function searchP50(serve: BenchServe, store: YearsStore): Promise<number> {
  const s = store.samples;
  const words = [...new Set(s.labels.map((l) => l.split(' ')[0]!))];
  const terms = [...s.userdata.slice(0, 50), ...words.slice(0, 50), ...s.addresses.slice(0, 50), ...s.txids.slice(0, 50), 'no-such-order-reference'];
  const lat: number[] = [];
  for (let round = 0; round < 2; round++) {
    for (const q of terms) {
      const t0 = process.hrtime.bigint();
      const res = await fetch(`${serve.base}/api/v1/invoices?limit=50&q=${encodeURIComponent(q)}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      const body = (await res.json()) as { invoices: unknown[] };
      if (res.status !== 200) throw new Error(`search answered ${res.status}`);
      if (round === 1) lat.push(msSince(t0));
      void body;
    }
  }
  return quantile(lat.sort((a, b) => a - b), 0.5);
}

/** The whole invoices CSV, read as fast as it comes, while /health is asked every 10 ms and serve's RSS sampled. */
async function exportUnderLoad(serve: BenchServe): Promise<{ exportMs: number; healthP99: number; rssGrowthMb: number; bytes: number }> {
  const pid = serve.child.pid!;
  const rss0 = rssMb(pid);
  let peak = rss0;
  let done = false;
  const health: number[] = [];
  const sampler = (async () => {
    while (!done) {
      peak = Math.max(peak, rssMb(pid));
      await sleep(50);
    }
  })();
  const prober = (async () => {
    while (!done) {
      const t0 = process.hrtime.bigint();
      const res = await fetch(`${serve.base}/api/v1/health`);
      await res.arrayBuffer();
      health.push(msSince(t0));
      await sleep(10);
    }
  })();
  const t0 = process.hrtime.bigint();
  const res = await fetch(`${serve.base}/api/v1/export/invoices.csv`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  const exportMs = msSince(t0);
  done = true;
  await Promise.all([sampler, prober]);
  return { exportMs, healthP99: quantile(health.sort((a, b) => a - b), 0.99), rssGrowthMb: peak - rss0, bytes };
}

/** Bytes per invoice from SQLite's own page accounting, per table with its indexes (and the indexes' share). */
function bytesPerInvoice(store: YearsStore): { perInvoice: number; top: string } {
  const db = new Database(path.join(store.dataDir, 'satdesk.sqlite'), { readonly: true });
  const rows = db
    .prepare(
      `SELECT COALESCE(m.tbl_name, d.name) AS tbl, SUM(d.pgsize) AS bytes, SUM(CASE WHEN m.type = 'index' THEN d.pgsize ELSE 0 END) AS ix
       FROM dbstat d LEFT JOIN sqlite_schema m ON m.name = d.name GROUP BY tbl ORDER BY bytes DESC`,
    )
    .all() as { tbl: string; bytes: number; ix: number }[];
  db.close();
  const total = rows.reduce((a, r) => a + r.bytes, 0);
  const per = (b: number): number => Math.round(b / store.invoices);
  const top = rows.slice(0, 9).map((r) => `${r.tbl} ${per(r.bytes)} (indexes ${per(r.ix)})`).join(', ');
  return { perInvoice: total / store.invoices, top };
}

export const scenario = {
  name: 'years',
  async run(): Promise<ScenarioResult[]> {
    const t0 = Date.now();
    const big = await yearsStore(WORK, N, log);
    const small = await yearsStore(WORK, SMALL, log);
    const bytes = bytesPerInvoice(big);
    const f = { rate: [] as number[], rateSmall: [] as number[], ratio: [] as number[], cpu: [] as number[], quiet: [] as number[], search: [] as number[], cold: [] as number[], exportMs: [] as number[], health: [] as number[], rss: [] as number[] };
    // One copy of each store for all runs (the million-invoice one is gigabytes): run n sees run n−1's sales too.
    const copies = { small: freshCopy(small, 'small'), big: freshCopy(big, 'big') };
    const receiver = await startReceiver();
    for (let run = 0; run < RUNS; run++) {
      for (const name of ['small', 'big'] as const) {
        const copy = copies[name];
        if (name === 'big') f.cold.push(await coldStart(copy.dataDir));
        const sb = await startSandboxChild(copy.sandboxDir);
        const serve = await serveWatching(copy.dataDir, sb, receiver.url);
        try {
          const rate = await creationRate(serve, sb, CREATE);
          if (name === 'small') {
            f.rateSmall.push(rate);
            continue;
          }
          f.rate.push(rate);
          f.ratio.push(f.rateSmall[f.rateSmall.length - 1]! / rate);
          f.cpu.push(await cpuPerBlock(serve, sb));
          f.quiet.push(await cpuPerBlock(serve, sb));
          f.search.push(await searchP50(serve, big));
          const e = await exportUnderLoad(serve);
          f.exportMs.push(e.exportMs);
          f.health.push(e.healthP99);
          f.rss.push(e.rssGrowthMb);
          log(`years run ${run}: ${rate.toFixed(0)}/s (1k: ${f.rateSmall.at(-1)!.toFixed(0)}/s), block ${f.cpu.at(-1)!.toFixed(1)} ms CPU (${f.quiet.at(-1)!.toFixed(1)} ms once settled), search p50 ${f.search.at(-1)!.toFixed(1)} ms, export ${(e.exportMs / 1000).toFixed(1)} s (${(e.bytes / 1e6).toFixed(0)} MB, /health p99 ${e.healthP99.toFixed(1)} ms, +${e.rssGrowthMb.toFixed(0)} MB), cold start ${f.cold.at(-1)!.toFixed(0)} ms`);
        } finally {
          await serve.stop();
          await sb.stop();
        }
      }
    }
    await receiver.close();
    fs.rmSync(path.join(WORK, 'runs'), { recursive: true, force: true });
    const n = N.toLocaleString('en');
    const built = `store: ${n} invoices, built in ${big.buildSeconds} s when not cached (${((Date.now() - t0) / 1000).toFixed(0)} s this scenario)`;
    return [
      result('years', `invoice creation over the API at ${n} invoices, sequential`, '/s', f.rate, 300, 'ge', `${CREATE} POST /invoices one after another on a fresh copy, every 25th paid by the sandbox meanwhile; ${built}`),
      result('years', 'invoice creation: rate at 1,000 invoices / rate at 1M', '×', f.ratio, 1.5, 'le', 'the same on a 1,000-invoice store made the same way, in the same run'),
      result('years', `CPU per new block at ${n} invoices`, 'ms', f.cpu, 20, 'le', `serve's CPU (/proc utime+stime) over ${BLOCKS} blocks mined one by one, each awaited on /events plus 400 ms, minus its idle CPU over as long; the first block confirms the ~40 payments made while creating, a later one sends their callbacks`),
      result('years', `CPU per new block at ${n} invoices, nothing left to confirm`, 'ms', f.quiet, 20, 'le', `the same over the next ${BLOCKS} blocks, after every payment of the run has passed its thresholds: a block's own cost`),
      result('years', `/health p99 during a CSV export of ${n} invoices`, 'ms', f.health, 50, 'le', 'GET /health every 10 ms on its own connection while the export streams to a reader as fast as it can'),
      result('years', `CSV export of ${n} invoices`, 'ms', f.exportMs, 10_000, 'le', 'GET /export/invoices.csv to the last byte'),
      result('years', 'serve RSS growth during the export', 'MB', f.rss, 50, 'le', 'peak VmRSS during the export minus VmRSS before it'),
      result('years', `search p50 at ${n} invoices`, 'ms', f.search, 10, 'le', 'GET /invoices?q= over HTTP: 50 order references, label words, 50 addresses, 50 txids and a miss; second pass timed'),
      result('years', `cold start to first list page at ${n} invoices`, 'ms', f.cold, 500, 'le', 'spawn of `satdesk serve` (no Electrum) until GET /invoices?limit=50 answers'),
      result('years', 'database bytes per invoice', 'B', [bytes.perInvoice], 600, 'le', `SQLite dbstat over the whole store / invoices; per invoice by table, its indexes included: ${bytes.top}`),
    ];
  },
};
