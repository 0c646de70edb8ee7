/**
 * Reading the books: invoices, payments and refunds in time order, a chunk at a time, on a read-only connection of its
 * own that holds one snapshot for the whole read — an export of a million invoices is consistent with itself while
 * the service keeps writing on its own connection (SQLite WAL: readers never block the writer). Every money figure
 * is derived by src/core/ledger.ts.
 */
import { balance, bookState, confirmations, fiatValue, type Balance, type BookState, type FiatValue } from '../../core/ledger.ts';
import { limit, openDatabase, type DB } from '../store/sqlite.ts';
import { evaluatedTipHeight } from '../store/evaluated-tip.ts';
import { addressOf } from '../store/chain-sql.ts';
import type { InvoiceFilter } from './filter.ts';
import { filters, invoiceWhere } from './filter.ts';
import { rateFact, type RateContext } from './rates.ts';
import type { RefundRow } from './refunds.ts';

/** Rows per chunk: small enough that formatting one stays a few milliseconds, large enough to keep queries few. */
export const CHUNK_ROWS = 2000;
/**
 * Invoices read per page of a whole-table export (BookReader.everyInvoice). A page is alive while its rows are
 * formatted: pages of 512 rows outlived V8's young generation and grew a first export after start by 150 MB instead
 * of 105; at 64 the growth is as with no pages, and the reading still costs a call per 64 rows instead of per row.
 */
export const PAGE_ROWS = 64;

export interface Range {
  /** ms, inclusive */
  start: number;
  /** ms, exclusive */
  end: number;
}

export interface InvoiceBookRow {
  seq: number;
  id: string;
  created_at: number;
  expires_at: number;
  status: string;
  flags: string;
  userdata: string;
  label: string;
  amount_sats: number;
  tolerance_bp: number;
  paid_sats: number;
  confirmed_sats: number;
  refunded_sats: number;
  tip_sats: number | null;
  tip_fiat: string | null;
  fiat_amount: string | null;
  fiat_currency: string | null;
  fiat_rate: string | null;
  address: string;
  paid_at: number | null;
  confirmed_at: number | null;
  note: string;
}

/** The money of an invoice row (the one derivation: src/core/ledger.ts). */
export function balanceOf(r: Pick<InvoiceBookRow, 'amount_sats' | 'tolerance_bp' | 'paid_sats' | 'confirmed_sats' | 'refunded_sats'>): Balance {
  return balance(
    { amountSats: r.amount_sats, tolerancePct: r.tolerance_bp / 100 },
    { receivedSats: r.paid_sats, confirmedSats: r.confirmed_sats, refundedSats: r.refunded_sats },
  );
}

/** A payment or a refund as the books show it: one row of payments.csv. */
export interface LedgerRow {
  kind: 'payment' | 'refund';
  id: number;
  time: number;
  /** what the row adds to the books: + for a counted or unattributed payment, − for a refund, 0 for a reversed payment */
  sats: number;
  /** what a reversed payment's transaction had paid (0 on other rows) */
  reversedSats: number;
  state: BookState | RefundState;
  txid: string | null;
  address: string | null;
  invoiceId: string | null;
  userdata: string;
  label: string;
  height: number;
  confirmations: number;
  rbf: boolean;
  fiat: FiatValue;
  note: string;
}

/** A refund's state: recorded (no transaction known), sent (its transaction is known, unconfirmed), confirmed. */
export type RefundState = 'recorded' | 'sent' | 'confirmed';

export function refundState(r: { txid: string | null; height: number | null; verified: number }): RefundState {
  if (r.txid === null) return 'recorded';
  return r.height !== null && r.height > 0 && r.verified === 1 ? 'confirmed' : 'sent';
}

interface PaymentJoin {
  id: number;
  txid: string;
  address: string;
  sats: number;
  invoice_id: string | null;
  height: number;
  verified: number;
  state: 'active' | 'gone';
  rbf: number;
  time: number;
  userdata: string | null;
  label: string | null;
  fiat_currency: string | null;
  fiat_rate: string | null;
}

interface RefundJoin extends Pick<RefundRow, 'id' | 'invoice_id' | 'sats' | 'txid' | 'note' | 'created_at' | 'address' | 'height' | 'verified'> {
  userdata: string;
  label: string;
  fiat_currency: string | null;
  fiat_rate: string | null;
}

export interface LedgerQuery extends InvoiceFilter {
  range: Range;
  /** include reversed payments (marked, adding 0) */
  reversed?: boolean;
}

/** One read snapshot of the books on its own read-only connection; `close()` when done. */
export class BookReader {
  /** Readers open right now (tests check that an abandoned export let go of its snapshot). */
  static open = 0;
  readonly db: DB;

  constructor(file: string) {
    this.db = openDatabase(file, { readonly: true });
    BookReader.open++;
    // A read walks the tables once, in order: better-sqlite3's default page cache (16 MB) would only fill up and stay
    // with the process. A small one serves the walk as well (docs/decisions/0116-exports-on-a-worker-thread.md).
    this.db.pragma('cache_size = -1024');
    // One snapshot for every chunk: a deferred transaction that the first read starts.
    this.db.prepare('BEGIN').run();
  }

  close(): void {
    if (!this.db.open) return;
    if (this.db.inTransaction) this.db.prepare('COMMIT').run();
    this.db.close();
    BookReader.open--;
  }

  tipHeight(): number {
    return evaluatedTipHeight(this.db);
  }

  /** Refunded sats per invoice (refunds are few: read once per snapshot instead of a subquery per row). */
  private refundedByInvoice(): Map<string, number> {
    const rows = this.db.prepare('SELECT invoice_id, SUM(sats) FROM refunds GROUP BY invoice_id').raw().all() as [string, number][];
    return new Map(rows);
  }

  /**
   * Invoices created in the range and matching the filter, oldest first, one at a time: a cursor walks the snapshot
   * (this connection runs nothing else meanwhile), so each row is garbage as soon as it is written and memory stays
   * flat however many there are. Without a range they come in the order they were made (rowid order, the fastest
   * walk); with one, through the creation-time index.
   */
  *invoiceRows(q: InvoiceFilter & { range: Range }): Generator<InvoiceBookRow> {
    const f = invoiceWhere(q);
    const refunded = this.refundedByInvoice();
    const open = q.range.start === Number.MIN_SAFE_INTEGER && q.range.end === Number.MAX_SAFE_INTEGER;
    const cols = `i.seq, i.id, i.created_at, i.expires_at, i.status, i.flags, i.userdata, i.label, i.amount_sats, i.tolerance_bp,
      i.paid_sats, i.confirmed_sats, s.tip_sats, s.tip_fiat, i.fiat_amount, i.fiat_currency, i.fiat_rate, ${addressOf('i')}, i.paid_at,
      i.confirmed_at, i.note`;
    // Raw rows (arrays), named here: about twice as fast as better-sqlite3 naming each column of a million rows.
    const rows: Iterable<unknown[]> =
      open && !filters(q)
        ? this.everyInvoice(cols)
        : (this.db
            .prepare(
              open
                ? `SELECT ${cols} FROM invoices i LEFT JOIN sales s ON s.invoice_id = i.id WHERE ${f.sql} ORDER BY i.seq`
                : `SELECT ${cols} FROM invoices i INDEXED BY invoices_created LEFT JOIN sales s ON s.invoice_id = i.id
             WHERE i.created_at >= @start AND i.created_at < @end AND ${f.sql} ORDER BY i.created_at, i.seq`,
            )
            .raw()
            .iterate(open ? f.args : { ...f.args, start: q.range.start, end: q.range.end }) as Iterable<unknown[]>);
    for (const r of rows) {
      const id = r[1] as string;
      yield {
        seq: r[0] as number, id, created_at: r[2] as number, expires_at: r[3] as number, status: r[4] as string, flags: r[5] as string,
        userdata: r[6] as string, label: r[7] as string, amount_sats: r[8] as number, tolerance_bp: r[9] as number,
        paid_sats: r[10] as number, confirmed_sats: r[11] as number, refunded_sats: refunded.get(id) ?? 0,
        tip_sats: r[12] as number | null, tip_fiat: r[13] as string | null, fiat_amount: r[14] as string | null,
        fiat_currency: r[15] as string | null, fiat_rate: r[16] as string | null, address: r[17] as string,
        paid_at: r[18] as number | null, confirmed_at: r[19] as number | null, note: r[20] as string,
      };
    }
  }

  /**
   * Every invoice in row order (`cols` starts with the row number), read a page at a time from the reader's snapshot:
   * one `all()` of PAGE_ROWS rows costs less than stepping the statement row by row (3.1–3.3 s against 3.6–4.3 s for
   * the million rows of the years bench store, on a busy machine). Only for the whole table: walking the row numbers
   * in pages is the plan SQLite keeps for it, where a filter could make it sort what is left of the table each page.
   */
  private *everyInvoice(cols: string): Generator<unknown[]> {
    const page = this.db.prepare(`SELECT ${cols} FROM invoices i LEFT JOIN sales s ON s.invoice_id = i.id WHERE i.seq > ? ORDER BY i.seq ${limit(PAGE_ROWS)}`).raw();
    for (let after = Number.MIN_SAFE_INTEGER; ; ) {
      const rows = page.all(after) as unknown[][];
      yield* rows;
      if (rows.length < PAGE_ROWS) return;
      after = rows[rows.length - 1]![0] as number;
    }
  }

  /** Refunds recorded in the range, of invoices matching the filter, oldest first (few: read at once). */
  refunds(q: InvoiceFilter & { range: Range }): RefundJoin[] {
    const f = invoiceWhere(q);
    return this.db
      .prepare(
        `SELECT r.id, r.invoice_id, r.sats, r.txid, r.note, r.created_at, r.address, r.height, r.verified,
           i.userdata, i.label, i.fiat_currency, i.fiat_rate
         FROM refunds r JOIN invoices i ON i.id = r.invoice_id
         WHERE r.created_at >= @start AND r.created_at < @end AND ${f.sql}
         ORDER BY r.created_at, r.id`,
      )
      .all({ ...f.args, start: q.range.start, end: q.range.end }) as RefundJoin[];
  }

  /**
   * Payments (by payment time) and refunds (by the time recorded) in one time order, a chunk of at most `rows`
   * payments at a time. An export asks for pages of PAGE_ROWS: rows it holds only while it formats them die young.
   */
  *ledgerChunks(q: LedgerQuery, rates: RateContext, rows = CHUNK_ROWS): Generator<LedgerRow[]> {
    const tip = this.tipHeight();
    const f = invoiceWhere(q);
    const onlyInvoices = filters(q);
    const stmt = this.db.prepare(
      `SELECT p.id, lower(hex(p.txid)) AS txid, ${addressOf('p')} AS address, p.sats, i.id AS invoice_id, p.height, p.verified, p.state, p.rbf, p.time,
         i.userdata, i.label, i.fiat_currency, i.fiat_rate
       FROM payments p INDEXED BY payments_time LEFT JOIN invoices i ON i.seq = p.invoice_seq
       WHERE p.time >= @lo AND p.time < @end AND NOT (p.time = @t AND p.id <= @id)
         ${q.reversed ? '' : "AND p.state = 'active'"}
         ${onlyInvoices ? `AND p.invoice_seq IS NOT NULL AND ${f.sql}` : ''}
       ORDER BY p.time, p.id LIMIT ${rows}`,
    );
    const refunds = this.refunds(q);
    let ri = 0;
    let t = Number.MIN_SAFE_INTEGER;
    let id = 0;
    for (;;) {
      const page = stmt.all({ ...(onlyInvoices ? f.args : {}), lo: Math.max(q.range.start, t), end: q.range.end, t, id }) as PaymentJoin[];
      const out: LedgerRow[] = [];
      for (const p of page) {
        while (ri < refunds.length && refunds[ri]!.created_at <= p.time) out.push(refundRow(refunds[ri++]!, tip, rates));
        out.push(paymentRow(p, tip, rates));
      }
      const done = page.length < rows;
      if (done) while (ri < refunds.length) out.push(refundRow(refunds[ri++]!, tip, rates));
      if (out.length) yield out;
      if (done) return;
      const last = page[page.length - 1]!;
      t = last.time;
      id = last.id;
    }
  }
}

function paymentRow(p: PaymentJoin, tip: number, rates: RateContext): LedgerRow {
  const state = bookState({ gone: p.state === 'gone', invoiceId: p.invoice_id });
  const counts = state !== 'reversed';
  const invoice = p.invoice_id !== null ? { fiat_currency: p.fiat_currency, fiat_rate: p.fiat_rate } : null;
  return {
    kind: 'payment',
    id: p.id,
    time: p.time,
    sats: counts ? p.sats : 0,
    reversedSats: counts ? 0 : p.sats,
    state,
    txid: p.txid,
    address: p.address,
    invoiceId: p.invoice_id,
    userdata: p.userdata ?? '',
    label: p.label ?? '',
    height: counts ? p.height : 0,
    confirmations: counts ? confirmations(p.height, tip, p.verified === 1) : 0,
    rbf: p.rbf === 1,
    fiat: fiatValue(counts ? p.sats : 0, rateFact(invoice, p.time, rates)),
    note: '',
  };
}

function refundRow(r: RefundJoin, tip: number, rates: RateContext): LedgerRow {
  const height = r.height ?? 0;
  return {
    kind: 'refund',
    id: r.id,
    time: r.created_at,
    sats: -r.sats,
    reversedSats: 0,
    state: refundState(r),
    txid: r.txid,
    address: r.address,
    invoiceId: r.invoice_id,
    userdata: r.userdata,
    label: r.label,
    height,
    confirmations: confirmations(height, tip, r.verified === 1),
    rbf: false,
    fiat: fiatValue(-r.sats, rateFact(r, r.created_at, rates)),
    note: r.note,
  };
}
