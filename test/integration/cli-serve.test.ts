import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { tempDir } from '../helpers/api.ts';

const BIN = path.resolve('bin/satdesk.js');

function run(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return { child, out: () => out, err: () => err };
}

async function waitFor(get: () => string, re: RegExp, ms = 20_000): Promise<RegExpExecArray> {
  const end = Date.now() + ms;
  for (;;) {
    const m = re.exec(get());
    if (m) return m;
    if (Date.now() > end) throw new Error(`timed out waiting for ${re}: ${get()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('satdesk serve (the real bin)', () => {
  it('serves the API, prints the console URL with the token, and shuts down cleanly on SIGTERM', async () => {
    const dataDir = tempDir();
    const p = run(['serve', '--network', 'regtest', '--data-dir', dataDir, '--port', '0']);
    const m = await waitFor(p.out, /Console: (http:\/\/127\.0\.0\.1:(\d+))\/\?token=([\w-]+)/);
    const [, base, , token] = m;
    expect(p.out()).toMatch(/Chain: not connected/);
    expect(((await (await fetch(`${base}/api/v1/health`)).json()) as { ok: boolean }).ok).toBe(true);
    const info = await fetch(`${base}/api/v1/sysinfo`, { headers: { Authorization: `Bearer ${token}` } });
    expect(((await info.json()) as { network: string }).network).toBe('regtest');
    expect(fs.existsSync(path.join(dataDir, 'satdesk.lock'))).toBe(true);
    // A second serve on the same data dir is refused while the first runs.
    const second = run(['serve', '--network', 'regtest', '--data-dir', dataDir, '--port', '0']);
    const [code2] = await once(second.child, 'exit');
    expect(code2).toBe(1);
    expect(second.err()).toMatch(/Another Satdesk \(pid \d+\) is using the data dir/);
    p.child.kill('SIGTERM');
    const [code] = await once(p.child, 'exit');
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'satdesk.lock'))).toBe(false);
    // The token never lands in a file other than the owner-only token file.
    const files = fs.readdirSync(dataDir).filter((f) => f !== 'api-token' && !f.startsWith('satdesk.sqlite'));
    for (const f of files) expect(fs.readFileSync(path.join(dataDir, f), 'utf8')).not.toContain(token);
  });

  it('says clearly when the port is taken, and exits 1', async () => {
    const net = await import('node:net');
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as import('node:net').AddressInfo).port;
    const p = run(['serve', '--network', 'regtest', '--data-dir', tempDir(), '--port', String(port)]);
    const [code] = await once(p.child, 'exit');
    busy.close();
    expect(code).toBe(1);
    expect(p.err()).toContain(`Cannot listen for the API: port ${port} on 127.0.0.1 is in use. Pick another with --port (or --host).`);
  });

  it('answers bad flags with usage and exit code 2', async () => {
    const p = run(['serve', '--network', 'moonnet']);
    const [code] = await once(p.child, 'exit');
    expect(code).toBe(2);
    expect(p.err()).toMatch(/--network must be one of mainnet, testnet, signet, regtest/);
    const q = run(['serve', '--bogus']);
    expect((await once(q.child, 'exit'))[0]).toBe(2);
    expect(q.err()).toMatch(/Unknown option '--bogus'/);
  });
});
