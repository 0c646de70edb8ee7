/**
 * realnode: Satdesk on the real servers, beside the sandbox figures. Needs SATDESK_REALNODE (the folder with
 * Bitcoin Core, ElectrumX and Fulcrum and their up/down/cli scripts); without it the scenario says why and returns
 * nothing. Per server — ElectrumX 1.20.0 with its default cost limits and 5 s polling, Fulcrum 2.1.1 with the per-IP
 * limits a remote client gets and its 2 s polling:
 *  - start → synced: spawn of `satdesk serve --electrum` on a data dir with N free pool addresses, until it logs
 *    "chain: synced" (N = 1,000, 20,000, 50,000 and 100,000; 100,000 is past Fulcrum's 75,000 subscriptions per IP:
 *    the rest is checked on a schedule, and /sysinfo says so);
 *  - broadcast → invoice.paid: `bitcoin-cli sendtoaddress` returned (the node has it) until the app's invoice.paid
 *    event, for 20 payments 400 ms apart; bounded below by the server's polling of its node.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../../src/node/store/sqlite.ts';
import { startApp } from '../../src/node/app.ts';
import { randomAddresses, skipReason, startStack, type Stack } from '../../test/interop/stack.ts';
import { msSince, quantile, result, type ScenarioResult } from '../lib.ts';
import { spawnServe } from '../serve.ts';

const SIZES = (process.env.BENCH_REALNODE_SIZES ?? '1000,20000,50000,100000').split(',').map(Number);
const PAYMENTS = Number(process.env.BENCH_REALNODE_PAYMENTS ?? 20);
const WORK = path.resolve('bench/.work/realnode');
const TOKEN = 'bench-token-bench-token';
const sh = (i: number): string => i.toString(16).padStart(8, '0').padEnd(64, 'c');

function dataDirWith(n: number, tag: string): string {
  const dir = path.join(WORK, `${tag}-${n}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const db = openDatabase(path.join(dir, 'satdesk.sqlite'));
  db.pragma('synchronous = OFF');
  db.exec(`INSERT INTO settings (key, value) VALUES ('network', '"regtest"')`);
  const ins = db.prepare(`INSERT INTO addresses (address, scripthash, script_hex, origin, state, created_at) VALUES (?, ?, ?, 'static', 'free', 1700000000000)`);
  db.transaction(() => {
    for (let i = 1; i <= n; i++) ins.run(`bcrt1qbenchreal${i}`, sh(i), `0014${i.toString(16).padStart(40, '0')}`);
  })();
  db.close();
  return dir;
}

async function startToSynced(stack: Stack, n: number): Promise<{ ms: number; watch: unknown }> {
  const t0 = process.hrtime.bigint();
  const serve = await spawnServe(dataDirWith(n, stack.server), { token: TOKEN, electrum: stack.url, ready: (_o, err) => /chain: synced/.test(err), timeoutMs: 600_000 });
  try {
    const ms = msSince(t0);
    const info = (await (await fetch(`${serve.base}/api/v1/sysinfo`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json()) as { chain: { synced: boolean; watch: unknown } };
    if (!info.chain.synced) throw new Error('serve logged synced but /sysinfo disagrees');
    return { ms, watch: info.chain.watch };
  } finally {
    await serve.stop();
  }
}

async function detection(stack: Stack): Promise<number[]> {
  const dir = path.join(WORK, `${stack.server}-detect`);
  fs.rmSync(dir, { recursive: true, force: true });
  const app = await startApp({ dataDir: dir, network: 'regtest', port: 0, http: false, electrum: [stack.url], log: () => {} });
  try {
    await app.service.handlers.addAddresses({ body: { addresses: randomAddresses(PAYMENTS) } } as never);
    await app.watcher!.waitSynced(60_000);
    const waiting = new Map<string, (t: bigint) => void>();
    const off = app.service.bus.subscribe((e) => {
      if (e.type === 'invoice.paid' && e.invoice_id) waiting.get(e.invoice_id)?.(process.hrtime.bigint());
    });
    const latencies: Promise<number>[] = [];
    for (let i = 0; i < PAYMENTS; i++) {
      const inv = app.service.createInvoice({ body: { amount_sats: 10_000 + i }, headers: {} } as never);
      const seen = new Promise<bigint>((r) => waiting.set((inv as { id: string }).id, r));
      await stack.wallet('sendtoaddress', (inv as { address: string }).address, ((10_000 + i) / 1e8).toFixed(8));
      const sent = process.hrtime.bigint();
      latencies.push(seen.then((t) => Number(t - sent) / 1e6));
      await new Promise((r) => setTimeout(r, 400));
    }
    const out = await Promise.all(latencies);
    off();
    return out;
  } finally {
    await app.close();
  }
}

export const scenario = {
  name: 'realnode',
  async run(): Promise<ScenarioResult[]> {
    const why = skipReason();
    if (why) {
      console.error(`bench: realnode skipped: ${why}`);
      return [];
    }
    const rows: ScenarioResult[] = [];
    for (const [server, opts, poll] of [['electrumx', { poll: 5 }, 5000], ['fulcrum', { poll: 2, publicLimits: true }, 2000]] as const) {
      const stack = await startStack(server, opts);
      try {
        for (const n of SIZES) {
          const r = await startToSynced(stack, n);
          console.error(`bench: realnode ${server} ${n}: synced in ${r.ms.toFixed(0)} ms; watch ${JSON.stringify(r.watch)}`);
          const target = n <= 50_000 ? (server === 'fulcrum' ? 30_000 : 60_000) : 120_000;
          rows.push(result('realnode', `${server}: start → synced, ${n.toLocaleString('en')} watched addresses`, 'ms', [r.ms], target, 'le', `watch: ${JSON.stringify(r.watch)}`));
        }
        const lat = (await detection(stack)).sort((a, b) => a - b);
        console.error(`bench: realnode ${server} detection p50 ${quantile(lat, 0.5).toFixed(0)} ms, p99 ${quantile(lat, 0.99).toFixed(0)} ms`);
        rows.push(result('realnode', `${server}: broadcast → invoice.paid, p50`, 'ms', [quantile(lat, 0.5)], poll + 100, 'le', `${PAYMENTS} payments; polling every ${poll / 1000} s`));
        rows.push(result('realnode', `${server}: broadcast → invoice.paid, p99`, 'ms', [quantile(lat, 0.99)], poll + 100, 'le', `${PAYMENTS} payments; polling every ${poll / 1000} s`));
      } finally {
        await stack.down();
      }
    }
    return rows;
  },
};
