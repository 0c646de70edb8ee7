/**
 * `satdesk demo --port 0` as a user runs it: every port printed, the console link with its token, the sandbox
 * controls under /api/v1/demo — and a production `serve` without them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, expect, test } from 'vitest';
import { request } from '../helpers/raw-http.ts';
import { startTestApp } from '../helpers/api.ts';

const children: ChildProcess[] = [];
afterAll(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
});

function waitForLine(child: ChildProcess, re: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`demo exited ${code}: ${out}`)));
  });
}

test('satdesk demo --port 0 prints its ports and the console link, and serves the sandbox controls', async () => {
  const child = spawn(process.execPath, ['bin/satdesk.js', 'demo', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const m = await waitForLine(child, /Console: (http:\/\/127\.0\.0\.1:(\d+))\/\?login=([a-z0-9]+)/);
  expect(out).toMatch(/Sandbox Electrum: tcp:\/\/127\.0\.0\.1:\d+ and ssl:\/\/127\.0\.0\.1:\d+#[0-9a-f]{64}/);
  expect(out).toMatch(/Sandbox control API: http:\/\/127\.0\.0\.1:\d+/);
  expect(out).toMatch(/Demo receiver \(agent demo-shop\): http:\/\/127\.0\.0\.1:\d+\/callback/);
  const [, base, , code] = m;
  const login = await fetch(`${base}/api/v1/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) });
  const { token } = (await login.json()) as { token: string };
  const auth = { Authorization: `Bearer ${token}` };
  expect((await fetch(`${base}/api/v1/demo/status`)).status).toBe(401);
  // The sandbox controls sit behind the same Host guard as the API.
  expect((await request(base!, 'GET', '/api/v1/demo/status', { ...auth, Host: 'rebound.example' })).status).toBe(421);
  const status = (await (await fetch(`${base}/api/v1/demo/status`, { headers: auth })).json()) as { demo: boolean; sandbox: { height: number } };
  expect(status.demo).toBe(true);
  expect(status.sandbox.height).toBeGreaterThanOrEqual(101);
  const wallet = (await (await fetch(`${base}/api/v1/wallet`, { headers: auth })).json()) as { kind: string; first_addresses: string[] };
  expect(wallet.kind).toBe('xpub');
  expect(wallet.first_addresses[0]).toMatch(/^bcrt1q/);
  const bad = await fetch(`${base}/api/v1/demo/pay`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: '{"kind":"all"}' });
  expect(bad.status).toBe(400);
  const mined = (await (await fetch(`${base}/api/v1/demo/mine`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: '{"blocks":2}' })).json()) as {
    height: number;
  };
  expect(mined.height).toBe(status.sandbox.height + 2);
});

test('a production serve has no demo routes', async () => {
  const { app, api } = await startTestApp();
  try {
    const r = await api.get('/demo/status');
    expect(r.status).toBe(404);
  } finally {
    await app.close();
  }
});
