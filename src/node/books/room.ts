/**
 * The books' handlers (docs/books.md): refunds, the two CSV exports, the totals of a filtered invoice list and the
 * daily report. Refunds are written through the service's unit of work; everything else reads a snapshot of its own.
 */
import { balance } from '../../core/ledger.ts';
import type { NetworkName } from '../../core/network.ts';
import type { Invoice, MethodInput, MethodOutput } from '../../shared/contract.ts';
import { OWNER } from '../../shared/contract-counter.ts';
import { insertEvent } from '../events.ts';
import type { Clock, InvoiceRow } from '../invoices.ts';
import type { DB } from '../store/sqlite.ts';
import { exportCsv } from './export-thread.ts';
import { invoiceWhere } from './filter.ts';
import type { RateContext, RatePolicy } from './rates.ts';
import { refundedSats, refundsOf, insertRefund, refundView } from './refunds.ts';
import { dailyReport, invoiceTotals, rangeOf } from './report.ts';

/** What the books need of the service. */
export interface BooksHost {
  readonly db: DB;
  readonly network: NetworkName;
  readonly clock: Clock;
  tipHeight(): number;
  write<T>(fn: () => T): T;
  rates(): RateContext;
  ratePolicy(): RatePolicy;
  mustInvoice(id: string): InvoiceRow;
  view(row: InvoiceRow): Invoice;
}

export class BooksRoom {
  constructor(private readonly s: BooksHost) {}

  private get file(): string {
    return this.s.db.name;
  }

  addRefund(id: string, body: MethodInput<'addRefund'>['body']): MethodOutput<'addRefund'> {
    const now = this.s.clock.now();
    return this.s.write(() => {
      const row = this.s.mustInvoice(id);
      const money = balance(
        { amountSats: row.amount_sats, tolerancePct: row.tolerance_bp / 100 },
        { receivedSats: row.paid_sats, confirmedSats: row.confirmed_sats, refundedSats: refundedSats(refundsOf(this.s.db, row.id)) },
      );
      const stored = insertRefund(this.s.db, this.s.network, row, money, body, now);
      const refund = refundView(stored, row, this.s.tipHeight(), this.s.rates());
      insertEvent(this.s.db, 'invoice.refund_recorded', row.id, null, { invoice: this.s.view(row), refund }, now);
      return refund;
    });
  }

  readonly handlers = {
    addRefund: ({ params, body }: MethodInput<'addRefund'>) => this.addRefund(params.id, body),
    exportInvoices: ({ query, auth }: MethodInput<'exportInvoices'>) => {
      const q = { status: query.status, q: query.q, range: rangeOf(query, auth ?? OWNER, this.s.clock.now()) };
      invoiceWhere(q);
      return exportCsv({ kind: 'invoices', file: this.file, query: q });
    },
    exportPayments: ({ query, auth }: MethodInput<'exportPayments'>) => {
      const q = { status: query.status, q: query.q, reversed: query.reversed ?? false, range: rangeOf(query, auth ?? OWNER, this.s.clock.now()) };
      invoiceWhere(q);
      return exportCsv({ kind: 'payments', file: this.file, query: q, rates: this.s.ratePolicy() });
    },
    invoiceTotals: ({ query, auth }: MethodInput<'invoiceTotals'>) =>
      invoiceTotals(this.file, { status: query.status, q: query.q, range: rangeOf(query, auth ?? OWNER, this.s.clock.now()) }),
    dailyReport: ({ query, auth }: MethodInput<'dailyReport'>) => dailyReport(this.file, query, this.s.rates(), auth ?? OWNER, this.s.clock.now()),
  };
}
