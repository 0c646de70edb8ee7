import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';

/** The OS's per-user app data folder (where Electron's userData lives too), plus `satdesk/`. */
export function defaultDataDir(): string {
  if (process.env.SATDESK_DATA_DIR) return process.env.SATDESK_DATA_DIR;
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'satdesk');
    case 'win32':
      return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'satdesk');
    default:
      return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'satdesk');
  }
}

export function ensureDataDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new Error(`Satdesk cannot write to its data dir ${dir} (${code === 'EROFS' ? 'read-only file system' : 'permission denied'}). Choose another with --data-dir, or fix its permissions.`);
    }
    throw e;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DataDirLock {
  release(): void;
}

/**
 * One process per data dir (SPEC 4.1): the desktop app and a `serve` must not share a database. The lock file
 * holds the owner's pid; a lock left by a process that died (kill -9, power cut) is taken over.
 */
const heldHere = new Set<string>();

export function lockDataDir(dir: string): DataDirLock {
  const file = path.join(dir, 'satdesk.lock');
  const key = path.resolve(dir);
  if (heldHere.has(key)) throw new Error(`Another Satdesk in this process is using the data dir ${dir}.`);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      heldHere.add(key);
      return {
        release: () => {
          heldHere.delete(key);
          try {
            if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
          } catch {
            // already gone
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new Error(`Another Satdesk (pid ${pid}) is using the data dir ${dir}. Stop it first, or pass another --data-dir.`);
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock the data dir ${dir}.`);
}

/** The API token: generated on first start, stored owner-only in the data dir (SPEC 4.2). */
export function loadOrCreateToken(dir: string): string {
  const file = path.join(dir, 'api-token');
  try {
    const t = fs.readFileSync(file, 'utf8').trim();
    if (t.length >= 16) return t;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = crypto.randomBytes(24).toString('base64url');
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}
