/**
 * deliver: 10,000 bitcoinmonitor notifications through the real sender (SQLite with synchronous=FULL, signed
 * requests over loopback HTTP) to a receiver in another process. Figures: throughput to a healthy receiver (target
 * ≥ 2,000/s), and the same with a second agent whose endpoint never answers (timeout 1 s) getting the same 10,000
 * (target: costs the first ≤ 10 %).
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { startApp } from '../../src/node/app.ts';
import { msSince, result, type ScenarioResult } from '../lib.ts';

const N = Number(process.env.BENCH_DELIVER_N ?? 10_000);
const RUNS = Number(process.env.BENCH_DELIVER_RUNS ?? 5);
const WORK = path.resolve('bench/.work/deliver');

// The receiver runs in its own process so it does not share the sender's event loop. "hang" never answers.
const RECEIVER = `
const http = require('node:http');
const mode = process.argv[1];
const s = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { if (mode !== 'hang') { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('ok'); } });
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log('PORT ' + s.address().port));
`;

async function startReceiver(mode: 'ok' | 'hang'): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['-e', RECEIVER, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (c) => reject(new Error(`receiver exited ${c}`)));
  });
  return { url: `http://127.0.0.1:${port}/callback`, proc };
}

/** End-to-end throughput (facts + planning + delivery) and the delivery phase alone (from the commit), per s. */
async function oneRun(withDeadAgent: boolean, okUrl: string, deadUrl: string): Promise<{ total: number; delivery: number }> {
  const dir = path.join(WORK, `run-${Date.now()}-${crypto.randomBytes(3).toString('hex')}`);
  fs.mkdirSync(dir, { recursive: true });
  const app = await startApp({ dataDir: dir, network: 'regtest', http: false, log: () => {} });
  try {
    const svc = app.service;
    const ok = svc.handlers.createAgent({ body: { name: 'ok', url: okUrl, format: 'bitcoinmonitor' }, params: {}, query: {}, headers: {} } as never) as { id: string };
    if (withDeadAgent) {
      void svc.handlers.createAgent({
        body: { name: 'dead', url: deadUrl, format: 'bitcoinmonitor', timeout_s: 1, retry: { delays_s: [1, 1, 1, 1, 1] } },
        params: {},
        query: {},
        headers: {},
      } as never);
    }
    const db = svc.db;
    db.prepare(
      "INSERT INTO addresses (address, script_key, state) VALUES (@address, satdesk_script_key(@address), 'used')",
    ).run({ address: madeUpAddress('bench-deliver', 1).address });
    const addrId = (db.prepare('SELECT MAX(id) AS id FROM addresses').get() as { id: number }).id;
    await new Promise((r) => setTimeout(r, 5));
    const pending = db.prepare("SELECT 1 FROM deliveries WHERE agent_id = ? AND state IN ('PENDING', 'RETRY') LIMIT 1");
    const txids = Array.from({ length: N }, () => crypto.randomBytes(32).toString('hex')); // made before the clock starts
    const t0 = process.hrtime.bigint();
    // The facts and their 10,000 (or 20,000) planned notifications commit in one transaction, as the watcher's would.
    svc.write(() => {
      const ins = db.prepare(
        "INSERT INTO payments (txid, address_id, sats, first_seen, state_code) VALUES (unhex(?), ?, ?, ?, 0)",
      );
      const now = svc.clock.now();
      for (let i = 0; i < N; i++) ins.run(txids[i], addrId, 1000 + i, now);
    });
    const t1 = process.hrtime.bigint();
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      if (!pending.get(ok.id)) break;
      if (msSince(t0) > 120_000) throw new Error('deliver: not done after 120 s');
    }
    const done = (db.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE agent_id = ? AND state = 'SUCCESS'").get(ok.id) as { n: number }).n;
    if (done !== N) throw new Error(`deliver: ${done} of ${N} delivered`);
    return { total: N / (msSince(t0) / 1000), delivery: N / (msSince(t1) / 1000) };
  } finally {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const scenario = {
  name: 'deliver',
  async run(): Promise<ScenarioResult[]> {
    fs.mkdirSync(WORK, { recursive: true });
    const okRx = await startReceiver('ok');
    const deadRx = await startReceiver('hang');
    try {
      // One discarded warm-up pair (JIT, page cache), then alternating runs so drift hits both sides alike.
      await oneRun(false, okRx.url, deadRx.url);
      await oneRun(true, okRx.url, deadRx.url);
      const alone: { total: number; delivery: number }[] = [];
      const withDead: { total: number; delivery: number }[] = [];
      for (let i = 0; i < RUNS; i++) {
        alone.push(await oneRun(false, okRx.url, deadRx.url));
        withDead.push(await oneRun(true, okRx.url, deadRx.url));
        console.error(
          `bench: deliver: run ${i + 1}: ${alone[i]!.total.toFixed(0)}/s alone, ${withDead[i]!.total.toFixed(0)}/s beside a dead agent ` +
            `(delivery phase ${alone[i]!.delivery.toFixed(0)}/s vs ${withDead[i]!.delivery.toFixed(0)}/s)`,
        );
      }
      const cost = (k: 'total' | 'delivery'): number[] => alone.map((a, i) => Math.max(0, ((a[k] - withDead[i]![k]) / a[k]) * 100));
      return [
        result('deliver', `${N} notifications to a local receiver`, 'per s', alone.map((a) => a.total), 2000, 'ge', 'facts + planning + signed bitcoinmonitor POSTs over loopback keep-alive, 4 in flight, SQLite synchronous=FULL, attempts committed in batches'),
        result('deliver', 'same, beside an agent whose endpoint times out', 'per s', withDead.map((a) => a.total), 2000, 'ge', 'the dead agent gets the same notifications; timeout 1 s'),
        result('deliver', 'cost of the dead agent to the healthy one', '%', cost('total'), 10, 'le', 'per run: (alone − beside) / alone, end to end; includes planning the dead agent\'s 10,000 notifications in the same transaction'),
        result('deliver', 'cost of the dead agent, delivery phase only', '%', cost('delivery'), 10, 'le', 'from the commit of facts and plans to the last SUCCESS: the isolation of the queues'),
      ];
    } finally {
      okRx.proc.kill();
      deadRx.proc.kill();
    }
  },
};
