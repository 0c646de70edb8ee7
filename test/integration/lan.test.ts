/**
 * `satdesk serve --lan` (docs/counter.md#tills-on-the-shops-network): HTTPS on every interface with a self-signed
 * certificate kept in the data dir; the fingerprint is printed and carried by pairing links; plain HTTP gets no
 * answer from that port; the Host allow-list still applies; a paired cashier reaches only the selling routes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { tempDir } from '../helpers/api.ts';

const BIN = path.resolve('bin/satdesk.js');
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) {
    if (c.exitCode === null) {
      c.kill('SIGTERM');
      await once(c, 'exit');
    }
  }
});

/** An HTTPS request that trusts exactly one certificate: the one whose SHA-256 the pairing link carries. */
function pinned(port: number, fingerprint: string, p: string, opts: { method?: string; token?: string; body?: unknown; host?: string } = {}) {
  return new Promise<{ status: number; body: any; fingerprint: string }>((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: `/api/v1${p}`,
        method: opts.method ?? 'GET',
        rejectUnauthorized: false,
        headers: {
          Host: opts.host ?? `127.0.0.1:${port}`,
          ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
          ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
      },
      (res) => {
        const seen = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        if (seen !== fingerprint) {
          reject(new Error(`certificate ${seen} is not the pinned ${fingerprint}`));
          return;
        }
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null, fingerprint: seen }));
      },
    );
    req.on('error', reject);
    req.end(opts.body !== undefined ? JSON.stringify(opts.body) : undefined);
  });
}

describe('serve --lan', () => {
  it('speaks HTTPS with a printed, pinned certificate; pairing links carry its fingerprint', async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, [BIN, 'serve', '--lan', '--network', 'regtest', '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const end = Date.now() + 20_000;
    while (!/TLS certificate SHA-256: ([0-9A-F:]{95})/.test(out)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`serve --lan did not start: ${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const fingerprint = /TLS certificate SHA-256: ([0-9A-F:]{95})/.exec(out)![1]!;
    const port = Number(/API: https:\/\/[^:]+:(\d+)\/api\/v1/.exec(out)![1]);
    expect(err).toMatch(/over HTTPS for tills on this network/);
    expect(fs.statSync(path.join(dataDir, 'tls', 'lan-key.pem')).mode & 0o077).toBe(0);

    const health = await pinned(port, fingerprint, '/health');
    expect(health.status).toBe(200);
    // Plain HTTP on the TLS port gets no API answer.
    await expect(fetch(`http://127.0.0.1:${port}/api/v1/health`).then((r) => r.status)).rejects.toThrow();
    // The Host allow-list still holds on the LAN.
    expect((await pinned(port, fingerprint, '/health', { host: 'evil.example' })).status).toBe(421);

    const token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
    const made = await pinned(port, fingerprint, '/tokens', { method: 'POST', token, body: { name: 'Counter phone', role: 'cashier' } });
    expect(made.status).toBe(201);
    expect(made.body.pairing.fingerprint).toBe(fingerprint);
    expect(made.body.pairing.path).toBe(`/#/pair/${made.body.pairing.code}?fp=${fingerprint.replace(/:/g, '')}`);
    const paired = await pinned(port, fingerprint, '/pair', { method: 'POST', body: { code: made.body.pairing.code } });
    expect(paired.status).toBe(200);
    expect((await pinned(port, fingerprint, '/counter', { token: paired.body.token })).status).toBe(200);
    expect((await pinned(port, fingerprint, '/settings', { token: paired.body.token })).status).toBe(403);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    // The certificate is kept: a restart presents the same one, so paired devices keep trusting it.
    const again = spawn(process.execPath, [BIN, 'serve', '--lan', '--network', 'regtest', '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(again);
    let out2 = '';
    again.stdout.on('data', (d) => (out2 += d));
    while (!/TLS certificate SHA-256: /.test(out2)) {
      if (Date.now() > end + 20_000 || again.exitCode !== null) throw new Error(`second start failed: ${out2}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(out2).toContain(fingerprint);
  });
});
