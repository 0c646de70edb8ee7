/**
 * History verification: what the server says about one script hash, checked and turned into facts, with no
 * writes. A history counts only if it hashes to the status the server announced; each new transaction must hash
 * to its txid (the client checks) and pay this address; a mined one needs a merkle proof that folds to the merkle
 * root of our own checked header at its height. The recorder writes the facts in one transaction.
 */
import type { Statement } from 'better-sqlite3';
import { Transaction } from 'bitcoinjs-lib';
import { electrumStatus, merkleRootFromProof } from '../../core/chain/index.ts';
import type { ElectrumClient, HistoryEntry } from '../electrum/index.ts';
import type { PaymentRow } from '../invoices.ts';
import { ServerMisbehaviour } from './errors.ts';
import { refundAddressRow } from '../books/refund-watch.ts';
import { blockKey, PAYMENT_COLUMNS, scripthashArgs, scripthashMatch, scripthashOf } from '../store/chain-sql.ts';
import { scripthash } from '../../core/wallet/address.ts';
import type { HeaderStore } from './headers.ts';

export interface AddressRow {
  id: number;
  address: string;
  scripthash: string;
  origin: 'derived' | 'static';
  state: string;
  invoice_id: string | null;
  electrum_status: string | null;
}

export interface EntryFacts {
  txid: string;
  height: number;
  /** sats to this address; 0: the transaction only spends from it */
  sats: number;
  rbf: boolean;
  verified: boolean;
  blockHash: string | null;
  blockTime: number | null;
  /** a mempool entry at height −1: it spends an unconfirmed transaction */
  unconfirmedParent: boolean;
  /** mined below our anchored header chain (older than the checkpoint): kept, never verified, never counted */
  belowAnchor: boolean;
}

/** The outcome of one verification: nothing to do, facts to record, or a reason to wait. */
export type Verdict =
  | { kind: 'unchanged' }
  | { kind: 'gone' }
  /** The history does not hash to the announced status (yet): wait for the server's next notification. */
  | { kind: 'stale' }
  /** The history names a block above our header tip: sync headers first. */
  | { kind: 'ahead' }
  | { kind: 'facts'; addr: AddressRow; status: string | null; facts: EntryFacts[]; existing: Map<string, PaymentRow> };

export interface VerifierStats {
  historyFetches: number;
  txFetches: number;
  merkleFetches: number;
  statusRetries: number;
}

const FINAL_SEQUENCE = 0xfffffffe;
const TX_CACHE = 2000;

export class HistoryVerifier {
  /** get_history calls per scripthash (tests assert that unchanged addresses are not re-fetched). */
  readonly fetchesBy = new Map<string, number>();
  private readonly txCache = new Map<string, Transaction>();
  private readonly irrelevant = new Set<string>();

  constructor(
    private readonly sql: (text: string) => Statement<unknown[]>,
    private readonly headers: HeaderStore,
    private readonly stats: VerifierStats,
  ) {}

  /**
   * `announced`: the latest status the server announced (undefined: none on this connection). `forced`: fetch
   * even when it equals the stored one (after a reorg touched the address).
   */
  async verify(client: ElectrumClient, live: () => boolean, sh: string, announced: string | null | undefined, forced: boolean): Promise<Verdict> {
    // One of our addresses, or a customer's refund address (a watched script of its own kind, src/node/books/refund-watch.ts).
    const addr = (this.sql(
        `SELECT id, address, ${scripthashOf('a')} AS scripthash, origin, state, invoice_id, electrum_status FROM addresses a WHERE ${scripthashMatch('a')}`,
      )
      .get(scripthashArgs(sh)) as AddressRow | undefined) ?? refundAddressRow(this.sql, sh);
    if (!addr) return { kind: 'gone' };
    if (!forced && announced !== undefined && announced === addr.electrum_status) return { kind: 'unchanged' };
    const history = await this.fetchHistory(client, sh);
    if (!live()) return { kind: 'unchanged' };
    const status = electrumStatus(history);
    if (announced !== undefined && status !== announced) {
      this.stats.statusRetries++;
      return { kind: 'stale' };
    }
    // A scheduled check (no announced status): nothing to do when the history is what we recorded.
    if (!forced && announced === undefined && status === addr.electrum_status) return { kind: 'unchanged' };
    const maxHeight = history.reduce((m, e) => Math.max(m, e.height), 0);
    if (maxHeight > (this.headers.tip()?.height ?? -1)) return { kind: 'ahead' };
    const existing = new Map<string, PaymentRow>();
    for (const p of this.sql(`SELECT ${PAYMENT_COLUMNS} FROM payments p WHERE p.address_id = ?`).all(addr.id) as PaymentRow[]) existing.set(p.txid, p);
    const facts: EntryFacts[] = [];
    for (const e of history) {
      const f = await this.entryFacts(client, addr, e, existing.get(e.tx_hash));
      if (!live()) return { kind: 'unchanged' };
      if (f) facts.push(f);
    }
    return { kind: 'facts', addr, status, facts, existing };
  }

  private async fetchHistory(client: ElectrumClient, sh: string): Promise<HistoryEntry[]> {
    this.stats.historyFetches++;
    this.fetchesBy.set(sh, (this.fetchesBy.get(sh) ?? 0) + 1);
    return client.getHistory(sh);
  }

  private async getTx(client: ElectrumClient, txid: string): Promise<Transaction> {
    const cached = this.txCache.get(txid);
    if (cached) return cached;
    this.stats.txFetches++;
    const tx = Transaction.fromHex(await client.getTransaction(txid));
    this.txCache.set(txid, tx);
    if (this.txCache.size > TX_CACHE) this.txCache.delete(this.txCache.keys().next().value as string);
    return tx;
  }

  /** What one history entry means for this address; null for a transaction that pays it nothing. */
  private async entryFacts(client: ElectrumClient, addr: AddressRow, e: HistoryEntry, known: PaymentRow | undefined): Promise<EntryFacts | null> {
    let sats: number;
    let rbf: boolean;
    if (known) {
      sats = known.sats;
      rbf = known.rbf === 1;
    } else {
      const key = `${addr.id}:${e.tx_hash}`;
      if (this.irrelevant.has(key)) return null;
      const tx = await this.getTx(client, e.tx_hash);
      sats = 0;
      // An output pays this address when its script hashes to the address's script hash (no stored script needed).
      for (const o of tx.outs) if (scripthash(o.script) === addr.scripthash) sats += Number(o.value);
      rbf = tx.ins.some((i) => i.sequence < FINAL_SEQUENCE);
      if (sats === 0) {
        this.irrelevant.add(key);
        return null;
      }
    }
    // Height -1 (an unconfirmed parent) is a mempool entry like height 0, flagged: 0-conf treats it apart.
    const height = e.height > 0 ? e.height : 0;
    const base = { txid: e.tx_hash, sats, rbf, unconfirmedParent: e.height < 0, belowAnchor: false };
    if (height === 0) return { ...base, height: 0, verified: false, blockHash: null, blockTime: null };
    const header = this.headers.get(height);
    if (!header) {
      // Below the checkpoint our chain starts from: old wallet history, kept unverified; it never takes watching down.
      if (height < (this.headers.lowest() ?? 0)) return { ...base, height, verified: false, blockHash: null, blockTime: null, belowAnchor: true };
      throw new ServerMisbehaviour(`history puts ${e.tx_hash} at height ${height}, beyond the server's own headers`);
    }
    if (known && known.state === 'active' && known.height === height && known.verified === 1 && known.block_key === blockKey(header.hash)) {
      return { ...base, height, verified: true, blockHash: header.hash, blockTime: header.time * 1000 };
    }
    this.stats.merkleFetches++;
    const proof = await client.getMerkle(e.tx_hash, height);
    let root: string;
    try {
      root = merkleRootFromProof(e.tx_hash, proof.merkle, proof.pos);
    } catch (err) {
      throw new ServerMisbehaviour(`bad merkle proof for ${e.tx_hash}: ${(err as Error).message}`);
    }
    if (root !== header.merkleRoot) {
      throw new ServerMisbehaviour(`merkle proof for ${e.tx_hash} does not match our header at height ${height}`);
    }
    return { ...base, height, verified: true, blockHash: header.hash, blockTime: header.time * 1000 };
  }
}
