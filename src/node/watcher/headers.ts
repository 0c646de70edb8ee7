/**
 * The watcher's header chain, stored in the `headers` table: every header verified by the rules of
 * src/core/chain/work.ts on top of the shipped checkpoint (src/core/chain/checkpoints.ts). Merkle proofs are checked
 * against it before a payment counts as confirmed. Beside the headers, `chain_state` keeps which checkpoint the chain
 * is anchored on and the cumulative work at the stored tip (docs/trust.md). The stored tip can run ahead of the tip the
 * invoices were evaluated at (src/node/store/evaluated-tip.ts, docs/decisions/0093-evaluated-tip.md).
 */
import type { Statement } from 'better-sqlite3';
import { headerWork, parseHeader, type BlockHeader, type VerifiedHeader } from '../../core/chain/index.ts';
import { statementCache, type DB } from '../store/sqlite.ts';

export type StoredHeader = VerifiedHeader;

/** A header the server sent breaks the chain rules, or its chain is weaker than ours: leave the server. */
export class HeaderCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeaderCheckError';
  }
}

interface Row {
  height: number;
  header: string;
}

/** The `headers` table and the anchor facts beside it. */
export class HeaderStore {
  private readonly sql: (text: string) => Statement<unknown[]>;
  constructor(private readonly db: DB) {
    this.sql = statementCache(db);
  }

  private row(r: Row | undefined): StoredHeader | undefined {
    return r ? { ...parseHeader(r.header), height: r.height, hex: r.header } : undefined;
  }

  tip(): StoredHeader | undefined {
    return this.row(this.sql('SELECT height, header FROM headers ORDER BY height DESC LIMIT 1').get() as Row | undefined);
  }

  lowest(): number | null {
    const r = this.sql('SELECT MIN(height) AS h FROM headers').get() as { h: number | null };
    return r.h;
  }

  get(height: number): StoredHeader | undefined {
    return this.row(this.sql('SELECT height, header FROM headers WHERE height = ?').get(height) as Row | undefined);
  }

  /** Headers from..to, in height order (what is stored of them). */
  range(from: number, to: number): StoredHeader[] {
    return (this.sql('SELECT height, header FROM headers WHERE height BETWEEN ? AND ? ORDER BY height').all(from, to) as Row[]).map(
      (r) => this.row(r)!,
    );
  }

  /** Work of the stored headers from..to. */
  work(from: number, to: number): bigint {
    let w = 0n;
    for (const h of this.range(from, to)) w += headerWork(h.bits);
    return w;
  }

  /** Inside the caller's transaction. */
  insert(h: StoredHeader): void {
    this.sql('INSERT OR REPLACE INTO headers (height, hash, header) VALUES (?, ?, ?)').run(h.height, h.hash, h.hex);
  }

  /** Inside the caller's transaction. */
  deleteAbove(height: number): void {
    this.sql('DELETE FROM headers WHERE height > ?').run(height);
  }

  /** Inside the caller's transaction. */
  deleteAll(): void {
    this.sql('DELETE FROM headers').run();
  }

  private state(key: string): string | undefined {
    return (this.sql('SELECT value FROM chain_state WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  private setState(key: string, value: string): void {
    this.sql('INSERT OR REPLACE INTO chain_state (key, value) VALUES (?, ?)').run(key, value);
  }

  /** The checkpoint hash the stored chain is anchored on (undefined: none, or a chain from before checkpoints). */
  anchoredOn(): string | undefined {
    return this.state('header_checkpoint');
  }

  /** Inside the caller's transaction. */
  setAnchor(checkpointHash: string, height: number): void {
    this.setState('header_checkpoint', checkpointHash);
    this.setState('header_anchor', String(height));
  }

  /** Cumulative work at the header with this hash, when it is the one recorded. */
  chainworkAt(hash: string): bigint | undefined {
    if (this.state('header_chainwork_hash') !== hash) return undefined;
    const w = this.state('header_chainwork');
    return w === undefined ? undefined : BigInt('0x' + w);
  }

  /** Inside the caller's transaction: the cumulative work at the stored tip `hash`. */
  setChainwork(hash: string, chainwork: bigint): void {
    this.setState('header_chainwork_hash', hash);
    this.setState('header_chainwork', chainwork.toString(16));
  }
}

export type { BlockHeader };
