import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { MIGRATIONS } from './migrations/index.ts';
import { registerPackedText } from './event-data.ts';
import { registerAddressFunctions } from './chain-sql.ts';

export type DB = Database.Database;

/**
 * better-sqlite3 is a native module, and Node and Electron have different ABIs. Node (tests, `satdesk serve`)
 * uses the build that `npm install` compiles into node_modules; the Electron app uses a separate build made by
 * `npm run native:electron` into `native/electron/` (packaged apps: `app.asar.unpacked/native/electron/`), so the
 * two never overwrite each other. SATDESK_SQLITE_BINDING overrides both.
 */
export function nativeBindingPath(): string | undefined {
  const override = process.env.SATDESK_SQLITE_BINDING;
  if (override) return override;
  if (!process.versions.electron) return undefined; // the default build, compiled for this Node by npm install
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  const candidates = [
    resources && path.join(resources, 'app.asar.unpacked', 'native', 'electron', 'better_sqlite3.node'),
    path.join(process.cwd(), 'native', 'electron', 'better_sqlite3.node'),
  ].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error(
      `No Electron build of better-sqlite3 found (looked in ${candidates.join(', ')}). Run \`npm run native:electron\` on a machine with internet.`,
    );
  }
  return found;
}

export interface OpenOptions {
  readonly?: boolean;
  /** SQLite `max_page_count`, for tests that simulate a full disk. */
  maxPageCount?: number;
  /** Told when the file needs an upgrade, before and after it: rebuilding a large store's tables takes seconds. */
  log?: (line: string) => void;
}

export function openDatabase(file: string, opts: OpenOptions = {}): DB {
  const nativeBinding = nativeBindingPath();
  const db = new Database(file, { readonly: opts.readonly ?? false, ...(nativeBinding ? { nativeBinding } : {}) });
  db.pragma('journal_mode = WAL');
  // FULL: a committed payment or notification survives a power cut, not only a process crash (docs/decisions/0009-sqlite-better-sqlite3.md).
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('temp_store = MEMORY');
  if (opts.maxPageCount) db.pragma(`max_page_count = ${Math.floor(opts.maxPageCount)}`);
  registerStoreFunctions(db);
  if (!opts.readonly) migrate(db, undefined, opts.log);
  return db;
}

/**
 * The functions the store's statements call (packed text; the address functions of migration 020,
 * src/node/store/chain-sql.ts): every connection to the store needs them, so opening and migrating register them.
 */
export function registerStoreFunctions(db: DB): void {
  registerPackedText(db);
  registerAddressFunctions(db);
}

/** Applies the migrations after the file's `user_version`, up to `target` (default: the latest; tests build old files). */
export function migrate(db: DB, target = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0, log?: (line: string) => void): number {
  registerStoreFunctions(db);
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new Error(`This data dir was written by a newer Satdesk (schema ${current}, this one knows ${latest}).`);
  }
  const pending = MIGRATIONS.filter((m) => m.version > current && m.version <= target);
  // A new file is made, not upgraded: only an existing store's upgrade is told (each step commits on its own).
  const tell = current > 0 && pending.length > 0 ? log : undefined;
  const t0 = Date.now();
  tell?.(`store: upgrading the database from schema ${current} to ${pending.at(-1)!.version} (${pending.map((m) => m.name).join(', ')}); a large store takes a while, and stopping it loses nothing`);
  for (const m of pending) {
    // A table rebuild runs with foreign keys off (they cannot be switched inside a transaction), as SQLite's own
    // procedure for schema changes says, and every foreign key is checked before the migration commits.
    const fkOff = m.foreignKeys === 'off' && (db.pragma('foreign_keys', { simple: true }) as number) === 1;
    if (fkOff) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        if (typeof m.up === 'string') db.exec(m.up);
        else m.up(db);
        if (m.foreignKeys === 'off') {
          const broken = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
          if (broken.length) {
            const first = broken[0]!;
            throw new Error(`migration ${m.version} (${m.name}) left ${broken.length} broken reference(s), e.g. ${first.table} row ${first.rowid} → ${first.parent}`);
          }
        }
        db.pragma(`user_version = ${m.version}`);
      })();
    } finally {
      if (fkOff) db.pragma('foreign_keys = ON');
    }
  }
  tell?.(`store: upgraded to schema ${pending.at(-1)!.version} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return db.pragma('user_version', { simple: true }) as number;
}

/** The version of better-sqlite3 in use, for sysinfo and bug reports. */
export function sqliteVersion(db: DB): string {
  return (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
}

/**
 * `LIMIT n`, the number written into the statement's text. A bound LIMIT (`LIMIT ?`) is read by SQLite's planner
 * (3.53 here), so every run that binds it again expires the statement and prepares it anew: 50 µs of the sender's
 * 60 µs due query (docs/decisions/0106-literal-limits.md). A negative `n` means no limit, as in SQLite.
 */
export function limit(n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`a LIMIT must be an integer, not ${n}`);
  return `LIMIT ${n}`;
}

/** A prepared-statement cache keyed by SQL text: preparing costs more than running the small hot queries. */
export function statementCache(db: DB): (sql: string) => Database.Statement<unknown[]> {
  const cache = new Map<string, Database.Statement<unknown[]>>();
  return (sql) => {
    let st = cache.get(sql);
    if (!st) {
      st = db.prepare<unknown[]>(sql);
      cache.set(sql, st);
    }
    return st;
  };
}

const shared = new WeakMap<DB, (sql: string) => Database.Statement<unknown[]>>();

/**
 * The statement for `sql` on this connection, prepared once: for the small queries every request or write runs
 * (preparing costs more than running them). Only for get/all/run: a statement that is iterated, or whose mode is
 * changed (pluck, raw), is prepared by its user, since a shared one would be busy or change under another caller.
 */
export function prepared(db: DB, sql: string): Database.Statement<unknown[]> {
  let cache = shared.get(db);
  if (!cache) shared.set(db, (cache = statementCache(db)));
  return cache(sql);
}
