/**
 * The evaluated tip: the block the shop's invoices were last evaluated at. Confirmations, the callback planner's
 * thresholds, the API's `tip_height` and the books all read it here, and only the recorder writes it, in the same
 * transaction as the invoices it re-evaluated (src/node/watcher/recorder.ts).
 *
 * It is not a copy of the header store's top (docs/decisions/0093-evaluated-tip.md): the header sync stores verified
 * pages one transaction at a time (docs/decisions/0035-streaming-header-sync.md), so during a sync, and after a
 * start until the recorder has caught up, the headers reach further than what any invoice has been evaluated at.
 * Reading the top of `headers` instead would let the planner count confirmations of blocks no invoice has seen.
 */
import { prepared, type DB } from './sqlite.ts';

export interface TipRef {
  height: number;
  hash: string;
}

const GET = "SELECT value FROM chain_state WHERE key = ?";
const SET = 'INSERT OR REPLACE INTO chain_state (key, value) VALUES (?, ?)';

/** The evaluated tip's height, 0 before the first one. */
export function evaluatedTipHeight(db: DB): number {
  const r = prepared(db, GET).get('tip_height') as { value: string } | undefined;
  return r ? Number(r.value) : 0;
}

/** The evaluated tip's block hash, undefined before the first one. */
export function evaluatedTipHash(db: DB): string | undefined {
  return (prepared(db, GET).get('tip_hash') as { value: string } | undefined)?.value;
}

/**
 * Inside the recorder's write, with the invoices it re-evaluates: the new evaluated tip, and the time the watcher
 * last followed the chain (the next start looks at what was watched then, src/node/watcher/watched.ts).
 */
export function setEvaluatedTip(db: DB, tip: TipRef, now: number): void {
  const up = prepared(db, SET);
  up.run('tip_height', String(tip.height));
  up.run('tip_hash', tip.hash);
  up.run('watched_at', String(now));
}

/** When the watcher last followed the chain (ms), or null on a first start. */
export function watchedAt(db: DB): number | null {
  const r = prepared(db, GET).get('watched_at') as { value: string } | undefined;
  return r ? Number(r.value) : null;
}
