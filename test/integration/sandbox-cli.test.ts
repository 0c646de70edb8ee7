/** `satdesk sandbox` as a process: prints ports, URL and fingerprint, serves, and closes cleanly on SIGTERM/SIGINT. */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/sandbox.ts';
import { until } from '../helpers/wait.ts';

const BIN = path.resolve('bin/satdesk.js');

function run(args: string[]): { out: () => string; err: () => string; exited: Promise<number | null>; pid: number; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [BIN, 'sandbox', ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  void exited.then(() => clearTimeout(timer));
  return { out: () => out, err: () => err, exited, pid: child.pid!, kill: (s) => child.kill(s) };
}

const waitFor = (pred: () => boolean, ms: number): Promise<unknown> => until(pred, 'the sandbox output', ms);

describe('satdesk sandbox (cli)', () => {
  it('starts on ephemeral ports, prints what a user needs, answers /status, and exits 0 on SIGTERM', async () => {
    const dir = tempDir('satdesk-sandbox-cli-');
    try {
      const p = run(['--port', '0', '--tls-port', '0', '--control-port', '0', '--data-dir', dir]);
      await waitFor(() => p.out().includes('Try: curl'), 20_000);
      const out = p.out();
      expect(out).toMatch(/Electrum TCP: 127\.0\.0\.1:\d+/);
      expect(out).toMatch(/Electrum TLS: 127\.0\.0\.1:\d+/);
      expect(out).toMatch(/TLS certificate SHA-256: ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
      const url = /Control API: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      const st = (await (await fetch(`${url}/status`)).json()) as { height: number };
      expect(st.height).toBe(101);
      p.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.err()).toMatch(/SIGTERM: closing the sandbox/);
      expect(fs.existsSync(`${dir}/chain.json`)).toBe(true);
      expect(fs.existsSync(`${dir}/tls-cert.pem`)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses unknown options with exit code 2 and prints usage for --help', async () => {
    const bad = run(['--port', 'abc']);
    expect(await bad.exited).toBe(2);
    expect(bad.err()).toMatch(/--port needs a port number/);
    const unknown = run(['--frobnicate']);
    expect(await unknown.exited).toBe(2);
    expect(unknown.err()).toMatch(/unknown option --frobnicate/);
    const help = run(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.out()).toMatch(/^usage: satdesk sandbox/);
  });
});
