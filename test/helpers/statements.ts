/**
 * Watches what a database runs: every statement executed on `db` while recording (whenever it was prepared), with
 * its parameters and how many rows it returned, and the query plan of each — so a test can say "this path runs no
 * full scan and reads N rows" instead of timing it.
 */
import Database from 'better-sqlite3';
import type { DB } from '../../src/node/store/sqlite.ts';

export interface Executed {
  sql: string;
  args: unknown[];
  rows: number;
}

type StatementProto = Record<'run' | 'get' | 'all' | 'iterate', (this: Database.Statement, ...args: unknown[]) => unknown>;

export function recordStatements(db: DB): { stop(): Executed[] } {
  const proto = Object.getPrototypeOf(db.prepare('SELECT 1')) as StatementProto;
  const originals = { run: proto.run, get: proto.get, all: proto.all, iterate: proto.iterate };
  const seen: Executed[] = [];
  const log = (st: Database.Statement, args: unknown[], rows: number): void => {
    if (st.database === db && !/^\s*EXPLAIN/i.test(st.source)) seen.push({ sql: st.source, args, rows });
  };
  proto.run = function (...args) {
    log(this, args, 0);
    return originals.run.apply(this, args);
  };
  proto.get = function (...args) {
    const r = originals.get.apply(this, args);
    log(this, args, r === undefined ? 0 : 1);
    return r;
  };
  proto.all = function (...args) {
    const r = originals.all.apply(this, args) as unknown[];
    log(this, args, r.length);
    return r;
  };
  proto.iterate = function* (...args) {
    let n = 0;
    for (const row of originals.iterate.apply(this, args) as Iterable<unknown>) {
      n++;
      yield row;
    }
    log(this, args, n);
  };
  return {
    stop() {
      Object.assign(proto, originals);
      return seen;
    },
  };
}

/** The query plan lines of one executed statement (EXPLAIN QUERY PLAN with the same parameters). */
export function planOf(db: DB, e: Pick<Executed, 'sql' | 'args'>): string[] {
  if (!/^\s*(SELECT|WITH|UPDATE|DELETE|INSERT)/i.test(e.sql)) return [];
  return (db.prepare(`EXPLAIN QUERY PLAN ${e.sql}`).all(...e.args) as { detail: string }[]).map((r) => r.detail);
}

/** Tables that grow with the shop's history: a hot path must never scan them. */
export const HISTORY_TABLES = ['invoices', 'payments', 'addresses', 'events', 'notifications', 'deliveries', 'attempts', 'sent_bodies', 'refunds', 'sales'];

/** `SELECT MAX(col) FROM t`: SQLite reads one end of an index (its min/max optimisation), shown as an unconstrained SEARCH. */
const MIN_MAX = /^\s*SELECT\s+(\(SELECT\s+)?(COALESCE\()?(MIN|MAX)\(\w+\)/i;

const KEYWORDS = new Set(['where', 'on', 'join', 'left', 'inner', 'cross', 'order', 'group', 'limit', 'using', 'set', 'values', 'as']);

/** Table names by the alias a statement gives them (`FROM payments p JOIN invoices i` → p: payments, i: invoices). */
function aliases(sql: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of sql.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?/gi)) {
    out.set(m[1]!, m[1]!);
    if (m[2] && !KEYWORDS.has(m[2].toLowerCase())) out.set(m[2], m[1]!);
  }
  return out;
}

/**
 * The plan lines of `executed` that walk a whole history table: a SCAN, or a SEARCH through an index with no
 * constraint on its columns (a walk of the whole index: a partial index over every active payment is history too),
 * unless the index is one of `allowIndexes` (partial indexes that hold only what is live). A rowid range alone counts
 * as a walk when the statement filters further, unless it matches one of `watermarks`.
 */
export function fullScans(db: DB, executed: Executed[], allowIndexes: string[] = [], watermarks: RegExp[] = []): string[] {
  const out: string[] = [];
  for (const e of executed) {
    const names = aliases(e.sql);
    for (const line of planOf(db, e)) {
      const m = /^(SCAN|SEARCH) (\w+)(.*)$/.exec(line);
      if (!m || !HISTORY_TABLES.includes(names.get(m[2]!) ?? m[2]!)) continue;
      // A rowid range alone (a cursor, a watermark) bounds the walk only when nothing else filters the rows it walks.
      // `watermarks`: statements whose rowid range starts at a high-water mark (what was added since the last look).
      const rangeOnly = /\((rowid|id|seq)[<>]=?\?\)/.test(m[3]!) && /\bWHERE\b[^]*\bAND\b/i.test(e.sql) && !watermarks.some((w) => w.test(e.sql));
      if (m[1] === 'SEARCH' && /\(.+\)/.test(m[3]!) && !rangeOnly) continue; // bounded by a key or an index constraint
      if (m[1] === 'SEARCH' && MIN_MAX.test(e.sql) && !/\bJOIN\b/i.test(e.sql)) continue; // one end of an index
      // An INSERT into a parent table whose triggers make it a multi-row write shows the foreign-key check of the
      // child tables as a scan; SQLite skips it at run time unless a constraint is already violated (OP_FkIfZero).
      if (/^\s*INSERT/i.test(e.sql) && !names.has(m[2]!)) continue;
      if (allowIndexes.some((ix) => line.includes(`INDEX ${ix}`))) continue;
      out.push(`${line}  ←  ${e.sql.replace(/\s+/g, ' ').slice(0, 160)}`);
    }
  }
  return [...new Set(out)];
}
