/**
 * A till sale's extras beside its invoice (docs/counter.md): the tip (kept apart from the amount it is part of),
 * the quick-item lines, the till, the cash-desk note and the receipt key. Stored in `sales`, one row per invoice
 * that has any, written in the same transaction as the invoice.
 */
import crypto from 'node:crypto';
import { prepared, type DB } from '../store/sqlite.ts';
import { SatdeskError } from '../../core/errors.ts';
import { currencyDecimals, fiatSale, linesTotal, satsSale, toUnits } from '../../core/counter.ts';
import type { CreateInvoiceRequest } from '../../shared/contract.ts';
import type { Principal, SaleLine } from '../../shared/contract-counter.ts';

export interface SaleRow {
  invoice_id: string;
  till_id: string | null;
  tip_sats: number;
  tip_fiat: string | null;
  items: string | null;
  desk_note: string;
  receipt_key: string | null;
}

export interface SaleTerms {
  sats: number;
  fiat: { amount: string; currency: string; rate: string } | null;
  tipSats: number;
  tipFiat: string | null;
  items: SaleLine[] | null;
  tillId: string | null;
}

/**
 * The amount with its tip and the sale's extras, checked: a fiat tip goes with a fiat amount and a sats tip with
 * a sats/BTC one; quick-item lines must add up to the fiat amount; a till must exist, and a cashier bound to a
 * till sells only there.
 */
export function saleTerms(
  db: DB,
  body: CreateInvoiceRequest,
  base: { sats: number; fiat: { amount: string; currency: string; rate: string } | null },
  auth: Principal,
): SaleTerms {
  let { sats, fiat } = base;
  let tipSats = 0;
  let tipFiat: string | null = null;
  if (body.tip_fiat !== undefined) {
    if (!fiat) throw new SatdeskError('invalid_request', 'tip_fiat goes with amount_fiat; use tip_sats with a sats or BTC amount.');
    const places = currencyDecimals(fiat.currency);
    const sale = fiatSale(fiat.amount, body.tip_fiat, fiat.rate, places);
    if (toUnits(body.tip_fiat, places, 'tip_fiat') > 0n) tipFiat = body.tip_fiat;
    sats = sale.totalSats;
    tipSats = sale.tipSats;
    fiat = { ...fiat, amount: sale.totalFiat };
  }
  if (body.tip_sats !== undefined) {
    if (fiat) throw new SatdeskError('invalid_request', 'tip_sats goes with amount_sats or amount_btc; use tip_fiat with a fiat amount.');
    const sale = satsSale(sats, body.tip_sats);
    sats = sale.totalSats;
    tipSats = sale.tipSats;
  }
  const items = body.items ?? null;
  if (items) {
    if (!base.fiat) throw new SatdeskError('invalid_request', 'items are priced in the shop currency: send them with amount_fiat.');
    const places = currencyDecimals(base.fiat.currency);
    const total = linesTotal(items, places);
    if (toUnits(base.fiat.amount, places, 'amount_fiat') !== toUnits(total, places)) {
      throw new SatdeskError('invalid_amount', `The items add up to ${total} ${base.fiat.currency}, not ${base.fiat.amount}.`);
    }
  }
  let tillId = body.till_id ?? null;
  if (auth.tillId !== null) {
    if (tillId !== null && tillId !== auth.tillId) throw new SatdeskError('forbidden', 'This device sells at its own till only.');
    tillId = auth.tillId;
  }
  if (tillId !== null && !db.prepare('SELECT 1 FROM tills WHERE id = ?').get(tillId)) throw new SatdeskError('not_found', 'No such till.');
  return { sats, fiat, tipSats, tipFiat, items, tillId };
}

/** Writes the sale row (when there is anything to keep) and makes it the till's current sale. */
export function insertSale(db: DB, invoiceId: string, t: SaleTerms, now: number): void {
  if (t.tillId === null && t.tipSats === 0 && t.tipFiat === null && t.items === null) return;
  db.prepare('INSERT INTO sales (invoice_id, till_id, tip_sats, tip_fiat, items) VALUES (?, ?, ?, ?, ?)').run(
    invoiceId,
    t.tillId,
    t.tipSats,
    t.tipFiat,
    t.items ? JSON.stringify(t.items) : null,
  );
  if (t.tillId !== null) {
    db.prepare('UPDATE tills SET current_invoice_id = ?, prompt = NULL, updated_at = ? WHERE id = ?').run(invoiceId, now, t.tillId);
  }
}

export function saleRow(db: DB, invoiceId: string): SaleRow | undefined {
  return prepared(db, 'SELECT * FROM sales WHERE invoice_id = ?').get(invoiceId) as SaleRow | undefined;
}

/** The invoice view's sale fields. */
export function saleFields(db: DB, invoiceId: string): {
  tip: { sats: number; fiat: string | null } | null;
  items: SaleLine[] | null;
  till_id: string | null;
  desk_note: string;
} {
  const r = saleRow(db, invoiceId);
  if (!r) return { tip: null, items: null, till_id: null, desk_note: '' };
  return {
    tip: r.tip_sats > 0 || r.tip_fiat !== null ? { sats: r.tip_sats, fiat: r.tip_fiat } : null,
    items: r.items ? (JSON.parse(r.items) as SaleLine[]) : null,
    till_id: r.till_id,
    desk_note: r.desk_note,
  };
}

/** The receipt key of an invoice, made on first use (128 random bits: the link is the only credential). */
export function receiptKey(db: DB, invoiceId: string): string {
  const existing = saleRow(db, invoiceId);
  if (existing?.receipt_key) return existing.receipt_key;
  const key = crypto.randomBytes(16).toString('base64url');
  if (existing) db.prepare('UPDATE sales SET receipt_key = ? WHERE invoice_id = ?').run(key, invoiceId);
  else db.prepare('INSERT INTO sales (invoice_id, receipt_key) VALUES (?, ?)').run(invoiceId, key);
  return key;
}

export function setDeskNote(db: DB, invoiceId: string, note: string): void {
  if (saleRow(db, invoiceId)) db.prepare('UPDATE sales SET desk_note = ? WHERE invoice_id = ?').run(note, invoiceId);
  else db.prepare('INSERT INTO sales (invoice_id, desk_note) VALUES (?, ?)').run(invoiceId, note);
}

export const receiptPath = (key: string): string => `/#/r/${key}`;
