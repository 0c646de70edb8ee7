/** `satdesk serve` as a child process for the bench scenarios (regtest, ephemeral port, a fixed token). */
import fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';

/** Peak resident memory (VmHWM) of a process, in MB; NaN where /proc is not readable. */
export function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** BENCH_PROF=dir: CPU-profile the serve children into dir. */
export const PROF = process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];

export interface BenchServe {
  child: ChildProcess;
  base: string;
  out(): string;
  err(): string;
  stop(): Promise<void>;
}

export async function spawnServe(
  dir: string,
  opts: {
    token: string;
    /** One `--electrum` flag per server. */
    electrum?: string | string[];
    /** Extra readiness beyond the printed API line (e.g. the watcher's "chain: synced"). */
    ready?: (out: string, err: string) => boolean;
    /** Called at each poll while waiting (e.g. to note when the API came up, to sample memory). */
    onPoll?: (child: ChildProcess, out: string, err: string) => void;
    pollMs?: number;
    timeoutMs?: number;
  },
): Promise<BenchServe> {
  const args = [...PROF, 'bin/satdesk.js', 'serve', '--network', 'regtest', '--data-dir', dir, '--port', '0', '--api-token', opts.token];
  for (const e of typeof opts.electrum === 'string' ? [opts.electrum] : (opts.electrum ?? [])) args.push('--electrum', e);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const started = Date.now();
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      opts.onPoll?.(child, out, err);
      const m = /API: (http:\/\/[^\s]+)\/api\/v1/.exec(out);
      if (m && (!opts.ready || opts.ready(out, err))) {
        clearInterval(timer);
        resolve(m[1]!);
      } else if (Date.now() - started > (opts.timeoutMs ?? 120_000)) {
        clearInterval(timer);
        child.kill('SIGKILL'); // the bench stops by itself: a serve that never gets ready is not left behind
        reject(new Error(`serve not ready after ${opts.timeoutMs ?? 120_000} ms: ${err.slice(-500)}`));
      }
    }, opts.pollMs ?? 2);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`serve exited ${code}: ${err.slice(-500)}`));
    });
  });
  return {
    child,
    base,
    out: () => out,
    err: () => err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
