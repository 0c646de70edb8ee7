/**
 * Disk faults (docs/spec/api.md#errors): a full disk (SQLite's max_page_count) and a data dir the user cannot write (serve run as
 * an unprivileged user with runuser, since tests run as root). Each gives the user a clear error and leaves
 * nothing half-written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { payments, networks } from 'bitcoinjs-lib';
import { bip32 } from '../../src/core/ecc.ts';
import { startTestApp, tempDir } from '../helpers/api.ts';
import type { App } from '../../src/node/app.ts';

const root = bip32.fromSeed(new Uint8Array(32).fill(11), networks.regtest);
const addr = (i: number): string => payments.p2wpkh({ pubkey: root.derivePath(`m/0/${i}`).publicKey, network: networks.regtest }).address!;

const apps: App[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
});

describe('a full disk', () => {
  it('answers 507 storage_full, writes nothing half-way, and recovers when space returns', async () => {
    const { app, api } = await startTestApp();
    apps.push(app);
    await api.post('/addresses', { addresses: Array.from({ length: 400 }, (_, i) => addr(i)) });
    const pages = app.db.pragma('page_count', { simple: true }) as number;
    app.db.pragma(`max_page_count = ${pages + 2}`);
    let full: { status: number; body: any } | null = null;
    let created = 0;
    for (let i = 0; i < 400 && !full; i++) {
      const r = await api.post('/invoices', { amount_sats: 1000 + i, label: 'x'.repeat(250), userdata: `order-${i}` });
      if (r.status === 201) created++;
      else full = r;
    }
    expect(full?.status).toBe(507);
    expect(full?.body.error).toEqual({
      code: 'storage_full',
      message: 'The disk holding the Satdesk data dir is full: nothing was saved. Free some space and try again.',
    });
    // Nothing half-written: every invoice holds exactly one in-use address, and no address is held without one.
    const n = (sql: string): number => (app.db.prepare(sql).get() as { n: number }).n;
    expect(n('SELECT COUNT(*) AS n FROM invoices')).toBe(created);
    expect(n("SELECT COUNT(*) AS n FROM addresses WHERE state = 'in_use'")).toBe(created);
    expect(n("SELECT COUNT(*) AS n FROM events WHERE type = 'invoice.created'")).toBe(created);
    expect(app.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((await api.get('/health')).status).toBe(200);
    app.db.pragma('max_page_count = 1073741823');
    expect((await api.post('/invoices', { amount_sats: 5000 })).status).toBe(201);
  });
});

describe('a data dir the user cannot write', () => {
  const asNobody = (args: string[]) =>
    spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, path.resolve('bin/satdesk.js'), ...args], { encoding: 'utf8', timeout: 30_000 });

  it('serve refuses to start with a clear message and creates nothing', () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o755); // owned by root: nobody may read but not write
    const r = asNobody(['serve', '--network', 'regtest', '--data-dir', dir, '--port', '0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`Satdesk cannot write to its data dir ${dir} (permission denied)`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('an existing data dir owned by another user is refused before anything is opened', async () => {
    const dir = tempDir();
    const { app } = await startTestApp({ dataDir: dir });
    await app.close();
    fs.chmodSync(dir, 0o755);
    const before = fs.readdirSync(dir).sort();
    const sizes = before.map((f) => fs.statSync(path.join(dir, f)).size);
    const r = asNobody(['serve', '--network', 'regtest', '--data-dir', dir, '--port', '0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot write to its data dir/);
    expect(fs.readdirSync(dir).sort()).toEqual(before);
    expect(before.map((f) => fs.statSync(path.join(dir, f)).size)).toEqual(sizes);
  });
});
