/**
 * Invoice persistence: rows ↔ domain, and `refreshInvoice`, the one place where an invoice's stored status is
 * recomputed from its facts (docs/spec/invoices.md) and where the events and address holding that follow from it are written —
 * always inside the caller's transaction, so status, events and (later) planned notifications commit together.
 */
import { prepared, type DB } from './store/sqlite.ts';
import { INVOICE_COLUMNS, invoiceSeqOf, PAYMENT_COLUMNS } from './store/chain-sql.ts';
import { packEventData } from './store/event-data.ts';
import { statusCode } from './store/codes.ts';
import {
  evaluate,
  transitionEvents,
  type Evaluation,
  type InvoiceEventType,
  type InvoiceFlag,
  type InvoiceStatus,
  type InvoiceTerms,
  type PaymentFact,
} from '../core/invoice.ts';
import { bip21, formatBtc } from '../core/money.ts';
import { balance, bookState, confirmations, fiatValue } from '../core/ledger.ts';
import { effectiveConfirmationsRequired } from '../core/invoice.ts';
import { parseHeader } from '../core/chain/header.ts';
import { holdsAddress, releasedState } from '../core/holding.ts';
import type { AddressOrigin, AddressState } from '../core/vocabulary.ts';
import type { ZeroConfRisk } from '../core/zeroconf.ts';
import type { Invoice } from '../shared/contract.ts';
import { insertEvent, type EventData } from './events.ts';
import { saleFields } from './counter/sales.ts';
import { refundedSats, refundsOf, refundView, type RefundRow } from './books/refunds.ts';
import { rateFact, type RateContext } from './books/rates.ts';
import { invoiceFiatView, type FiatColumns } from './rates/lock.ts';

export type { RefundRow };

export interface InvoiceRow extends FiatColumns {
  seq: number;
  id: string;
  status: InvoiceStatus;
  flags: string;
  amount_sats: number;
  label: string;
  userdata: string;
  address_id: number;
  address: string;
  created_at: number;
  expires_at: number;
  confirmations_required: number;
  tolerance_bp: number;
  monitoring_ms: number;
  zero_conf_limit_sats: number;
  zero_conf_risk: ZeroConfRisk;
  confirmations_requested: number | null;
  confirmations_note: string | null;
  taken_tip_height: number | null;
  cancelled_at: number | null;
  manual_status: InvoiceStatus | null;
  manual_note: string | null;
  manual_at: number | null;
  released_at: number | null;
  note: string;
  paid_sats: number;
  confirmed_sats: number;
  /** the evaluation's settledAt and confirmedAt, kept for the daily report (docs/books.md#an-invoices-money) */
  paid_at: number | null;
  confirmed_at: number | null;
  next_check_at: number | null;
  updated_at: number;
}

export interface PaymentRow {
  id: number;
  txid: string;
  address_id: number;
  address: string;
  sats: number;
  invoice_id: string | null;
  height: number;
  /** The block's key (src/node/store/chain-sql.ts, `blockKey`); null while in the mempool. */
  block_key: number | null;
  block_time: number | null;
  first_seen: number;
  /** The payment time, set once when first recorded (src/core/payment-time.ts); null only on rows from before it. */
  time?: number | null;
  rbf: number;
  verified: number;
  state: 'active' | 'gone';
  unconfirmed_parent: number;
  mempool_servers: number;
  below_anchor: number;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A payment's time: the one recorded with it (src/core/payment-time.ts, docs/spec/invoices.md#payment-time). */
export function paymentTime(p: Pick<PaymentRow, 'first_seen' | 'block_time' | 'time'>): number {
  if (p.time !== undefined && p.time !== null) return p.time;
  return p.block_time !== null && p.block_time < p.first_seen ? p.block_time : p.first_seen;
}

export function termsOf(row: InvoiceRow): InvoiceTerms {
  return {
    amountSats: row.amount_sats,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    confirmationsRequired: row.confirmations_required,
    tolerancePct: row.tolerance_bp / 100,
    monitoringMs: row.monitoring_ms,
    zeroConfLimitSats: row.zero_conf_limit_sats,
    zeroConfRisk: row.zero_conf_risk,
    cancelledAt: row.cancelled_at,
    manual:
      row.manual_status !== null
        ? { status: row.manual_status, note: row.manual_note ?? '', at: row.manual_at ?? row.updated_at }
        : null,
  };
}

/**
 * When a mined payment reached `required` confirmations: the header time of the block that gave it the last of them
 * (docs/decisions/0055-confirmed-at-from-headers.md), never before its own time; null while it has not, or when that
 * header is not in our chain.
 */
export type ConfirmedAtOf = (height: number, time: number) => number | null;

export function headerConfirmedAt(db: DB, required: number): ConfirmedAtOf {
  return (height, time) => {
    if (height <= 0 || required <= 0) return null;
    const hex = (prepared(db, 'SELECT header FROM headers WHERE height = ?').get(height + required - 1) as { header: string } | undefined)?.header;
    return hex === undefined ? null : Math.max(time, parseHeader(hex).time * 1000);
  };
}

export function factsOf(payments: PaymentRow[], confirmedAtOf: ConfirmedAtOf = () => null): PaymentFact[] {
  return payments
    .filter((p) => p.state === 'active')
    .map((p) => {
      // A confirmation counts only once its merkle proof was verified against our header chain (docs/decisions/0012-confirmations-need-proofs.md).
      const height = p.height > 0 && p.verified ? p.height : 0;
      const time = paymentTime(p);
      return {
        txid: p.txid,
        sats: p.sats,
        height,
        time,
        rbf: p.rbf === 1,
        unconfirmedParent: p.unconfirmed_parent === 1,
        mempoolServers: p.mempool_servers,
        confirmedAt: confirmedAtOf(height, time),
      };
    });
}

export function parseFlags(s: string): InvoiceFlag[] {
  return s ? (s.split(',') as InvoiceFlag[]) : [];
}

export function getInvoiceRow(db: DB, id: string): InvoiceRow | undefined {
  return prepared(db, `SELECT ${INVOICE_COLUMNS} FROM invoices i WHERE i.id = ?`).get(id) as InvoiceRow | undefined;
}

export function paymentsOf(db: DB, invoiceId: string): PaymentRow[] {
  return prepared(db, `SELECT ${PAYMENT_COLUMNS} FROM payments p WHERE p.invoice_seq = ${invoiceSeqOf('?')} ORDER BY p.id`).all(invoiceId) as PaymentRow[];
}

/**
 * The next moment when time alone can change this invoice's evaluation or its address: expiry, the end of the
 * monitoring window, or the end of the pool release grace.
 */
function nextCheckAt(row: InvoiceRow, ev: Evaluation, graceMs: number, now: number): number | null {
  if (row.cancelled_at !== null || row.manual_status !== null) return null;
  switch (ev.status) {
    case 'unpaid':
    case 'partial':
      return row.expires_at;
    case 'paid':
      return row.expires_at + row.monitoring_ms;
    case 'expired':
      // Nothing received: the address goes back to the pool after the grace (a late payment inside it counts). Once
      // the grace is over nothing time-driven is left: a moment already past would make every tick re-read it.
      return ev.paidSats === 0 && row.released_at === null && now < row.expires_at + graceMs ? row.expires_at + graceMs : null;
    default:
      return null;
  }
}

export interface RefreshContext {
  now: number;
  tipHeight: number;
  graceMs: number;
  refundPolicy: string;
  /** Electrum servers configured: with two or more, a 0-conf payment must be in two mempools (default 1) */
  servers?: number;
  /** how the books value payments and refunds in fiat (docs/books.md#fiat-values); the service always gives it */
  rates?: RateContext;
}

/** Without a rate context (a caller that predates the books): the shop's default currency and no rate history. */
export const NO_RATES: RateContext = { currency: 'USD', history: null };

/** What one re-evaluation found and wrote. */
export interface Refreshed {
  /** The invoice row as it now stands in the database. */
  row: InvoiceRow;
  evaluation: Evaluation;
  /** The events written, in order. */
  events: { id: number; type: 'invoice.created' | InvoiceEventType }[];
  /** The invoice as the API shows it, when events carry it (null when nothing changed that anyone is told of). */
  view: Invoice | null;
}

/**
 * Recomputes one invoice from its facts (read once) and writes status, flags, sums, events and the address state,
 * inside the caller's transaction. `created` adds `invoice.created` first (a new invoice).
 */
export function refreshInvoice(db: DB, row: InvoiceRow, ctx: RefreshContext, opts: { created?: boolean } = {}): Refreshed {
  const payments = paymentsOf(db, row.id);
  const terms = termsOf(row);
  const facts = factsOf(payments, headerConfirmedAt(db, effectiveConfirmationsRequired(terms)));
  const ev = evaluate(terms, facts, ctx.tipHeight, ctx.now, { servers: ctx.servers ?? 1 });
  const prevFlags = parseFlags(row.flags);
  const flags = ev.flags.join(',');
  const transitions = transitionEvents({ status: row.status, flags: prevFlags }, ev);
  const next = nextCheckAt(row, ev, ctx.graceMs, ctx.now);
  const changed =
    ev.status !== row.status ||
    flags !== row.flags ||
    ev.paidSats !== row.paid_sats ||
    ev.confirmedSats !== row.confirmed_sats ||
    ev.settledAt !== row.paid_at ||
    ev.confirmedAt !== row.confirmed_at ||
    next !== row.next_check_at;
  const updated: InvoiceRow = changed
    ? {
        ...row,
        status: ev.status,
        flags,
        paid_sats: ev.paidSats,
        confirmed_sats: ev.confirmedSats,
        paid_at: ev.settledAt,
        confirmed_at: ev.confirmedAt,
        next_check_at: next,
        updated_at: ctx.now,
      }
    : row;
  if (changed) {
    prepared(
      db,
      `UPDATE invoices SET status_code = ?, flags = ?, paid_sats = ?, confirmed_sats = ?, paid_at = ?, confirmed_at = ?, next_check_at = ?,
         updated_at = ? WHERE seq = ?`,
    ).run(statusCode(ev.status), flags, ev.paidSats, ev.confirmedSats, ev.settledAt, ev.confirmedAt, next, ctx.now, row.seq);
  }
  applyAddressHolding(db, updated, ev, ctx);
  const events: Refreshed['events'] = [];
  let view: Invoice | null = null;
  if (opts.created || transitions.length) {
    view = invoiceView(db, updated, ctx, { payments, refunds: refundsOf(db, row.id) });
    if (opts.created) events.push({ id: insertEvent(db, 'invoice.created', row.id, null, { invoice: view }, ctx.now), type: 'invoice.created' });
    for (const e of transitions) {
      const data = {
        invoice: view,
        ...(e.from !== undefined && e.to !== undefined ? { from: e.from, to: e.to } : {}),
        ...(e.zeroConf !== undefined ? { zero_conf: e.zeroConf } : {}),
      };
      events.push({ id: insertEvent(db, e.type, row.id, null, data as EventData<typeof e.type>, ctx.now), type: e.type });
    }
  }
  return { row: updated, evaluation: ev, events, view };
}

/** Keeps or lets go of the invoice's address by the holding rule (docs/spec/wallet.md#holding-and-release). */
function applyAddressHolding(db: DB, row: InvoiceRow, ev: Evaluation, ctx: RefreshContext): void {
  const addr = prepared(db, 'SELECT id, origin, state, invoice_id FROM addresses WHERE id = ?').get(row.address_id) as
    | { id: number; origin: AddressOrigin; state: AddressState; invoice_id: string | null }
    | undefined;
  if (!addr || addr.invoice_id !== row.id) return; // the address already moved on to another invoice
  const hold = holdsAddress({
    status: ev.status,
    manualStatus: row.manual_status,
    released: row.released_at !== null,
    receivedSats: ev.paidSats,
    now: ctx.now,
    expiresAt: row.expires_at,
    graceMs: ctx.graceMs,
  });
  if (hold) {
    if (addr.state !== 'in_use') prepared(db, "UPDATE addresses SET state = 'in_use' WHERE id = ?").run(addr.id);
    return;
  }
  prepared(db, 'UPDATE addresses SET state = ?, invoice_id = NULL WHERE id = ?').run(releasedState(addr.origin, addr.state), addr.id);
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A `payment.reversed` event names the invoice the payment counted toward, as it stands once the reversal is
 * counted (docs/spec/invoices.md#events): written in the same transaction, after `refreshInvoice`, before anything
 * is published or planned.
 */
export function nameInvoiceOnEvents(db: DB, events: readonly { id: number; invoiceId: string }[], ctx: RefreshContext): void {
  for (const e of events) {
    const row = getInvoiceRow(db, e.invoiceId);
    const text = db.prepare('SELECT event_json(data) FROM events WHERE id = ?').pluck().get(e.id) as string | undefined;
    if (!row || text === undefined) continue;
    const data = { ...(JSON.parse(text) as Record<string, unknown>), invoice: invoiceView(db, row, ctx) };
    db.prepare('UPDATE events SET data = ? WHERE id = ?').run(packEventData(JSON.stringify(data)), e.id);
  }
}

/** The invoice as the API shows it; every money figure comes from the ledger (src/core/ledger.ts). */
export function invoiceView(
  db: DB,
  row: InvoiceRow,
  ctx: { tipHeight: number; refundPolicy: string; rates?: RateContext },
  preloaded?: { payments: PaymentRow[]; refunds: RefundRow[] },
): Invoice {
  const rates = ctx.rates ?? NO_RATES;
  const payments = preloaded?.payments ?? paymentsOf(db, row.id);
  const refunds = preloaded?.refunds ?? refundsOf(db, row.id);
  const tolerance = row.tolerance_bp / 100;
  const money = balance(
    { amountSats: row.amount_sats, tolerancePct: tolerance },
    { receivedSats: row.paid_sats, confirmedSats: row.confirmed_sats, refundedSats: refundedSats(refunds) },
  );
  return {
    id: row.id,
    status: row.status,
    flags: parseFlags(row.flags),
    amount_sats: row.amount_sats,
    amount_btc: formatBtc(row.amount_sats),
    fiat: invoiceFiatView(row),
    label: row.label,
    userdata: row.userdata,
    address: row.address,
    bip21: bip21(row.address, row.amount_sats, row.label || undefined),
    created_at: iso(row.created_at),
    expires_at: iso(row.expires_at),
    confirmations_required: row.confirmations_required,
    confirmations_requested: row.confirmations_requested ?? row.confirmations_required,
    confirmations_note: row.confirmations_note,
    tolerance_pct: tolerance,
    paid_sats: money.receivedSats,
    confirmed_sats: money.confirmedSats,
    missing_sats: money.missingSats,
    overpaid_sats: money.overpaidSats,
    due_sats: money.dueSats,
    refunded_sats: money.refundedSats,
    refundable_sats: money.refundableSats,
    net_sats: money.netSats,
    paid_at: row.paid_at !== null ? iso(row.paid_at) : null,
    confirmed_at: row.confirmed_at !== null ? iso(row.confirmed_at) : null,
    note: row.note,
    refund_policy: ctx.refundPolicy,
    refunds: refunds.map((r) => refundView(r, row, ctx.tipHeight, rates)),
    payments: payments.map((p) => paymentView(p, row, { tipHeight: ctx.tipHeight, rates })),
    ...saleFields(db, row.id),
  };
}

/** A payment as the API shows it, with its state and fiat value in the books. */
export function paymentView(
  p: PaymentRow,
  invoice: { fiat_currency: string | null; fiat_rate: string | null } | null,
  ctx: { tipHeight: number; rates: RateContext },
): Invoice['payments'][number] {
  const state = bookState({ gone: p.state === 'gone', invoiceId: p.invoice_id });
  const counts = state !== 'reversed';
  const time = paymentTime(p);
  return {
    txid: p.txid,
    sats: p.sats,
    height: counts ? p.height : 0,
    confirmations: counts ? confirmations(p.height, ctx.tipHeight, p.verified === 1) : 0,
    time: iso(time),
    rbf: p.rbf === 1,
    counted: state === 'counted',
    state,
    fiat: fiatValue(counts ? p.sats : 0, rateFact(invoice, time, ctx.rates)),
  };
}
