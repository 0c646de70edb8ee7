/**
 * watch: `satdesk serve --electrum` on a data dir with 100,000 watched addresses (free static pool addresses),
 * against the sandbox on loopback. Figures: spawn → `chain.synced` in /sysinfo (target ≤ 10 s), the serve
 * process's peak RSS (VmHWM, target ≤ 400 MB), and the floor: a bare client process (our ElectrumClient, same
 * batch size and concurrency) that only sends the same subscriptions (Satdesk ≤ 1.5× floor).
 *
 * Run as `node bin/tsnode.js bench/scenarios/watch.ts --floor-client <tcp url> <count>` it is that bare client.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { openDatabase } from '../../src/node/store/sqlite.ts';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { ElectrumClient } from '../../src/node/electrum/client.ts';
import { msSince, result, type ScenarioResult } from '../lib.ts';
import { peakRssMb, spawnServe } from '../serve.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';

const N = Number(process.env.BENCH_WATCH_ADDRESSES ?? 100_000);
const RUNS = Number(process.env.BENCH_WATCH_RUNS ?? 5); // the ratio pairs two processes' timings: more runs steady the median
const WORK = path.resolve('bench/.work/watch');
const TOKEN = 'bench-token-bench-token';
// The floor's script hashes: the sandbox answers any the same, so the floor spends nothing on making them.
const sh = (i: number): string => i.toString(16).padStart(8, '0').padEnd(64, 'a');
const BATCH = 250;
const CONCURRENCY = 4;


function populateTemplate(): string {
  const file = path.join(WORK, `template-${N}-schema${MIGRATIONS.length}.sqlite`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(WORK, { recursive: true });
  const tmp = `${file}.tmp`;
  fs.rmSync(tmp, { force: true });
  const db = openDatabase(tmp);
  db.pragma('synchronous = OFF');
  db.exec(`INSERT INTO settings (key, value) VALUES ('network', '"regtest"')`);
  const ins = db.prepare(
    `INSERT INTO addresses (address, script_key, scripthash, state)
      VALUES (@address, satdesk_script_key(@address), unhex(satdesk_scripthash(@address)), 'free')`,
  );
  db.transaction(() => {
    for (let i = 1; i <= N; i++) ins.run({ address: madeUpAddress('bench-watch', i).address });
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  fs.renameSync(tmp, file);
  return file;
}

function freshDataDir(template: string, run: number): string {
  const dir = path.join(WORK, `run-${run}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(template, path.join(dir, 'satdesk.sqlite'));
  return dir;
}

async function serveUntilSynced(dir: string, electrum: string): Promise<{ ms: number; rssMb: number; watchMs: number }> {
  const t0 = process.hrtime.bigint();
  let apiMs = 0;
  let rss = 0;
  // The watcher logs one line when the first sync is done; polling /sysinfo would load the process it measures.
  const serve = await spawnServe(dir, {
    token: TOKEN,
    electrum,
    ready: (_out, err) => /chain: synced/.test(err),
    onPoll: (child, out) => {
      if (!apiMs && /API: /.test(out)) apiMs = msSince(t0);
      if (child.pid) rss = Math.max(rss, peakRssMb(child.pid));
    },
  });
  try {
    const res = await fetch(`${serve.base}/api/v1/sysinfo`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const info = (await res.json()) as { chain: { synced: boolean } };
    if (!info.chain.synced) throw new Error('serve logged synced but /sysinfo disagrees');
    const ms = msSince(t0);
    // Let it settle a moment, then read the peak.
    await new Promise((r) => setTimeout(r, 500));
    rss = Math.max(rss, peakRssMb(serve.child.pid!));
    return { ms, rssMb: rss, watchMs: ms - apiMs };
  } finally {
    await serve.stop();
  }
}

async function floorRun(electrum: string): Promise<{ ms: number; workMs: number }> {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, ['bin/tsnode.js', 'bench/scenarios/watch.ts', '--floor-client', electrum, String(N)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) =>
    child.once('exit', (code) => (code === 0 && out.includes('subscribed') ? resolve() : reject(new Error(`floor client exited ${code}: ${out}`)))),
  );
  const ms = msSince(t0);
  return { ms, workMs: Number(/in ([\d.]+) ms/.exec(out)?.[1] ?? NaN) };
}

/** The bare client: connect, subscribe N scripthashes in batches, exit. */
async function floorClient(url: string, n: number): Promise<void> {
  const t0 = process.hrtime.bigint();
  const client = new ElectrumClient({ server: url, network: 'regtest', pingIntervalMs: 0 });
  await client.connect();
  await client.headersSubscribe();
  const chunks: number[][] = [];
  for (let i = 1; i <= n; i += BATCH) chunks.push(Array.from({ length: Math.min(BATCH, n - i + 1) }, (_, k) => i + k));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < chunks.length) {
      const chunk = chunks[next++]!;
      const r = await client.batch(chunk.map((i) => ({ method: 'blockchain.scripthash.subscribe', params: [sh(i)] })), { pageSize: chunk.length });
      if (r.some((x) => !x.ok)) throw new Error('subscribe failed');
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  console.log(`subscribed ${n} in ${msSince(t0).toFixed(1)} ms`);
  await client.close();
}

export const scenario = {
  name: 'watch',
  async run(): Promise<ScenarioResult[]> {
    const template = populateTemplate();
    const sb = await startSandbox({ host: '127.0.0.1', port: 0, tlsPort: 0, controlPort: 0 });
    try {
      const synced: number[] = [];
      const rss: number[] = [];
      const floor: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const r = await serveUntilSynced(freshDataDir(template, run), sb.electrumTcpUrl);
        synced.push(r.ms);
        rss.push(r.rssMb);
        const f = await floorRun(sb.electrumTcpUrl);
        floor.push(f.ms);
        console.error(`bench: watch run ${run}: synced ${r.ms.toFixed(0)} ms (API up → synced ${r.watchMs.toFixed(0)} ms), peak RSS ${r.rssMb.toFixed(0)} MB, floor ${f.ms.toFixed(0)} ms (connect → subscribed ${f.workMs.toFixed(0)} ms)`);
      }
      const ratio = synced.map((s, i) => s / floor[i]!);
      const n = N.toLocaleString('en');
      return [
        result('watch', `start → synced, ${n} watched addresses`, 'ms', synced, 10_000, 'le', 'spawn of `satdesk serve --electrum` (sandbox on loopback) until /sysinfo says synced'),
        result('watch', 'peak RSS of serve', 'MB', rss, 400, 'le', 'VmHWM of the serve process'),
        result('watch', `floor: bare client subscribing ${n}`, 'ms', floor, 10_000, 'le', 'spawn of a process that only connects and sends the same subscriptions'),
        result('watch', 'Satdesk / floor', 'x', ratio, 1.5, 'le', 'start → synced over the floor, per run'),
      ];
    } finally {
      await sb.close();
    }
  },
};

if (process.argv[2] === '--floor-client') {
  await floorClient(process.argv[3]!, Number(process.argv[4]));
}
