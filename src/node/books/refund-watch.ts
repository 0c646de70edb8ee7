/**
 * Refund addresses as watched script hashes of their own kind (docs/decisions/0054-refund-address-watching.md): the
 * chain watcher's watch set, history check and recording take them beside the shop's own addresses. A refund script
 * is an AddressRow with a negative id (minus its first refund's id), so the watcher keeps one code path.
 */
import type { Statement } from 'better-sqlite3';
import { prepared, type DB } from '../store/sqlite.ts';
import { insertEvent } from '../events.ts';
import { getInvoiceRow, invoiceView, type RefreshContext } from '../invoices.ts';
import type { AddressRow, EntryFacts } from '../watcher/history.ts';
import type { WatchedRow } from '../watcher/watched.ts';
import { recordRefundHistory, refundView, watchedRefundScripts } from './refunds.ts';

export const isRefundScript = (addr: { id: number }): boolean => addr.id < 0;

/** The refund addresses still watched, as rows of the watch set. */
export function refundWatchRows(db: DB, now: number, tip: number): WatchedRow[] {
  return watchedRefundScripts(db, now, tip).map((r) => ({ id: -r.first_id, scripthash: r.scripthash, electrum_status: r.electrum_status }));
}

/** The refund address behind a watched script hash, shaped like one of our addresses for the history check. */
export function refundAddressRow(sql: (text: string) => Statement<unknown[]>, sh: string): AddressRow | undefined {
  const r = sql(
      `SELECT -MIN(id) AS id, MIN(address) AS address, scripthash, MIN(electrum_status) AS electrum_status
       FROM refunds WHERE scripthash = ? GROUP BY scripthash`,
    )
    .get(sh) as (Omit<AddressRow, 'origin' | 'state' | 'invoice_id'>) | undefined;
  return r ? { ...r, origin: 'static', state: 'refund', invoice_id: null } : undefined;
}

/** The highest refund id: the watcher subscribes a new refund's address at once when it grows. */
export function lastRefundId(db: DB): number {
  return (prepared(db, 'SELECT COALESCE(MAX(id), 0) AS m FROM refunds').get() as { m: number }).m;
}

/**
 * Inside the watcher's write: a refund address's verified history fills in its refunds, and each refund whose
 * transaction or state changed is an `invoice.refund_updated` event with the invoice and the refund.
 */
export function recordRefundFacts(db: DB, addr: AddressRow, status: string | null, facts: readonly EntryFacts[], ctx: RefreshContext): void {
  const history = facts.map((f) => ({ txid: f.txid, sats: f.sats, time: f.blockTime ?? ctx.now, height: f.height, verified: f.verified, blockHash: f.blockHash }));
  for (const r of recordRefundHistory(db, addr.scripthash, status, history, ctx.now)) {
    const row = getInvoiceRow(db, r.invoice_id);
    if (!row) continue;
    const refund = refundView(r, row, ctx.tipHeight, ctx.rates ?? { currency: 'USD', history: null });
    insertEvent(db, 'invoice.refund_updated', row.id, null, { invoice: invoiceView(db, row, ctx), refund }, ctx.now);
  }
}
