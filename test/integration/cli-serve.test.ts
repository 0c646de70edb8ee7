import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { tempDir } from '../helpers/api.ts';
import { until } from '../helpers/wait.ts';
import { lockDataDir } from '../../src/node/datadir.ts';
import { request } from '../helpers/raw-http.ts';
import { INVOICES_CSV_COLUMNS } from '../../src/node/books/export.ts';

const BIN = path.resolve('bin/satdesk.js');

function run(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return { child, out: () => out, err: () => err };
}

const waitFor = (get: () => string, re: RegExp, ms = 20_000): Promise<RegExpExecArray> => until(() => re.exec(get()), `${re} in the output`, ms);

describe('satdesk serve (the real bin)', () => {
  it('serves the API, prints a one-time console link (never the token), and shuts down cleanly on SIGTERM', async () => {
    const dataDir = tempDir();
    const p = run(['serve', '--network', 'regtest', '--data-dir', dataDir, '--port', '0']);
    const m = await waitFor(p.out, /Console: (http:\/\/127\.0\.0\.1:(\d+))\/\?login=([a-z0-9]+)/);
    const [, base, , loginCode] = m;
    const token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
    expect(p.out()).not.toContain(token);
    // The code is traded for the token once; the same link a second time (a browser history replay) gets nothing.
    const login = (c: string) => fetch(`${base}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: c }) });
    const first = await login(loginCode!);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ token });
    const again = await login(loginCode!);
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    expect(p.out()).toMatch(/Chain: not connected/);
    expect(((await (await fetch(`${base}/api/v1/health`)).json()) as { ok: boolean }).ok).toBe(true);
    const info = await fetch(`${base}/api/v1/sysinfo`, { headers: { Authorization: `Bearer ${token}` } });
    expect(((await info.json()) as { network: string }).network).toBe('regtest');
    // An export runs on the bundle's own worker thread (out/cli/books-export-worker.js, beside the command).
    const csv = await fetch(`${base}/api/v1/export/invoices.csv`, { headers: { Authorization: `Bearer ${token}` } });
    expect(csv.status).toBe(200);
    expect(await csv.text()).toBe(`${INVOICES_CSV_COLUMNS.join(',')}\r\n`);
    expect(p.err()).not.toMatch(/export thread failed/);
    expect(fs.existsSync(path.join(dataDir, 'satdesk.lock'))).toBe(true);
    // A second serve on the same data dir is refused while the first runs.
    const second = run(['serve', '--network', 'regtest', '--data-dir', dataDir, '--port', '0']);
    const [code2] = await once(second.child, 'exit');
    expect(code2).toBe(1);
    expect(second.err()).toMatch(/Another Satdesk .*is using the data dir/);
    p.child.kill('SIGTERM');
    const [code] = await once(p.child, 'exit');
    expect(code).toBe(0);
    // The lock file stays (it is never deleted) but the lock went with the process.
    lockDataDir(dataDir).release();
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

  it('refuses a non-loopback --host without --allow-remote, warns with it, and binds ::1 for --ip-family ipv6 --host localhost', async () => {
    const refused = run(['serve', '--network', 'regtest', '--data-dir', tempDir(), '--port', '0', '--host', '0.0.0.0']);
    expect((await once(refused.child, 'exit'))[0]).toBe(2);
    expect(refused.err()).toContain('--host 0.0.0.0 would expose the API beyond this machine');
    const open = run(['serve', '--network', 'regtest', '--data-dir', tempDir(), '--port', '0', '--host', '0.0.0.0', '--allow-remote']);
    const [, port] = await waitFor(open.out, /API: http:\/\/0\.0\.0\.0:(\d+)\/api\/v1/);
    expect(open.err()).toMatch(/WARNING: listening on 0\.0\.0\.0/);
    // Reachable by loopback name, still guarded by Host: a rebinding name is refused.
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/health`)).status).toBe(200);
    const evil = await request(`http://127.0.0.1:${port}`, 'GET', '/api/v1/health', { Host: `evil.example:${port}` });
    expect(evil.status).toBe(421);
    open.child.kill('SIGTERM');
    await once(open.child, 'exit');
    const v6 = run(['serve', '--network', 'regtest', '--data-dir', tempDir(), '--port', '0', '--ip-family', 'ipv6', '--host', 'localhost']);
    const [, port6] = await waitFor(v6.out, /API: http:\/\/\[::1\]:(\d+)\/api\/v1/);
    expect((await fetch(`http://[::1]:${port6}/api/v1/health`)).status).toBe(200);
    v6.child.kill('SIGTERM');
    await once(v6.child, 'exit');
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
