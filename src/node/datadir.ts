/**
 * The data dir (docs/security.md, "Files"): owner-only always, one process at a time, never silently re-initialised.
 *
 * - `process.umask(0o077)` before anything is created, so SQLite's database, -wal and -shm files, the token and
 *   backups are born owner-only whatever the shell's umask.
 * - A data dir other users can read is repaired (chmod 700, files 600) with a notice; one they can write, or one
 *   that belongs to someone else, is refused: its contents cannot be trusted.
 * - The lock is an exclusive SQLite lock on `satdesk.lock`, held for the process lifetime: the operating system
 *   drops it when the process dies (kill -9 included) and no two processes can both hold it. The file is never
 *   deleted (a deleted lock file would let a second process lock a new one).
 * - A token without a database (zero-length, missing, or an empty schema) means the database was lost: refused
 *   with instructions, never a fresh empty data dir in its place.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import { nativeBindingPath, type DB } from './store/sqlite.ts';

export const DB_FILE = 'satdesk.sqlite';
export const TOKEN_FILE = 'api-token';
export const LOCK_FILE = 'satdesk.lock';
export const BACKUP_DIR = 'backups';
const PARTIAL = /\.partial(-journal|-wal|-shm)?$/;

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

const posix = process.platform !== 'win32';

/** Owner-only for everything this process creates from now on (no-op on Windows, where ACLs decide). */
export function ownerOnlyUmask(): void {
  if (posix) process.umask(0o077);
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

const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(4, '0');

/**
 * Makes the data dir owner-only, or refuses it. Returns the notices to show (what was repaired). Also removes
 * backups a crash left half-written.
 */
export function secureDataDir(dir: string): string[] {
  const notices: string[] = [];
  const st = fs.statSync(dir);
  if (!posix) {
    removePartialBackups(dir);
    return notices;
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new Error(`The data dir ${dir} belongs to another user (uid ${st.uid}, this is uid ${uid}). Use your own --data-dir.`);
  }
  if (st.mode & 0o022) {
    throw new Error(
      `The data dir ${dir} can be written by other users (mode ${octal(st.mode)}), so its files cannot be trusted. ` +
        `Check its contents, then run: chmod 700 ${dir}`,
    );
  }
  if (st.mode & 0o077) {
    fs.chmodSync(dir, 0o700);
    notices.push(`data dir ${dir} was readable by other users (mode ${octal(st.mode)}): now 0700`);
  }
  let fixed = 0;
  const tighten = (d: string): void => {
    for (const name of fs.readdirSync(d)) {
      const p = path.join(d, name);
      const s = fs.lstatSync(p);
      if (s.isSymbolicLink()) continue; // not ours to chmod through
      if (s.isDirectory()) {
        if (s.mode & 0o022) throw new Error(`${p} can be written by other users (mode ${octal(s.mode)}). Check it, then run: chmod 700 ${p}`);
        if (s.mode & 0o077) {
          fs.chmodSync(p, 0o700);
          fixed++;
        }
        if (name === BACKUP_DIR) tighten(p);
      } else if (s.isFile() && s.mode & 0o077) {
        fs.chmodSync(p, 0o600);
        fixed++;
      }
    }
  };
  tighten(dir);
  if (fixed) notices.push(`${fixed} file(s) in ${dir} were readable by other users: now owner-only`);
  removePartialBackups(dir);
  return notices;
}

function removePartialBackups(dir: string): void {
  const b = path.join(dir, BACKUP_DIR);
  if (!fs.existsSync(b)) return;
  for (const name of fs.readdirSync(b)) if (PARTIAL.test(name)) fs.rmSync(path.join(b, name), { force: true });
}

export interface DataDirLock {
  release(): void;
}

const heldHere = new Set<string>();

/**
 * One process per data dir (the app and a `serve` must not share a database): an exclusive SQLite lock on
 * `satdesk.lock`, kept until release or process exit.
 */
export function lockDataDir(dir: string): DataDirLock {
  const file = path.join(dir, LOCK_FILE);
  const key = path.resolve(dir);
  if (heldHere.has(key)) throw new Error(`Another Satdesk in this process is using the data dir ${dir}.`);
  // An older Satdesk wrote its pid here as text; turn it into an empty database in place (never unlink: see above).
  try {
    const head = Buffer.alloc(16);
    const fd = fs.openSync(file, 'r');
    const n = fs.readSync(fd, head, 0, 16, 0);
    fs.closeSync(fd);
    if (n > 0 && head.subarray(0, n).toString('latin1') !== 'SQLite format 3\0'.slice(0, n)) fs.truncateSync(file, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const binding = nativeBindingPath();
  let db: DB | null = null;
  try {
    db = new Database(file, { timeout: 0, ...(binding ? { nativeBinding: binding } : {}) });
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = OFF');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, started_at INTEGER NOT NULL); DELETE FROM holder;');
    db.prepare('INSERT INTO holder (pid, started_at) VALUES (?, ?)').run(process.pid, Date.now());
  } catch (e) {
    db?.close();
    if ((e as { code?: string }).code === 'SQLITE_BUSY') {
      throw new Error(`Another Satdesk (the desktop app or a serve) is using the data dir ${dir}. Stop it first, or pass another --data-dir.`);
    }
    throw e;
  }
  heldHere.add(key);
  const held = db;
  return {
    release: () => {
      if (!heldHere.delete(key)) return;
      held.close();
    },
  };
}

/**
 * Refuses a data dir whose token says it was used but whose database is gone: a missing or zero-length
 * `satdesk.sqlite`, or one with no schema. Starting would silently make a new empty wallet (agents gone, the xpub
 * index back at 0, addresses handed out again).
 */
export function assertDatabaseNotLost(dir: string): void {
  if (!fs.existsSync(path.join(dir, TOKEN_FILE))) return;
  const file = path.join(dir, DB_FILE);
  let version = 0;
  let why = 'is missing';
  if (fs.existsSync(file)) {
    const binding = nativeBindingPath();
    try {
      const db = new Database(file, { fileMustExist: true, ...(binding ? { nativeBinding: binding } : {}) });
      try {
        version = db.pragma('user_version', { simple: true }) as number;
      } finally {
        db.close();
      }
      why = fs.statSync(file).size === 0 && version === 0 ? 'is empty (0 bytes)' : 'holds no Satdesk data';
    } catch (e) {
      why = `cannot be opened (${(e as Error).message})`;
    }
  }
  if (version > 0) return;
  throw new Error(
    `The data dir ${dir} has an API token but its database ${DB_FILE} ${why}: it was lost or damaged. ` +
      `Satdesk will not start an empty wallet in its place (addresses would be handed out again). ` +
      `Restore it: copy the newest ${BACKUP_DIR}/satdesk-*.sqlite to ${file} (and remove any ${DB_FILE}-wal and -shm). ` +
      `To start afresh on purpose, move ${dir} away.`,
  );
}

/** The API token: generated on first start, stored owner-only in the data dir. */
export function loadOrCreateToken(dir: string): string {
  const file = path.join(dir, TOKEN_FILE);
  try {
    const t = fs.readFileSync(file, 'utf8').trim();
    if (t.length >= 16) return t;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = crypto.randomBytes(24).toString('base64url');
  writeFileDurably(file, token + '\n');
  return token;
}

function fsyncDir(dir: string): void {
  if (!posix) return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes to a temporary owner-only name, fsyncs, renames over the target: never a half-written file. */
function writeFileDurably(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

/**
 * A backup of the live database: written under a `.partial` name created 0600, fsynced, then renamed, so a crash
 * leaves either a complete backup or a partial that the next start removes — never a file with a backup's name
 * that opens as an empty database.
 */
export async function writeBackup(db: DB, dataDir: string, now: number): Promise<string> {
  const dir = path.join(dataDir, BACKUP_DIR);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = `satdesk-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
  const file = path.join(dir, `${name}.sqlite`);
  const tmp = path.join(dir, `${name}-${crypto.randomBytes(4).toString('hex')}.sqlite.partial`);
  fs.closeSync(fs.openSync(tmp, 'wx', 0o600));
  try {
    await db.backup(tmp);
    const fd = fs.openSync(tmp, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    fsyncDir(dir);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  return file;
}
