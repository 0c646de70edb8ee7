/**
 * The daily report and the totals of a filtered invoice list (docs/books.md#the-daily-report): read from one
 * snapshot (BookReader), from the same rows payments.csv writes, so the report and the export agree to the satoshi.
 * Long reads yield to the event loop between chunks.
 */
import { SatdeskError } from '../../core/errors.ts';
import { FiatSums, type BookState } from '../../core/ledger.ts';
import { DailyReport, dateOf, daysOf, isTimeZone, timeRange, type DayFigures } from '../../core/report.ts';
import type { MethodOutput } from '../../shared/contract.ts';
import type { Principal } from '../../shared/contract-counter.ts';
import { breathe } from './export.ts';
import { invoiceWhere, type InvoiceFilter } from './filter.ts';
import type { RateContext } from './rates.ts';
import { BookReader, CHUNK_ROWS, balanceOf, type Range } from './rows.ts';
import { prepared, type DB } from '../store/sqlite.ts';

/** The time zone of this machine (where `serve` or the desktop app runs): the default for dates. */
export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function zoneOf(tz: string | undefined): string {
  const zone: string = tz ?? machineTimeZone();
  if (!isTimeZone(zone)) throw new SatdeskError('invalid_request', `tz must be an IANA time zone such as Europe/Paris, not "${String(zone).slice(0, 64)}"`);
  return zone;
}

/** The time range of a books query; a cashier's ends at nothing older than today (docs/counter.md: today's sales). */
export function rangeOf(q: { from?: string | undefined; to?: string | undefined; tz?: string | undefined }, auth: Principal, now: number): Range {
  const tz = zoneOf(q.tz);
  const r = timeRange({ from: q.from, to: q.to, tz });
  if (auth.role !== 'cashier') return r;
  const today = timeRange({ from: dateOf(now, machineTimeZone()), tz: machineTimeZone() }).start;
  return { start: Math.max(r.start, today), end: Math.max(r.end, today + 1) };
}

export interface ReportQuery {
  from?: string | undefined;
  to?: string | undefined;
  tz?: string | undefined;
}

/** The length of a quarter hour, the unit invoice_quarters counts in (migration 022). */
const QUARTER_MS = 900_000;

/**
 * How many invoices became paid, and confirmed, in [start, end). From the counts per quarter hour kept in
 * invoice_quarters when both ends fall on a quarter hour, as every local midnight does
 * (docs/decisions/0101-live-indexes.md); otherwise counted over the invoices themselves, a walk over all of them.
 */
export function settledCounts(db: DB, start: number, end: number): { paid: number; confirmed: number } {
  if (start % QUARTER_MS === 0 && end % QUARTER_MS === 0) {
    return prepared(db, 'SELECT COALESCE(SUM(paid), 0) AS paid, COALESCE(SUM(confirmed), 0) AS confirmed FROM invoice_quarters WHERE quarter >= ? AND quarter < ?')
      .get(start / QUARTER_MS, end / QUARTER_MS) as { paid: number; confirmed: number };
  }
  return prepared(
    db,
    `SELECT COALESCE(SUM(paid_at >= @start AND paid_at < @end), 0) AS paid,
       COALESCE(SUM(confirmed_at >= @start AND confirmed_at < @end), 0) AS confirmed FROM invoices`,
  ).get({ start, end }) as { paid: number; confirmed: number };
}

/** GET /reports/daily: per local day, invoices created, paid and confirmed, and the money of the books' rows. */
export async function dailyReport(file: string, q: ReportQuery, rates: RateContext, auth: Principal, now: number): Promise<MethodOutput<'dailyReport'>> {
  const tz = zoneOf(q.tz);
  const today = dateOf(now, tz);
  const from = q.from ?? q.to ?? today;
  const to = q.to ?? from;
  if (auth.role === 'cashier' && (from !== dateOf(now, machineTimeZone()) || to !== from || tz !== machineTimeZone())) {
    throw new SatdeskError('forbidden', 'A cashier sees only today\u2019s totals.');
  }
  const days = daysOf(from, to, tz);
  const report = new DailyReport(days);
  const reader = new BookReader(file);
  try {
    const created = reader.db.prepare('SELECT COUNT(*) AS n FROM invoices WHERE created_at >= ? AND created_at < ?').pluck();
    days.forEach((d, i) => report.setCounts(i, { created: created.get(d.start, d.end) as number, ...settledCounts(reader.db, d.start, d.end) }));
    const range = { start: days[0]!.start, end: days[days.length - 1]!.end };
    for (const rows of reader.ledgerChunks({ range }, rates)) {
      for (const r of rows) report.add({ kind: r.kind, time: r.time, sats: r.sats, state: r.kind === 'refund' ? 'refund' : (r.state as BookState), fiat: r.fiat });
      await breathe();
    }
  } finally {
    reader.close();
  }
  const { days: figures, totals } = report.result();
  return { tz, currency: rates.currency, days: figures as DayFigures[], totals, generated_at: new Date(now).toISOString() };
}

/** GET /reports/invoices: the sums of every invoice the list's filter matches (the console shows them under the list). */
export async function invoiceTotals(file: string, q: InvoiceFilter & { range: Range }): Promise<MethodOutput<'invoiceTotals'>> {
  invoiceWhere(q); // refuses a bad filter before any read
  const t = { count: 0, amount_sats: 0, due_sats: 0, paid_sats: 0, confirmed_sats: 0, missing_sats: 0, overpaid_sats: 0, refunded_sats: 0, net_sats: 0 };
  const fiat = new FiatSums();
  const reader = new BookReader(file);
  try {
    let n = 0;
    for (const r of reader.invoiceRows(q)) {
      const b = balanceOf(r);
      t.count++;
      t.amount_sats += r.amount_sats;
      t.due_sats += b.dueSats;
      t.paid_sats += b.receivedSats;
      t.confirmed_sats += b.confirmedSats;
      t.missing_sats += b.missingSats;
      t.overpaid_sats += b.overpaidSats;
      t.refunded_sats += b.refundedSats;
      t.net_sats += b.netSats;
      if (r.fiat_currency !== null && r.fiat_amount !== null) fiat.add({ currency: r.fiat_currency, amount: r.fiat_amount });
      if (++n % CHUNK_ROWS === 0) await breathe();
    }
  } finally {
    reader.close();
  }
  return { ...t, fiat: fiat.list() };
}
