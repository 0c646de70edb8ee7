/**
 * Refunds (docs/books.md#refunds): checked against what the invoice received (src/core/ledger.ts), stored with the
 * customer's refund address, shown with a BIP21 link for the merchant's wallet, and watched: the chain watcher asks
 * here which refund addresses to watch and hands back what their histories show (src/core/refunds.ts decides which
 * transaction is whose).
 */
import { SatdeskError } from '../../core/errors.ts';
import { checkRefund, confirmations, fiatValue, type Balance } from '../../core/ledger.ts';
import { bip21, parseSatsAmount } from '../../core/money.ts';
import type { NetworkName } from '../../core/network.ts';
import { matchRefunds, type AddressTx } from '../../core/refunds.ts';
import { scripthash, validateAddress } from '../../core/wallet/address.ts';
import type { MethodInput, MethodOutput } from '../../shared/contract.ts';
import { prepared, type DB } from '../store/sqlite.ts';
import { addressArgs, addressMatch } from '../store/chain-sql.ts';
import { rateFact, type RateContext } from './rates.ts';
import { refundState } from './rows.ts';

export interface RefundRow {
  id: number;
  invoice_id: string;
  sats: number;
  txid: string | null;
  note: string;
  created_at: number;
  address: string | null;
  scripthash: string | null;
  script_hex: string | null;
  height: number | null;
  block_hash: string | null;
  verified: number;
  seen_at: number | null;
  matched: number;
  electrum_status: string | null;
}

export type RefundView = MethodOutput<'addRefund'>;

/** How long an unpaid refund's address stays watched: long enough for a merchant who pays refunds weekly. */
export const REFUND_WATCH_MS = 30 * 86_400_000;
/** Confirmations after which a refund's address is no longer watched. */
export const REFUND_SETTLED_CONFIRMATIONS = 6;

export function refundsOf(db: DB, invoiceId: string): RefundRow[] {
  return prepared(db, 'SELECT * FROM refunds WHERE invoice_id = ? ORDER BY id').all(invoiceId) as RefundRow[];
}

export function refundedSats(refunds: readonly { sats: number }[]): number {
  return refunds.reduce((s, r) => s + r.sats, 0);
}

export function refundView(
  r: RefundRow,
  invoice: { id: string; fiat_currency: string | null; fiat_rate: string | null },
  tip: number,
  rates: RateContext,
): RefundView {
  const height = r.height;
  return {
    id: r.id,
    sats: r.sats,
    txid: r.txid,
    note: r.note,
    created_at: new Date(r.created_at).toISOString(),
    address: r.address,
    state: refundState(r),
    height,
    confirmations: confirmations(height ?? 0, tip, r.verified === 1),
    bip21: r.address ? bip21(r.address, r.sats, `Refund for ${invoice.id}`) : null,
    fiat: fiatValue(-r.sats, rateFact(invoice, r.created_at, rates)),
  };
}

/**
 * Checks and stores one refund inside the caller's transaction (docs/spec/invoices.md#refunds): a positive amount
 * within what the invoice received minus what was refunded, an address of this network that is not one of the
 * shop's own. Answers the stored row.
 */
export function insertRefund(
  db: DB,
  network: NetworkName,
  invoice: { id: string },
  money: Pick<Balance, 'receivedSats' | 'refundedSats' | 'refundableSats'>,
  body: MethodInput<'addRefund'>['body'],
  now: number,
): RefundRow {
  const sats = parseSatsAmount(body.sats, 'sats');
  checkRefund(sats, money);
  let address: { address: string; scripthash: string; script_hex: string } | null = null;
  if (body.address !== undefined && body.address !== null) {
    const v = validateAddress(body.address.trim(), network);
    const own = db.prepare(`SELECT 1 FROM addresses a WHERE ${addressMatch('a')}`).get(addressArgs(v));
    if (own) throw new SatdeskError('invalid_address', `${v.address} is one of this shop's own addresses: give the customer's address to refund to.`);
    address = { address: v.address, scripthash: scripthash(v.scriptPubKey), script_hex: Buffer.from(v.scriptPubKey).toString('hex') };
  }
  const r = db
    .prepare(
      `INSERT INTO refunds (invoice_id, sats, txid, note, created_at, address, scripthash, script_hex)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(invoice.id, sats, body.txid?.toLowerCase() ?? null, body.note ?? '', now, address?.address ?? null, address?.scripthash ?? null, address?.script_hex ?? null);
  return db.prepare('SELECT * FROM refunds WHERE id = ?').get(Number(r.lastInsertRowid)) as RefundRow;
}

// ---- watching refund addresses ------------------------------------------------------------------------------------

/** A refund address the watcher should follow. */
export interface RefundScript {
  /** the first refund to this address */
  first_id: number;
  scripthash: string;
  script_hex: string;
  address: string;
  electrum_status: string | null;
}

/**
 * Refund addresses still worth watching: a refund recorded within REFUND_WATCH_MS whose transaction is not yet
 * REFUND_SETTLED_CONFIRMATIONS deep (index refunds_watched: proportional to open refunds, not to history).
 */
export function watchedRefundScripts(db: DB, now: number, tip: number): RefundScript[] {
  return db
    .prepare(
      `SELECT MIN(id) AS first_id, scripthash, MIN(script_hex) AS script_hex, MIN(address) AS address, MIN(electrum_status) AS electrum_status
       FROM refunds INDEXED BY refunds_watched
       WHERE scripthash IS NOT NULL AND created_at > @since
         AND (txid IS NULL OR height IS NULL OR height = 0 OR verified = 0 OR height > @settled)
       GROUP BY scripthash`,
    )
    .all({ since: now - REFUND_WATCH_MS, settled: tip - REFUND_SETTLED_CONFIRMATIONS + 1 }) as RefundScript[];
}

/** One transaction in a refund address's verified history. */
export interface RefundTxFact extends AddressTx {
  height: number;
  verified: boolean;
  blockHash: string | null;
}

/**
 * Inside the watcher's write: what a refund address's history shows. Fills in (or clears) the refunds' txids by the
 * matching rule and records their heights; answers the refunds whose state or transaction changed.
 */
export function recordRefundHistory(db: DB, sh: string, status: string | null, history: readonly RefundTxFact[], now: number): RefundRow[] {
  const rows = db
    .prepare(
      `SELECT r.*, i.created_at AS invoice_created_at FROM refunds r JOIN invoices i ON i.id = r.invoice_id
       WHERE r.scripthash = ? ORDER BY r.id`,
    )
    .all(sh) as (RefundRow & { invoice_created_at: number })[];
  const matches = new Map(
    matchRefunds(
      rows.map((r) => ({ id: r.id, sats: r.sats, txid: r.txid, matched: r.matched === 1, notBefore: r.invoice_created_at })),
      history,
    ).map((m) => [m.id, m]),
  );
  const byTxid = new Map(history.map((t) => [t.txid, t]));
  const changed: RefundRow[] = [];
  const update = db.prepare(
    `UPDATE refunds SET txid = @txid, matched = @matched, height = @height, block_hash = @block_hash, verified = @verified,
       seen_at = @seen_at WHERE id = @id`,
  );
  for (const r of rows) {
    const m = matches.get(r.id);
    const txid = m ? m.txid : r.txid;
    const t = txid !== null ? byTxid.get(txid) : undefined;
    const next: RefundRow = {
      ...r,
      txid,
      matched: m ? (m.matched ? 1 : 0) : r.matched,
      height: t ? t.height : null,
      block_hash: t ? t.blockHash : null,
      verified: t?.verified ? 1 : 0,
      seen_at: t ? (m ? now : (r.seen_at ?? now)) : null,
      electrum_status: status,
    };
    if (next.txid === r.txid && next.matched === r.matched && next.height === r.height && next.block_hash === r.block_hash && next.verified === r.verified && next.seen_at === r.seen_at) continue;
    update.run({ id: r.id, txid: next.txid, matched: next.matched, height: next.height, block_hash: next.block_hash, verified: next.verified, seen_at: next.seen_at });
    if (next.txid !== r.txid || refundState(next) !== refundState(r)) changed.push(next);
  }
  db.prepare('UPDATE refunds SET electrum_status = ? WHERE scripthash = ?').run(status, sh);
  return changed;
}

/** Inside a tip update's write: a reorg below a refund's block makes it unconfirmed until its history says again. */
export function unconfirmRefundsAbove(db: DB, fork: number): string[] {
  const rows = db.prepare('SELECT DISTINCT scripthash FROM refunds WHERE height > ? AND scripthash IS NOT NULL').all(fork) as { scripthash: string }[];
  db.prepare('UPDATE refunds SET height = 0, verified = 0, block_hash = NULL WHERE height > ?').run(fork);
  return rows.map((r) => r.scripthash);
}
