/** `satdesk serve` as a real child process (the real bin), for kill -9 and restart tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ApiClient } from './api.ts';
import { until } from './callbacks.ts';

export interface ServeChild {
  api: ApiClient;
  proc: ChildProcess;
  output(): string;
  /** Resolves when the process has exited (at once if it already has). */
  exited(): Promise<void>;
}

export async function spawnServe(
  dataDir: string,
  opts: { token: string; electrum?: string; waitSynced?: boolean; env?: Record<string, string> },
): Promise<ServeChild> {
  const args = [path.resolve('bin/satdesk.js'), 'serve', '--network', 'regtest', '--data-dir', dataDir, '--port', '0', '--api-token', opts.token];
  if (opts.electrum) args.push('--electrum', opts.electrum);
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = (): Promise<void> =>
    new Promise((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve())));
  const base = await until(
    () => {
      if (proc.exitCode !== null) throw new Error(`serve exited ${proc.exitCode}: ${out}`);
      return /API: (http:\/\/\S+)\/api\/v1/.exec(out)?.[1];
    },
    'serve to listen',
    20_000,
  );
  const api = new ApiClient(base, opts.token);
  if (opts.waitSynced) await until(async () => (await api.get('/sysinfo')).body.chain?.synced, 'serve synced', 20_000);
  return { api, proc, output: () => out, exited };
}
