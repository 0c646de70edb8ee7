/**
 * Days and ranges for the books (docs/books.md#dates-and-ranges), and the daily report's arithmetic: which day a
 * moment falls on in the shop's time zone, and the figures of each day from the ledger's rows. Pure: the time zone
 * rules come from the JavaScript engine's Intl data, the rows from the caller.
 */
import { SatdeskError } from './errors.ts';
import { FiatSums, type BookState } from './ledger.ts';

const DAY_MS = 86_400_000;
/** The longest range a daily report covers. */
export const MAX_REPORT_DAYS = 366;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Is `tz` an IANA time zone name the engine knows ("Europe/Paris", "UTC")? */
export function isTimeZone(tz: unknown): tz is string {
  if (typeof tz !== 'string' || tz.length === 0 || tz.length > 64) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock fields of instant `t` in `tz`, as if they were UTC (ms). */
function wallAsUtc(t: number, tz: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(t))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** The calendar date (YYYY-MM-DD) of instant `t` in `tz`. */
export function dateOf(t: number, tz: string): string {
  return new Date(wallAsUtc(t, tz)).toISOString().slice(0, 10);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDate(s: string, field: string): number {
  const m = DATE_RE.exec(s);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== s) {
    throw new SatdeskError('invalid_request', `${field} must be a date (YYYY-MM-DD) or an ISO 8601 time, not "${s.slice(0, 40)}"`);
  }
  return t;
}

/** The instant a local day starts in `tz` (its first existing moment, also on a day whose midnight a DST change skips). */
export function startOfDate(date: string, tz: string): number {
  const midnight = parseDate(date, 'date');
  // Two rounds find the offset in force at local midnight, also across a DST change on that day.
  let t = midnight - (wallAsUtc(midnight, tz) - midnight);
  t = midnight - (wallAsUtc(t, tz) - t);
  // A midnight that does not exist (clocks jump from 23:59 to 01:00): the day starts at the jump.
  if (dateOf(t, tz) !== date) t += 3_600_000;
  return t;
}

function nextDate(date: string): string {
  return new Date(parseDate(date, 'date') + DAY_MS).toISOString().slice(0, 10);
}

export interface Day {
  date: string;
  /** first instant of the day (ms) */
  start: number;
  /** first instant of the next day (ms) */
  end: number;
}

/** The local days from `from` to `to` (both YYYY-MM-DD, inclusive) in `tz`. */
export function daysOf(from: string, to: string, tz: string, maxDays = MAX_REPORT_DAYS): Day[] {
  const a = parseDate(from, 'from');
  const b = parseDate(to, 'to');
  if (b < a) throw new SatdeskError('invalid_request', `to (${to}) is before from (${from})`);
  if ((b - a) / DAY_MS + 1 > maxDays) throw new SatdeskError('invalid_request', `a report covers at most ${maxDays} days`);
  const days: Day[] = [];
  let d = from;
  let start = startOfDate(d, tz);
  for (;;) {
    const next = nextDate(d);
    const end = startOfDate(next, tz);
    days.push({ date: d, start, end });
    if (d === to) return days;
    d = next;
    start = end;
  }
}

/**
 * A range of time from the API's `from`/`to` (docs/books.md#dates-and-ranges): each is a date (YYYY-MM-DD, a local
 * day in `tz`; `to` includes its whole day) or an ISO 8601 instant with its offset (`to` excluded). Missing ends are
 * open. Answers [start, end) in ms.
 */
export function timeRange(q: { from?: string | undefined; to?: string | undefined; tz: string }): { start: number; end: number } {
  const at = (s: string, field: 'from' | 'to'): number => {
    if (DATE_RE.test(s)) return field === 'from' ? startOfDate(s, q.tz) : startOfDate(nextDate(s), q.tz);
    const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(s) ? Date.parse(s) : NaN;
    if (Number.isNaN(t)) throw new SatdeskError('invalid_request', `${field} must be a date (YYYY-MM-DD) or an ISO 8601 time with its offset, not "${s.slice(0, 40)}"`);
    return t;
  };
  const start = q.from !== undefined ? at(q.from, 'from') : Number.MIN_SAFE_INTEGER;
  const end = q.to !== undefined ? at(q.to, 'to') : Number.MAX_SAFE_INTEGER;
  if (end <= start) throw new SatdeskError('invalid_request', 'to is before from: the range is empty');
  return { start, end };
}

// ---- the daily report ----------------------------------------------------------------------------------------------

export interface MoneyFigures {
  count: number;
  sats: number;
  fiat: { currency: string; amount: string; missing: number }[];
}

export interface DayFigures {
  date: string;
  from: string;
  to: string;
  invoices: { created: number; paid: number; confirmed: number };
  /** counted payments, by payment time */
  received: MoneyFigures;
  /** unattributed payments, by payment time */
  unattributed: MoneyFigures;
  /** refunds, by the time they were recorded */
  refunds: MoneyFigures;
  /** received + unattributed − refunds: the sum of the day's rows in payments.csv */
  net_sats: number;
}

/** A row of the books as the report reads it (the same rows payments.csv writes). */
export interface BookRow {
  kind: 'payment' | 'refund';
  /** payment time, or when the refund was recorded (ms) */
  time: number;
  /** positive for a payment, negative for a refund */
  sats: number;
  state: BookState | 'refund';
  fiat: { currency: string; amount: string | null };
}

class Bucket {
  count = 0;
  sats = 0;
  readonly fiat = new FiatSums();
  add(sats: number, fiat: { currency: string; amount: string | null }): void {
    this.count++;
    this.sats += sats;
    this.fiat.add(fiat);
  }
  merge(b: Bucket): void {
    this.count += b.count;
    this.sats += b.sats;
    this.fiat.merge(b.fiat);
  }
  figures(): MoneyFigures {
    return { count: this.count, sats: this.sats, fiat: this.fiat.list() };
  }
}

/** Accumulates book rows into days; invoice counts are set per day by the caller (they come from indexes). */
export class DailyReport {
  private readonly buckets: { received: Bucket; unattributed: Bucket; refunds: Bucket }[];
  private readonly counts: { created: number; paid: number; confirmed: number }[];

  constructor(readonly days: Day[]) {
    this.buckets = days.map(() => ({ received: new Bucket(), unattributed: new Bucket(), refunds: new Bucket() }));
    this.counts = days.map(() => ({ created: 0, paid: 0, confirmed: 0 }));
  }

  private indexOf(t: number): number {
    let lo = 0;
    let hi = this.days.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const d = this.days[mid]!;
      if (t < d.start) hi = mid - 1;
      else if (t >= d.end) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  setCounts(i: number, c: { created: number; paid: number; confirmed: number }): void {
    this.counts[i] = c;
  }

  /** Adds one row of the books; reversed payments and rows outside the days are left out. */
  add(r: BookRow): void {
    if (r.state === 'reversed') return;
    const i = this.indexOf(r.time);
    if (i < 0) return;
    const b = this.buckets[i]!;
    (r.kind === 'refund' ? b.refunds : r.state === 'unattributed' ? b.unattributed : b.received).add(r.sats, r.fiat);
  }

  private figures(date: string, from: number, to: number, c: { created: number; paid: number; confirmed: number }, b: { received: Bucket; unattributed: Bucket; refunds: Bucket }): DayFigures {
    return {
      date,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      invoices: { ...c },
      received: b.received.figures(),
      unattributed: b.unattributed.figures(),
      refunds: b.refunds.figures(),
      net_sats: b.received.sats + b.unattributed.sats + b.refunds.sats,
    };
  }

  result(): { days: DayFigures[]; totals: DayFigures } {
    const days = this.days.map((d, i) => this.figures(d.date, d.start, d.end, this.counts[i]!, this.buckets[i]!));
    const all = { received: new Bucket(), unattributed: new Bucket(), refunds: new Bucket() };
    const c = { created: 0, paid: 0, confirmed: 0 };
    this.buckets.forEach((b, i) => {
      all.received.merge(b.received);
      all.unattributed.merge(b.unattributed);
      all.refunds.merge(b.refunds);
      c.created += this.counts[i]!.created;
      c.paid += this.counts[i]!.paid;
      c.confirmed += this.counts[i]!.confirmed;
    });
    const first = this.days[0]!;
    const last = this.days[this.days.length - 1]!;
    const totals = this.figures(this.days.length === 1 ? first.date : `${first.date}..${last.date}`, first.start, last.end, c, all);
    // Refund sats are stored negative in the rows (they sum with payments); the figures show them as an amount.
    for (const f of [...days, totals]) f.refunds.sats = 0 - f.refunds.sats || 0;
    for (const f of [...days, totals]) f.refunds.fiat = f.refunds.fiat.map((x) => ({ ...x, amount: x.amount.startsWith('-') ? x.amount.slice(1) : x.amount }));
    return { days, totals };
  }
}
