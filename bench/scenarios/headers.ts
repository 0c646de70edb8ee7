/**
 * headers: `satdesk serve` syncing 1,000,000 headers (a regtest-rules chain generated here, real proof of work at
 * regtest difficulty) from a local Electrum server (test/helpers/hostile-electrum.ts, serving them honestly).
 * Figures: spawn → all headers verified and stored (`chain.headers.verified_height` in /sysinfo), and the serve
 * process's peak RSS (VmHWM; target < 300 MB: header sync holds one page, never the chain).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REGTEST_GENESIS_HASH, REGTEST_GENESIS_HEADER } from '../../src/core/chain/index.ts';
import { startHostileElectrum } from '../../test/helpers/hostile-electrum.ts';
import { msSince, result, type ScenarioResult } from '../lib.ts';
import { peakRssMb, spawnServe } from '../serve.ts';

const N = Number(process.env.BENCH_HEADERS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_HEADERS_RUNS ?? 3);
const WORK = path.resolve('bench/.work/headers');
const TOKEN = 'bench-token-bench-token';

const sha256d = (b: Buffer): Buffer => crypto.createHash('sha256').update(crypto.createHash('sha256').update(b).digest()).digest();

/** N + 1 raw 80-byte headers from the regtest genesis, 300 s apart, cached on disk between runs. */
function chain(): Buffer {
  const file = path.join(WORK, `regtest-${N}.bin`);
  if (fs.existsSync(file) && fs.statSync(file).size === (N + 1) * 80) return fs.readFileSync(file);
  fs.mkdirSync(WORK, { recursive: true });
  const buf = Buffer.alloc((N + 1) * 80);
  Buffer.from(REGTEST_GENESIS_HEADER, 'hex').copy(buf, 0);
  let prev = sha256d(buf.subarray(0, 80));
  const t0 = buf.readUInt32LE(68);
  for (let h = 1; h <= N; h++) {
    const o = h * 80;
    buf.writeInt32LE(0x20000000, o);
    prev.copy(buf, o + 4);
    crypto.createHash('sha256').update(`satdesk bench ${h}`).digest().copy(buf, o + 36);
    buf.writeUInt32LE(t0 + 300 * h, o + 68);
    buf.writeUInt32LE(0x207fffff, o + 72);
    // Regtest target is 0x7fffff·2^232: a hash whose top byte is below 0x7f always meets it.
    for (let nonce = 0; ; nonce++) {
      buf.writeUInt32LE(nonce, o + 76);
      const d = sha256d(buf.subarray(o, o + 80));
      if (d[31]! < 0x7f) {
        prev = d;
        break;
      }
    }
  }
  fs.writeFileSync(file, buf);
  return buf;
}

async function sysinfo(base: string): Promise<{ chain: { synced: boolean; headers: { state: string; verified_height: number | null } | null } }> {
  const r = await fetch(`${base}/api/v1/sysinfo`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  return (await r.json()) as never;
}

export const scenario = {
  name: 'headers',
  async run(): Promise<ScenarioResult[]> {
    const buf = chain();
    const server = await startHostileElectrum({
      genesis: REGTEST_GENESIS_HASH,
      headerAt: (h) => (h >= 0 && h <= N ? buf.toString('hex', h * 80, h * 80 + 80) : null),
      tip: () => N,
    });
    const times: number[] = [];
    const rss: number[] = [];
    try {
      for (let run = 0; run < RUNS; run++) {
        const dir = path.join(WORK, `run-${run}`);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
        const t0 = process.hrtime.bigint();
        const s = await spawnServe(dir, { token: TOKEN, electrum: server.url, pollMs: 50, timeoutMs: 60_000 });
        try {
          for (;;) {
            const info = await sysinfo(s.base);
            if (info.chain.headers?.verified_height === N && info.chain.headers.state === 'verified') break;
            if (msSince(t0) > 600_000) throw new Error(`not synced after 600 s: ${JSON.stringify(info.chain)}`);
            await new Promise((r) => setTimeout(r, 200));
          }
          times.push(msSince(t0) / 1000);
          rss.push(peakRssMb(s.child.pid!));
        } finally {
          await s.stop();
        }
        console.error(`bench: headers run ${run + 1}: ${times[times.length - 1]!.toFixed(1)} s, peak RSS ${rss[rss.length - 1]!.toFixed(0)} MB`);
      }
    } finally {
      await server.close();
    }
    const note = `${N.toLocaleString('en-US')} regtest-rules headers from a local server, pages of 2016 verified and stored as they arrive`;
    return [
      result('headers', `sync ${N.toLocaleString('en-US')} headers: spawn → verified`, 's', times, 180, 'le', note),
      result('headers', 'peak RSS of serve during the sync', 'MB', rss, 300, 'le', note),
    ];
  },
};
