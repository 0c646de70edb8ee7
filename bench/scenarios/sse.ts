/**
 * sse: 150,000 stored events (each with an invoice snapshot, ~1.2 KB), then 20 event-stream clients resuming from
 * `Last-Event-ID: 0` at once — 12 reading as fast as they can, 8 that never read — while /health is asked every
 * 10 ms. Figures: /health latency p99 during the replay (target ≤ 50 ms), peak RSS of serve (target ≤ 400 MB), and
 * how long the reading clients took to get everything (context).
 *
 * The 20 clients run in a process of their own (`node bin/tsnode.js bench/scenarios/sse.ts --clients <port> <last>`):
 * reading 2 GB off 12 sockets keeps an event loop busy, and /health's latency must be the server's, not the prober's.
 */
import fs from 'node:fs';
import net from 'node:net';
import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { msSince, quantile, result, type ScenarioResult } from '../lib.ts';
import { peakRssMb, spawnServe } from '../serve.ts';

const EVENTS = Number(process.env.BENCH_SSE_EVENTS ?? 150_000);
const RUNS = Number(process.env.BENCH_SSE_RUNS ?? 3);
const READERS = 12;
const IDLE = 8;
const WORK = path.resolve('bench/.work/sse');
const TOKEN = 'bench-token-bench-token';

/** A data dir whose database holds EVENTS events (made once, reused; serve migrates it on start). */
async function prepare(): Promise<void> {
  const marker = path.join(WORK, `.events-${EVENTS}`);
  if (fs.existsSync(marker)) return;
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true, mode: 0o700 });
  const boot = await spawnServe(WORK, { token: TOKEN });
  await boot.stop();
  const db = new Database(path.join(WORK, 'satdesk.sqlite'));
  const invoice = { id: 'bench0000000000', status: 'paid', amount_sats: 25_000, label: 'x'.repeat(900), address: 'bcrt1q' + 'q'.repeat(36) };
  const ins = db.prepare("INSERT INTO events (type, data, created_at) VALUES ('invoice.paid', ?, ?)");
  const data = JSON.stringify({ invoice });
  db.transaction(() => {
    for (let i = 0; i < EVENTS; i++) ins.run(data, Date.now());
  })();
  // Nothing to plan: these events are for the stream only.
  db.prepare("UPDATE outbox_state SET value = (SELECT MAX(id) FROM events) WHERE key = 'events_watermark'").run();
  db.close();
  fs.writeFileSync(marker, '');
}

/** An SSE client on a raw socket: resolves when it saw the event with id `last` (readers), or never (idle). */
function client(port: number, read: boolean, last: number): { done: Promise<number>; close(): void } {
  const s = net.connect(port, '127.0.0.1');
  const t0 = process.hrtime.bigint();
  const want = Buffer.from(`\nid: ${last}\n`);
  let tail: Buffer = Buffer.alloc(0);
  const done = new Promise<number>((resolve, reject) => {
    s.on('error', reject);
    s.on('connect', () => {
      s.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nLast-Event-ID: 0\r\n\r\n`);
      if (!read) s.pause();
    });
    if (read) {
      // Raw bytes, no decoding: the client's own work must not weigh on the latencies measured from this process.
      s.on('data', (d: Buffer) => {
        if (Buffer.concat([tail, d.subarray(0, want.length)]).includes(want) || d.includes(want)) resolve(msSince(t0));
        tail = d.subarray(Math.max(0, d.length - want.length));
      });
    }
  });
  return { done, close: () => s.destroy() };
}

export const scenario = {
  name: 'sse',
  async run(): Promise<ScenarioResult[]> {
    await prepare();
    const p99s: number[] = [];
    const rss: number[] = [];
    const replay: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const serve = await spawnServe(WORK, { token: TOKEN });
      const port = Number(new URL(serve.base).port);
      const lat: number[] = [];
      let polling = true;
      let failed = 0;
      const poll = (async () => {
        while (polling) {
          const t0 = process.hrtime.bigint();
          try {
            const res = await fetch(`${serve.base}/api/v1/health`);
            await res.arrayBuffer();
            lat.push(msSince(t0));
          } catch {
            failed++;
          }
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      const clients = spawn(process.execPath, ['bin/tsnode.js', 'bench/scenarios/sse.ts', '--clients', String(port), String(EVENTS)], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const times = await new Promise<number[]>((resolve, reject) => {
        let out = '';
        clients.stdout.on('data', (d) => {
          out += d;
          const m = /^done (.*)$/m.exec(out);
          if (m) resolve(m[1]!.split(' ').map(Number));
        });
        clients.once('exit', (code) => reject(new Error(`sse clients exited ${code}: ${out}`)));
      }).finally(() => {
        polling = false;
      });
      await poll;
      if (failed) throw new Error(`${failed} /health probes failed during the replay`);
      rss.push(peakRssMb(serve.child.pid!));
      clients.stdin.end(); // the idle clients close with it
      await new Promise((r) => clients.once('exit', r));
      await serve.stop();
      lat.sort((a, b) => a - b);
      p99s.push(quantile(lat, 0.99));
      replay.push(Math.max(...times));
      console.error(`bench: sse run ${run}: /health p50 ${quantile(lat, 0.5).toFixed(1)} p90 ${quantile(lat, 0.9).toFixed(1)} max ${lat.at(-1)!.toFixed(1)} p99 ${quantile(lat, 0.99).toFixed(1)} ms over ${lat.length} probes, peak RSS ${rss.at(-1)!.toFixed(0)} MB, ${READERS} readers done in ${Math.max(...times).toFixed(0)} ms`);
    }
    const note = `${EVENTS.toLocaleString('en')} events of ~1.2 KB; ${READERS} clients reading and ${IDLE} never reading, all from Last-Event-ID 0`;
    return [
      result('sse', `/health p99 while 20 clients replay ${EVENTS.toLocaleString('en')} events`, 'ms', p99s, 50, 'le', note),
      result('sse', 'peak RSS of serve during the replay', 'MB', rss, 400, 'le', 'VmHWM of the serve process'),
      result('sse', `${READERS} reading clients: all events received`, 'ms', replay, 60_000, 'le', 'no target in the issue; shown for context'),
    ];
  },
};

/** The clients' process: READERS readers and IDLE sockets that never read; prints the readers' times, holds on until stdin closes. */
async function clients(port: number, last: number): Promise<void> {
  const all = [...Array.from({ length: READERS }, () => client(port, true, last)), ...Array.from({ length: IDLE }, () => client(port, false, last))];
  const times = await Promise.all(all.slice(0, READERS).map((c) => c.done));
  process.stdout.write(`done ${times.map((t) => t.toFixed(1)).join(' ')}\n`);
  process.stdin.resume();
  await new Promise((r) => process.stdin.once('end', r));
  for (const c of all) c.close();
}

if (process.argv[2] === '--clients') {
  await clients(Number(process.argv[3]), Number(process.argv[4]));
}
