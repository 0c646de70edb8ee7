/** `satdesk sandbox` as a child process for the bench scenarios, and its control API. */
import { spawn } from 'node:child_process';
import { PROF } from './serve.ts';

export interface SandboxChild {
  electrum: string;
  /** the same sandbox over TLS (pinned): a second server URL for two-server runs */
  electrumTls: string;
  control: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startSandboxChild(dataDir?: string): Promise<SandboxChild> {
  const args = [...PROF, 'bin/satdesk.js', 'sandbox', '--port', '0', '--tls-port', '0', '--control-port', '0', ...(dataDir ? ['--data-dir', dataDir] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const [electrum, electrumTls, control] = await new Promise<[string, string, string]>((resolve, reject) => {
    const timer = setInterval(() => {
      const e = /Electrum TCP: .*\((tcp:\/\/[^)]+)\)/.exec(out);
      const t = /Electrum TLS: .*\((ssl:\/\/[^)]+)\)/.exec(out);
      const c = /Control API: (http:\/\/\S+)/.exec(out);
      if (e && t && c) {
        clearInterval(timer);
        resolve([e[1]!, t[1]!, c[1]!]);
      }
    }, 5);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`sandbox exited ${code}`));
    });
  });
  return {
    electrum,
    electrumTls,
    control,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function control<T>(sb: SandboxChild, route: string, body: unknown): Promise<T> {
  const res = await fetch(`${sb.control}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`sandbox ${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
