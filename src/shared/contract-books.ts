/**
 * The books part of the contract (docs/books.md): what a payment and a refund show of the ledger, the refund
 * request, the exports' filters, the totals of a filtered list and the daily report.
 */
import { z } from 'zod';
import { BOOK_STATES } from '../core/ledger.ts';
import { INVOICE_STATUSES } from '../core/vocabulary.ts';
import type { Role } from './contract-counter.ts';
import type { MethodDef } from './contract.ts';

const ISO = z.string();
const Sats = z.number().int();

/** A fiat value in the books: an amount at a rate and its basis, or no amount and the reason. */
export const FiatValueSchema = z.object({
  currency: z.string(),
  amount: z.string().nullable(),
  rate: z.string().nullable(),
  basis: z.enum(['invoice', 'manual', 'history']).nullable(),
  reason: z.string().nullable(),
});

/** What each payment of an invoice adds to the API's Payment: its state in the books and its fiat value. */
export const PaymentBookShape = {
  state: z.enum(BOOK_STATES),
  fiat: FiatValueSchema,
};

export const RefundStateSchema = z.enum(['recorded', 'sent', 'confirmed']);

export const RefundSchema = z.object({
  id: z.number().int(),
  sats: Sats,
  /** the refund's transaction: typed by the merchant, or found by Satdesk paying the refund address */
  txid: z.string().nullable(),
  note: z.string(),
  created_at: ISO,
  /** the customer's refund address (watched until the refund confirms) */
  address: z.string().nullable(),
  state: RefundStateSchema,
  height: z.number().int().nullable(),
  confirmations: z.number().int(),
  /** a BIP21 link for the merchant's wallet to pay the refund */
  bip21: z.string().nullable(),
  fiat: FiatValueSchema,
});

/** What an invoice adds to the API's Invoice: the rest of its money, from the ledger. */
export const InvoiceBookShape = {
  due_sats: Sats,
  refunded_sats: Sats,
  refundable_sats: Sats,
  net_sats: Sats,
  /** when the due amount was received (the completing payment's time); null below due */
  paid_at: ISO.nullable(),
  /** when it became confirmed; null unless confirmed */
  confirmed_at: ISO.nullable(),
};

const Txid = z.string().regex(/^[0-9a-fA-F]{64}$/, 'txid must be 64 hex characters');

export const AddRefundSchema = z.strictObject({
  sats: z.unknown(),
  /** the customer's address to refund to, checked for this data dir's network */
  address: z.string().min(1).max(200).nullable().optional(),
  txid: Txid.nullable().optional(),
  note: z.string().max(2000).optional(),
});

const DateOrTime = z.string().min(10).max(40);
const Flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

/** The invoice list's filter (the console's status chips and search) plus a time range. */
export const BooksFilterShape = {
  status: z.enum(INVOICE_STATUSES).optional(),
  q: z.string().max(200).optional(),
  /** a date (YYYY-MM-DD, a local day in tz) or an ISO 8601 time with its offset (docs/books.md#dates-and-ranges) */
  from: DateOrTime.optional(),
  to: DateOrTime.optional(),
  /** IANA time zone of the dates, e.g. Europe/Paris (default: the machine's) */
  tz: z.string().min(1).max(64).optional(),
};
export const BooksFilterSchema = z.strictObject(BooksFilterShape);
export const PaymentsExportSchema = z.strictObject({ ...BooksFilterShape, reversed: Flag.optional() });

const FiatSumSchema = z.object({ currency: z.string(), amount: z.string(), missing: z.number().int() });
const MoneyFiguresSchema = z.object({ count: z.number().int(), sats: Sats, fiat: z.array(FiatSumSchema) });

export const DayFiguresSchema = z.object({
  date: z.string(),
  from: ISO,
  to: ISO,
  invoices: z.object({ created: z.number().int(), paid: z.number().int(), confirmed: z.number().int() }),
  received: MoneyFiguresSchema,
  unattributed: MoneyFiguresSchema,
  refunds: MoneyFiguresSchema,
  net_sats: Sats,
});

export const DailyReportSchema = z.object({
  tz: z.string(),
  currency: z.string(),
  days: z.array(DayFiguresSchema),
  totals: DayFiguresSchema,
  generated_at: ISO,
});

export const InvoiceTotalsSchema = z.object({
  count: z.number().int(),
  amount_sats: Sats,
  due_sats: Sats,
  paid_sats: Sats,
  confirmed_sats: Sats,
  missing_sats: Sats,
  overpaid_sats: Sats,
  refunded_sats: Sats,
  net_sats: Sats,
  /** the fiat prices of the invoices priced in fiat, per currency */
  fiat: z.array(FiatSumSchema),
});

const OWNER_CASHIER = ['owner', 'cashier'] as const satisfies readonly Role[];

export const booksMethods = {
  addRefund: {
    http: { method: 'POST', path: '/invoices/:id/refunds', status: 201 },
    params: z.strictObject({ id: z.string().min(1).max(100) }),
    body: AddRefundSchema,
    response: RefundSchema,
  },
  exportInvoices: {
    http: { method: 'GET', path: '/export/invoices.csv' },
    query: BooksFilterSchema,
    contentType: 'text/csv',
    response: z.string(),
  },
  exportPayments: {
    http: { method: 'GET', path: '/export/payments.csv' },
    query: PaymentsExportSchema,
    contentType: 'text/csv',
    response: z.string(),
  },
  invoiceTotals: {
    http: { method: 'GET', path: '/reports/invoices' },
    roles: OWNER_CASHIER,
    query: BooksFilterSchema,
    response: InvoiceTotalsSchema,
  },
  dailyReport: {
    http: { method: 'GET', path: '/reports/daily' },
    roles: OWNER_CASHIER,
    query: z.strictObject({ from: z.string().max(10).optional(), to: z.string().max(10).optional(), tz: z.string().min(1).max(64).optional() }),
    response: DailyReportSchema,
  },
} satisfies Record<string, MethodDef>;
