/**
 * The invoices room: create (with idempotency keys), list, read, cancel, mark, refund, and the time-driven
 * re-evaluation (docs/spec/invoices.md). Every change recomputes the invoice with `refreshInvoice` inside the unit of
 * work, and answers with what that returned instead of reading back what it just wrote.
 */
import crypto from 'node:crypto';
import { limit, prepared } from '../store/sqlite.ts';
import { INVOICE_COLUMNS, PAYMENT_COLUMNS, statusIs } from '../store/chain-sql.ts';
import { statusCode, zeroConfCode } from '../store/codes.ts';
import { SatdeskError } from '../../core/errors.ts';
import { parseBtc, parseSatsAmount } from '../../core/money.ts';
import { assertAboveDust } from '../../core/counter.ts';
import { capConfirmations } from '../../core/zeroconf.ts';
import { validateAddress } from '../../core/wallet/address.ts';
import type { MarkAction } from '../../core/vocabulary.ts';
import type { Invoice, MethodInput, MethodOutput } from '../../shared/contract.ts';
import { OWNER } from '../../shared/contract-counter.ts';
import { insertEvent } from '../events.ts';
import { getInvoiceRow, invoiceView, refreshInvoice, type InvoiceRow, type PaymentRow, type RefundRow } from '../invoices.ts';
import { insertSale, saleTerms } from '../counter/sales.ts';
import { rangeOf } from '../books/report.ts';
import { searchInvoices } from '../search.ts';
import { priceInFiat, type RateLockColumns } from '../rates/lock.ts';
import type { RateDecision } from '../../core/rates.ts';
import type { Handlers, ServiceCore } from './context.ts';
import { decodeCursor, page, randomId } from './paging.ts';

const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

type CreateBody = NonNullable<MethodInput<'createInvoice'>['body']>;
type Fiat = { amount: string; currency: string; rate: string };
const NO_LOCK: RateLockColumns = { fiat_rate_kind: null, fiat_rate_sources: null, fiat_rate_at: null, fiat_market_rate: null, fiat_spread_bp: null };

/**
 * The amount of a new invoice from exactly one of amount_sats, amount_btc or amount_fiat (+ currency). A fiat amount
 * is priced at the live (or manual) rate, which is locked into the invoice; none, or a stale one, answers 503
 * (docs/rates.md).
 */
function requestedAmount(
  body: CreateBody,
  defaultCurrency: string,
  decide: (currency: string) => RateDecision,
): { sats: number; fiat: Fiat | null; lock: RateLockColumns } {
  const given = (['amount_sats', 'amount_btc', 'amount_fiat'] as const).filter((k) => body[k] !== undefined);
  if (given.length !== 1) {
    throw new SatdeskError(
      'invalid_amount',
      given.length ? `Give exactly one amount, not ${given.join(' and ')}.` : 'An amount is required: amount_sats, amount_btc or amount_fiat + currency.',
    );
  }
  if (body.currency !== undefined && body.amount_fiat === undefined) {
    throw new SatdeskError('invalid_request', 'currency goes with amount_fiat only.');
  }
  if (body.amount_sats !== undefined) return { sats: parseSatsAmount(body.amount_sats), fiat: null, lock: NO_LOCK };
  if (body.amount_btc !== undefined) {
    if (typeof body.amount_btc !== 'string') throw new SatdeskError('invalid_amount', 'amount_btc must be a string such as "0.001".');
    const sats = parseBtc(body.amount_btc);
    if (sats <= 0) throw new SatdeskError('invalid_amount', 'The amount must be above zero.');
    return { sats, fiat: null, lock: NO_LOCK };
  }
  if (typeof body.amount_fiat !== 'string') throw new SatdeskError('invalid_amount', 'amount_fiat must be a decimal string such as "12.50".');
  return priceInFiat(body.amount_fiat, decide(body.currency ?? defaultCurrency));
}

function toleranceBp(pct: number): number {
  const bp = Math.round(pct * 100);
  if (Math.abs(bp - pct * 100) > 1e-9) throw new SatdeskError('invalid_request', 'tolerance_pct has at most 2 decimals.');
  return bp;
}

export class InvoicesRoom {
  constructor(private readonly s: ServiceCore) {}

  view(row: InvoiceRow, preloaded?: { payments: PaymentRow[]; refunds: RefundRow[] }): Invoice {
    return invoiceView(this.s.db, row, { tipHeight: this.s.tipHeight(), refundPolicy: this.s.settings.refund_policy, rates: this.s.rates() }, preloaded);
  }

  mustInvoice(id: string): InvoiceRow {
    const row = getInvoiceRow(this.s.db, id);
    // Echo only what looks like one of our ids: a path segment may hold anything a user pasted.
    if (!row) throw new SatdeskError('not_found', /^[0-9a-z]{1,40}$/.test(id) ? `No invoice ${id}.` : 'No such invoice.');
    return row;
  }

  /** The invoice an earlier request with this Idempotency-Key made, if it is still kept; 409 for another body. */
  private idempotent(key: string | undefined, requestHash: string, now: number): InvoiceRow | null {
    if (key === undefined) return null;
    if (key.length < 1 || key.length > 200) throw new SatdeskError('invalid_request', 'Idempotency-Key must be 1–200 characters.');
    const seen = prepared(this.s.db, 'SELECT request_hash, invoice_id, created_at FROM idempotency_keys WHERE key = ?').get(key) as
      | { request_hash: string; invoice_id: string; created_at: number }
      | undefined;
    if (!seen || seen.created_at <= now - IDEMPOTENCY_TTL_MS) return null;
    if (seen.request_hash !== requestHash) throw new SatdeskError('idempotency_conflict', 'This Idempotency-Key was used with a different request.');
    return this.mustInvoice(seen.invoice_id);
  }

  create(input: MethodInput<'createInvoice'>): Invoice {
    const { db, settings } = this.s;
    const body = input.body ?? {};
    const now = this.s.clock.now();
    const key = input.headers['idempotency-key'];
    const requestHash = crypto.createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const earlier = this.idempotent(key, requestHash, now);
    if (earlier) return this.view(earlier);
    // A till sale: the tip on top of the amount, quick-item lines, the till (docs/counter.md).
    const amount = requestedAmount(body, settings.fiat.currency, (currency) => this.s.liveRates.decide(currency, now));
    const sale = saleTerms(db, body, amount, input.auth ?? OWNER);
    const { sats, fiat } = sale;
    const d = settings.invoice;
    const expiresAt = now + (body.expires_in_s ?? d.expires_in_s) * 1000;
    const bp = toleranceBp(body.tolerance_pct ?? d.tolerance_pct);
    const id = randomId();
    // 0-conf is a policy applied once, here (src/core/zeroconf.ts): the invoice keeps what was asked and why it differs.
    const requested = body.confirmations ?? d.confirmations;
    const conf = capConfirmations(requested, sats, { limitSats: d.zero_conf_limit_sats, risk: d.zero_conf_risk });
    return this.s.uow.write(() => {
      const addr = this.s.pool.take();
      assertAboveDust(sats, validateAddress(addr.address, this.s.network).type);
      const tip = this.s.tipHeight();
      const row: InvoiceRow = {
        seq: 0, id, status: 'unpaid', flags: '', amount_sats: sats, fiat_amount: fiat?.amount ?? null,
        fiat_currency: fiat?.currency ?? null, fiat_rate: fiat?.rate ?? null, label: body.label ?? '', userdata: body.userdata ?? '',
        address_id: addr.id, address: addr.address, created_at: now, expires_at: expiresAt,
        confirmations_required: conf.required, tolerance_bp: bp, monitoring_ms: d.monitoring_s * 1000,
        zero_conf_limit_sats: d.zero_conf_limit_sats, zero_conf_risk: d.zero_conf_risk, confirmations_requested: requested,
        confirmations_note: conf.capped, taken_tip_height: tip > 0 ? tip : null, cancelled_at: null, manual_status: null, manual_note: null, manual_at: null,
        released_at: null, note: '', paid_sats: 0, confirmed_sats: 0, paid_at: null, confirmed_at: null, next_check_at: expiresAt,
        updated_at: now, ...amount.lock,
      };
      const r = prepared(
          db,
          `INSERT INTO invoices (id, status_code, amount_sats, fiat_amount, fiat_currency, fiat_rate, label, userdata, address_id,
             created_at, expires_at, confirmations_required, tolerance_bp, monitoring_ms, zero_conf_limit_sats,
             next_check_at, updated_at, confirmations_requested, confirmations_note, zero_conf_code, taken_tip_height,
             fiat_rate_kind, fiat_rate_sources, fiat_rate_at, fiat_market_rate, fiat_spread_bp)
           VALUES (@id, @status_code, @amount_sats, @fiat_amount, @fiat_currency, @fiat_rate, @label, @userdata, @address_id,
             @created_at, @expires_at, @confirmations_required, @tolerance_bp, @monitoring_ms, @zero_conf_limit_sats,
             @next_check_at, @updated_at, @confirmations_requested, @confirmations_note, @zero_conf_code, @taken_tip_height,
             @fiat_rate_kind, @fiat_rate_sources, @fiat_rate_at, @fiat_market_rate, @fiat_spread_bp)`,
        ).run({ ...row, status_code: statusCode(row.status), zero_conf_code: zeroConfCode(row.zero_conf_risk) });
      row.seq = Number(r.lastInsertRowid);
      this.s.pool.hold(addr.id, id);
      if (key !== undefined) {
        prepared(db, 'INSERT OR REPLACE INTO idempotency_keys (key, request_hash, invoice_id, created_at) VALUES (?, ?, ?, ?)').run(key, requestHash, id, now);
      }
      insertSale(db, id, sale, now);
      const refreshed = refreshInvoice(db, row, this.s.refreshContext(now), { created: true });
      this.gapAlert(now);
      return refreshed.view ?? this.view(refreshed.row);
    });
  }

  /** docs/spec/wallet.md#the-gap: the gap crossing 20, 50, 100, 200, 500, … alerts the merchant once, with how to fix it. */
  private gapAlert(now: number): void {
    const crossed = this.s.pool.gapCrossing();
    if (crossed) insertEvent(this.s.db, 'wallet.gap_warning', null, null, { gap: crossed.gap, message: this.s.pool.gapWarning(crossed.gap)! }, now);
  }

  list(q: MethodInput<'listInvoices'>['query']): MethodOutput<'listInvoices'> {
    const db = this.s.db;
    const before = decodeCursor(q.cursor);
    // A time range, as the totals and the exports read it (docs/books.md#dates-and-ranges).
    const created = q.from !== undefined || q.to !== undefined ? rangeOf(q, OWNER, this.s.clock.now()) : undefined;
    let rows: InvoiceRow[];
    if (q.q) rows = searchInvoices(db, { term: q.q, before, status: q.status, created, limit: q.limit + 1 });
    else {
      const where: string[] = ['seq < ?'];
      const args: (string | number)[] = [before];
      if (q.status) {
        where.push(statusIs('status', '?', q.status));
        args.push(q.status);
      }
      if (created) {
        where.push('created_at >= ? AND created_at < ?');
        args.push(created.start, created.end);
      }
      rows = db.prepare(`SELECT ${INVOICE_COLUMNS} FROM invoices i WHERE ${where.join(' AND ')} ORDER BY seq DESC ${limit(q.limit + 1)}`).all(...args) as InvoiceRow[];
    }
    const { items, next_cursor } = page(rows, q.limit, (r) => r.seq);
    const ids = items.map((r) => r.id);
    const payments = new Map<string, PaymentRow[]>();
    const refunds = new Map<string, RefundRow[]>();
    if (ids.length) {
      const marks = ids.map(() => '?').join(',');
      // Payments name their invoice by its row number (docs/decisions/0102-payment-invoice-seq.md): the page has them.
      for (const p of db.prepare(`SELECT ${PAYMENT_COLUMNS} FROM payments p WHERE p.invoice_seq IN (${marks}) ORDER BY p.id`).all(...items.map((r) => r.seq)) as PaymentRow[]) {
        payments.set(p.invoice_id!, [...(payments.get(p.invoice_id!) ?? []), p]);
      }
      for (const r of db.prepare(`SELECT * FROM refunds WHERE invoice_id IN (${marks}) ORDER BY id`).all(...ids) as RefundRow[]) {
        refunds.set(r.invoice_id, [...(refunds.get(r.invoice_id) ?? []), r]);
      }
    }
    return { invoices: items.map((r) => this.view(r, { payments: payments.get(r.id) ?? [], refunds: refunds.get(r.id) ?? [] })), next_cursor };
  }

  /** Applies a merchant's change to the row, then recomputes the invoice from it. */
  private change(id: string, now: number, edit: (row: InvoiceRow) => Partial<InvoiceRow> | null): Invoice {
    return this.s.uow.write(() => {
      const row = this.mustInvoice(id);
      const patch = edit(row);
      if (!patch) return this.view(row);
      const next = { ...row, ...patch, updated_at: now };
      const cols = Object.keys(patch).concat('updated_at');
      this.s.db.prepare(`UPDATE invoices SET ${cols.map((c) => `${c} = @${c}`).join(', ')} WHERE seq = @seq`).run(next);
      const refreshed = refreshInvoice(this.s.db, next, this.s.refreshContext(now));
      return refreshed.view ?? this.view(refreshed.row);
    });
  }

  cancel(id: string): Invoice {
    const now = this.s.clock.now();
    return this.change(id, now, (row) => {
      if (row.cancelled_at !== null) return null;
      if (row.status === 'confirmed') throw new SatdeskError('invalid_request', 'A confirmed invoice cannot be cancelled; record a refund instead.');
      return { cancelled_at: now };
    });
  }

  mark(id: string, status: MarkAction, note: string): Invoice {
    const now = this.s.clock.now();
    return this.change(id, now, (row) => {
      if (status === 'confirmed' && row.paid_sats === 0 && !note.trim()) {
        throw new SatdeskError('invalid_request', 'This invoice received nothing: marking it confirmed needs a note saying why (e.g. paid in cash).');
      }
      const kept = note === '' ? row.note : note;
      // `released` frees a held pool address (expired-partial, invalid, cancelled after payment) without changing status.
      if (status === 'released') return { released_at: now, note: kept };
      return { manual_status: status, manual_note: note, manual_at: now, note: kept };
    });
  }

  /** Time-driven re-evaluation (docs/spec/invoices.md#time-driven-changes): expiry, monitoring window, release grace. */
  tick(now = this.s.clock.now()): number {
    const db = this.s.db;
    const due = db
      .prepare(`SELECT ${INVOICE_COLUMNS} FROM invoices i WHERE i.next_check_at IS NOT NULL AND i.next_check_at <= ? ORDER BY i.next_check_at LIMIT 500`)
      .all(now) as InvoiceRow[];
    if (!due.length) return 0;
    const ctx = this.s.refreshContext(now);
    this.s.uow.write(() => {
      for (const row of due) refreshInvoice(db, row, ctx);
      db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?').run(now - IDEMPOTENCY_TTL_MS);
    });
    return due.length;
  }

  nextTickAt(): number | null {
    return (prepared(this.s.db, 'SELECT MIN(next_check_at) AS t FROM invoices WHERE next_check_at IS NOT NULL').get() as { t: number | null }).t;
  }

  readonly handlers = {
    createInvoice: (input) => this.create(input),
    listInvoices: ({ query }) => this.list(query),
    getInvoice: ({ params }) => this.view(this.mustInvoice(params.id)),
    cancelInvoice: ({ params }) => this.cancel(params.id),
    markInvoice: ({ params, body }) => this.mark(params.id, body.status, body.note),
  } satisfies Partial<Handlers>;
}
