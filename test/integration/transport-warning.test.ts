/**
 * Plaintext transport is a visible choice (src/node/transport-warning.ts): `tcp://` on mainnet over a network path
 * is accepted with a warning in serve's output and in sysinfo (the console shows it as a banner); ssl://, loopback,
 * onion services and other networks are not warned about.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { plaintextServers, plaintextWarning } from '../../src/node/transport-warning.ts';
import { tempDir } from '../helpers/api.ts';
import { waitFor } from '../helpers/wait.ts';

describe('which servers are plaintext over a network path', () => {
  it.each([
    ['mainnet', 'tcp://electrum.example.com:50001', true],
    ['mainnet', 'tcp://192.0.2.7:50001', true],
    ['mainnet', 'tcp://[2001:db8::1]:50001', true],
    ['mainnet', 'ssl://electrum.example.com:50002', false],
    ['mainnet', `ssl://192.0.2.7:50002#${'ab'.repeat(32)}`, false],
    ['mainnet', 'tcp://127.0.0.1:50001', false],
    ['mainnet', 'tcp://localhost:50001', false],
    ['mainnet', 'tcp://[::1]:50001', false],
    ['mainnet', 'tcp://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion:50001', false],
    ['testnet', 'tcp://electrum.example.com:50001', false],
    ['regtest', 'tcp://192.0.2.7:50001', false],
    ['mainnet', 'not a url', false],
  ] as const)('%s %s → %s', (network, url, plain) => {
    expect(plaintextServers(network, [url])).toEqual(plain ? [url] : []);
  });

  it('the warning names the plaintext servers only, and says what to use instead', () => {
    const w = plaintextWarning('mainnet', ['ssl://a.example:50002', 'tcp://b.example:50001']);
    expect(w).toContain('tcp://b.example:50001');
    expect(w).not.toContain('a.example');
    expect(w).toMatch(/ssl:\/\/ with a certificate signed by a CA or a pinned fingerprint/);
    expect(plaintextWarning('mainnet', ['ssl://a.example:50002'])).toBeNull();
  });
});

describe('satdesk serve on mainnet with a tcp:// server', () => {
  it('starts, prints the warning, and sysinfo carries it', async () => {
    const dataDir = tempDir();
    // TEST-NET-1: never answers, so nothing is synced; the warning does not depend on a connection.
    const child = spawn(process.execPath, [path.resolve('bin/satdesk.js'), 'serve', '--network', 'mainnet', '--data-dir', dataDir, '--port', '0', '--electrum', 'tcp://192.0.2.1:50001'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      await waitFor(() => out, (o) => /Console: /.test(o), 'serve to start', 20_000);
      expect(out).toMatch(/WARNING: Plaintext Electrum connection on mainnet \(tcp:\/\/192\.0\.2\.1:50001\)/);
      const base = /API: (http:\/\/\S+)\/api\/v1/.exec(out)![1];
      const token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
      const info = (await (await fetch(`${base}/api/v1/sysinfo`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { chain: { transport_warning: string | null; synced: boolean } };
      expect(info.chain.transport_warning).toMatch(/tcp:\/\/192\.0\.2\.1:50001/);
      expect(info.chain.synced).toBe(false);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
