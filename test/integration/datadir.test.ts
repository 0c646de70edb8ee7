/**
 * The data dir against another local user and against crashes (docs/security.md, "Files"). Tests run as root, so
 * "another user" is `nobody` through runuser, reading the files the way the audit did (cat / strings).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import { payments, networks } from 'bitcoinjs-lib';
import { bip32 } from '../../src/core/ecc.ts';
import { startTestApp, tempDir } from '../helpers/api.ts';
import { spawnServe } from '../helpers/serve.ts';
import { until } from '../helpers/callbacks.ts';
import type { App } from '../../src/node/app.ts';

const root = bip32.fromSeed(new Uint8Array(32).fill(31), networks.regtest);
const addr = (i: number): string => payments.p2wpkh({ pubkey: root.derivePath(`m/0/${i}`).publicKey, network: networks.regtest }).address!;
const BIN = path.resolve('bin/satdesk.js');
const TOKEN = 'datadir-test-token-0123456789';

const apps: App[] = [];
const kids: import('node:child_process').ChildProcess[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
  for (const k of kids.splice(0)) if (k.exitCode === null && k.signalCode === null) k.kill('SIGKILL');
});

/** A data dir whose parent other users may enter, as ~/.config is: only the data dir's own modes protect it. */
function openParentDir(): string {
  const parent = tempDir('satdesk-home-');
  fs.chmodSync(parent, 0o755);
  return path.join(parent, 'satdesk');
}

const asNobody = (cmd: string, ...args: string[]) => spawnSync('runuser', ['-u', 'nobody', '--', cmd, ...args], { encoding: 'utf8' });
const nobodyCanRead = (file: string): boolean => asNobody('cat', file).status === 0;

/**
 * Why the other-user checks cannot run here, or null. Without a working runuser every "nobody cannot read" would hold
 * vacuously (the command itself fails), so those tests are skipped with the reason instead.
 */
function otherUserUnavailable(): string | null {
  const probe = spawnSync('runuser', ['-u', 'nobody', '--', 'true'], { encoding: 'utf8' });
  if (probe.error) return `runuser is not available (${probe.error.message})`;
  if (probe.status !== 0) return `runuser -u nobody fails (${probe.stderr.trim() || `exit ${probe.status}`}); these tests need root`;
  return null;
}
const noOtherUser = otherUserUnavailable();
if (noOtherUser) console.warn(`datadir: SKIPPED the tests run as another user: ${noOtherUser}`);

function secretFiles(dir: string): string[] {
  const out: string[] = [];
  for (const f of fs.readdirSync(dir)) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isDirectory()) for (const g of fs.readdirSync(p)) out.push(path.join(p, g));
    else out.push(p);
  }
  return out;
}

async function populate(app: App): Promise<void> {
  const api = { post: (p: string, b: unknown) => fetch(`${app.api!.url}/api/v1${p}`, { method: 'POST', headers: { Authorization: `Bearer ${app.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(b) }) };
  await api.post('/addresses', { addresses: [addr(0), addr(1)] });
  await api.post('/agents', { name: 'shop', url: 'http://127.0.0.1:9/cb', token: 'agent-secret-token-xyz' });
  await fetch(`${app.api!.url}/api/v1/settings`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${app.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ xmpp: { jid: 'shop@localhost', password: 'xmpp-secret-pw' } }),
  });
  await api.post('/backup', {});
}

describe('owner-only files, always', () => {
  it.skipIf(noOtherUser)('a fresh data dir under umask 022: nobody else can read the database, its -wal/-shm, the token or a backup', async () => {
    const dir = openParentDir();
    const old = process.umask(0o022);
    try {
      const { app } = await startTestApp({ dataDir: dir });
      apps.push(app);
      await populate(app);
      const files = secretFiles(dir);
      // The control: beside the data dir, a file made world-readable is read by nobody, so the refusals below are real.
      const control = path.join(path.dirname(dir), 'not-secret.txt');
      fs.writeFileSync(control, 'public');
      fs.chmodSync(control, 0o644);
      expect(nobodyCanRead(control)).toBe(true);
      expect(files.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['satdesk.sqlite', 'satdesk.sqlite-wal', 'satdesk.sqlite-shm', 'api-token']));
      expect(files.some((f) => f.includes(`${path.sep}backups${path.sep}`))).toBe(true);
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
      for (const f of files) {
        expect(fs.statSync(f).mode & 0o077, f).toBe(0);
        expect(nobodyCanRead(f), f).toBe(false);
      }
      expect(asNobody('ls', dir).status).not.toBe(0);
    } finally {
      process.umask(old);
    }
  });

  it.skipIf(noOtherUser)('an existing 0755 data dir with 0644 files (an older Satdesk) is repaired at start, with a notice', async () => {
    const dir = openParentDir();
    const first = await startTestApp({ dataDir: dir });
    await populate(first.app);
    await first.app.close();
    // What the audit found: world-readable secrets.
    fs.chmodSync(dir, 0o755);
    for (const f of secretFiles(dir)) fs.chmodSync(f, fs.statSync(f).isDirectory() ? 0o755 : 0o644);
    fs.chmodSync(path.join(dir, 'backups'), 0o755);
    const leaked = asNobody('strings', path.join(dir, 'satdesk.sqlite'));
    expect(leaked.status).toBe(0);
    expect(leaked.stdout).toContain('agent-secret-token-xyz'); // the attack works before the repair
    const logs: string[] = [];
    const { app } = await startTestApp({ dataDir: dir, log: (l) => logs.push(l) });
    apps.push(app);
    expect(logs.join('\n')).toMatch(/readable by other users \(mode 0755\): now 0700/);
    expect(logs.join('\n')).toMatch(/file\(s\) in .* were readable by other users: now owner-only/);
    for (const f of secretFiles(dir)) {
      expect(nobodyCanRead(f), f).toBe(false);
      expect(asNobody('strings', f).stdout ?? '').not.toContain('agent-secret-token-xyz');
    }
  });

  it.skipIf(noOtherUser)('a data dir other users can write, or that belongs to another user, is refused and left untouched', async () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o777);
    await expect(startTestApp({ dataDir: dir })).rejects.toThrow(`The data dir ${dir} can be written by other users (mode 0777)`);
    expect(fs.readdirSync(dir)).toEqual([]);
    const theirs = tempDir();
    fs.chownSync(theirs, 65534, 65534);
    await expect(startTestApp({ dataDir: theirs })).rejects.toThrow(/belongs to another user \(uid 65534/);
    expect(fs.readdirSync(theirs)).toEqual([]);
  });
});

describe('backups survive kill -9', () => {
  it('a half-written backup never carries a backup name; partials are removed at the next start', async () => {
    const dir = tempDir();
    const boot = await startTestApp({ dataDir: dir, apiToken: TOKEN });
    // Enough data that a backup takes a while.
    const ins = boot.app.db.prepare("INSERT INTO events (type, data, created_at) VALUES ('chain.tip', ?, 0)");
    boot.app.db.transaction(() => {
      for (let i = 0; i < 40_000; i++) ins.run('x'.repeat(500));
    })();
    await boot.app.close();
    const listBackups = (): string[] => (fs.existsSync(path.join(dir, 'backups')) ? fs.readdirSync(path.join(dir, 'backups')) : []);
    for (let trial = 0; trial < 4; trial++) {
      const serve = await spawnServe(dir, { token: TOKEN });
      kids.push(serve.proc);
      const before = new Set(listBackups());
      void serve.api.post('/backup').catch(() => {});
      await until(() => listBackups().some((n) => !before.has(n)), 'a backup file appears', 20_000);
      serve.proc.kill('SIGKILL');
      await serve.exited();
    }
    const names = fs.readdirSync(path.join(dir, 'backups'));
    expect(names.some((n) => n.includes('.partial'))).toBe(true); // at least one kill landed mid-backup
    const { app } = await startTestApp({ dataDir: dir, apiToken: TOKEN });
    apps.push(app);
    const left = fs.readdirSync(path.join(dir, 'backups'));
    expect(left.filter((n) => n.includes('.partial'))).toEqual([]);
    for (const n of left) {
      expect(n).toMatch(/^satdesk-[\dTZ-]+\.sqlite$/);
      const b = new Database(path.join(dir, 'backups', n), { readonly: true });
      expect(b.pragma('integrity_check', { simple: true })).toBe('ok');
      expect((b.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBeGreaterThanOrEqual(40_000);
      b.close();
      expect(fs.statSync(path.join(dir, 'backups', n)).mode & 0o077).toBe(0);
    }
  }, 120_000);
});

describe('one process per data dir (an OS lock)', () => {
  it('four serves started at once on one data dir: exactly one runs, in each of four trials', async () => {
    for (let trial = 0; trial < 4; trial++) {
      const dir = tempDir();
      const procs = Array.from({ length: 4 }, () =>
        spawn(process.execPath, [BIN, 'serve', '--network', 'regtest', '--data-dir', dir, '--port', '0', '--api-token', TOKEN], { stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      kids.push(...procs);
      const outs = procs.map((p) => {
        let o = '';
        p.stdout!.on('data', (d: Buffer) => (o += d));
        p.stderr!.on('data', (d: Buffer) => (o += d));
        return () => o;
      });
      // Every loser exits 1 with the message; the winner keeps serving.
      await until(() => procs.filter((p) => p.exitCode !== null).length === 3 && outs.some((o) => o().includes('API: http')), `trial ${trial}: three refused, one serving`, 30_000);
      const winners = procs.filter((p) => p.exitCode === null);
      expect(winners).toHaveLength(1);
      for (const [i, p] of procs.entries()) {
        if (p.exitCode !== null) {
          expect(p.exitCode).toBe(1);
          expect(outs[i]!()).toMatch(/Another Satdesk \(the desktop app or a serve\) is using the data dir/);
        }
      }
      winners[0]!.kill('SIGKILL');
      await once(winners[0]!, 'exit');
    }
  }, 120_000);

  it('a lock left by kill -9, or an old pid file naming a live process, does not block the next start', async () => {
    const dir = tempDir();
    const s = await spawnServe(dir, { token: TOKEN });
    kids.push(s.proc);
    s.proc.kill('SIGKILL');
    await s.exited();
    const { app } = await startTestApp({ dataDir: dir, apiToken: TOKEN });
    await app.close();
    // The racy PID file of before, holding a reused live pid (1 is always alive).
    fs.writeFileSync(path.join(dir, 'satdesk.lock'), '1\n');
    const again = await startTestApp({ dataDir: dir, apiToken: TOKEN });
    apps.push(again.app);
    expect(again.app.service.network).toBe('regtest');
  });
});

describe('a lost database is never silently re-initialised', () => {
  async function usedDataDir(): Promise<string> {
    const dir = tempDir();
    const { app } = await startTestApp({ dataDir: dir });
    await populate(app);
    await app.close();
    return dir;
  }

  it('a zero-length satdesk.sqlite beside the token is refused with instructions, and stays zero-length', async () => {
    const dir = await usedDataDir();
    for (const f of ['satdesk.sqlite', 'satdesk.sqlite-wal', 'satdesk.sqlite-shm']) fs.rmSync(path.join(dir, f), { force: true });
    fs.writeFileSync(path.join(dir, 'satdesk.sqlite'), '');
    const r = spawnSync(process.execPath, [BIN, 'serve', '--network', 'regtest', '--data-dir', dir, '--port', '0'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`has an API token but its database satdesk.sqlite is empty (0 bytes)`);
    expect(r.stderr).toContain('copy the newest backups/satdesk-*.sqlite');
    expect(fs.statSync(path.join(dir, 'satdesk.sqlite')).size).toBe(0);
    expect(fs.existsSync(path.join(dir, 'satdesk.sqlite-wal'))).toBe(false);
  });

  it('a missing one too; restoring the backup as told brings the agents and the pool back', async () => {
    const dir = await usedDataDir();
    for (const f of ['satdesk.sqlite', 'satdesk.sqlite-wal', 'satdesk.sqlite-shm']) fs.rmSync(path.join(dir, f), { force: true });
    await expect(startTestApp({ dataDir: dir })).rejects.toThrow(/its database satdesk\.sqlite is missing/);
    expect(fs.existsSync(path.join(dir, 'satdesk.sqlite'))).toBe(false);
    const [backup] = fs.readdirSync(path.join(dir, 'backups'));
    fs.copyFileSync(path.join(dir, 'backups', backup!), path.join(dir, 'satdesk.sqlite'));
    const { app } = await startTestApp({ dataDir: dir });
    apps.push(app);
    expect((app.db.prepare('SELECT COUNT(*) AS n FROM agents').get() as { n: number }).n).toBe(1);
    expect((app.db.prepare('SELECT COUNT(*) AS n FROM addresses').get() as { n: number }).n).toBe(2);
  });

  it('a database whose first commit sits only in the -wal after a kill -9 starts normally', async () => {
    const dir = tempDir();
    const s = await spawnServe(dir, { token: TOKEN });
    kids.push(s.proc);
    await s.api.post('/addresses', { addresses: [addr(5)] });
    s.proc.kill('SIGKILL');
    await s.exited();
    fs.writeFileSync(path.join(dir, 'api-token'), 'x'.repeat(32) + '\n');
    const { app } = await startTestApp({ dataDir: dir });
    apps.push(app);
    expect((app.db.prepare('SELECT COUNT(*) AS n FROM addresses').get() as { n: number }).n).toBe(1);
  });
});
