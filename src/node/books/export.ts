/**
 * invoices.csv and payments.csv (docs/books.md#exports): written as they are read, a chunk at a time, yielding to
 * the event loop between chunks, so the API, payment detection and callbacks go on during an export of years of
 * sales. The consumer pulls the next chunk only when it wrote the last one (back-pressure). The header rows are the
 * ones docs/books.md documents (test/unit/books-docs.test.ts keeps them equal).
 */
import { formatBtc } from '../../core/money.ts';
import { csvCell, csvLine } from '../csv.ts';
import { BookReader, PAGE_ROWS, balanceOf, type InvoiceBookRow, type LedgerQuery, type LedgerRow, type Range } from './rows.ts';
import type { InvoiceFilter } from './filter.ts';
import { rateContext, type RatePolicy } from './rates.ts';

export const INVOICES_CSV_COLUMNS = [
  'id', 'created_at', 'expires_at', 'status', 'flags', 'order_ref', 'label', 'amount_sats', 'amount_btc', 'due_sats',
  'paid_sats', 'confirmed_sats', 'missing_sats', 'overpaid_sats', 'refunded_sats', 'net_sats', 'tip_sats', 'tip_fiat',
  'fiat_amount', 'fiat_currency', 'fiat_rate', 'address', 'paid_at', 'confirmed_at', 'note',
] as const;

export const PAYMENTS_CSV_COLUMNS = [
  'time', 'type', 'state', 'sats', 'btc', 'fiat_amount', 'fiat_currency', 'fiat_rate', 'fiat_basis', 'fiat_note',
  'invoice_id', 'order_ref', 'label', 'txid', 'address', 'height', 'confirmations', 'rbf', 'reversed_sats', 'note',
] as const;

const DAY_MS = 86_400_000;
/** The date part per day: a row's times (created, expires, paid, confirmed) fall on a few days, not one. */
const isoDates = new Map<number, string>();

/**
 * ISO 8601 UTC with milliseconds, as Date#toISOString writes it, several times faster for a file of a million rows:
 * the date part is remembered per day, the time of day is integer arithmetic. Empty for null.
 */
export function iso(ms: number | null): string {
  if (ms === null) return '';
  const day = Math.floor(ms / DAY_MS);
  let isoDate = isoDates.get(day);
  if (isoDate === undefined) {
    if (isoDates.size >= 4096) isoDates.clear();
    isoDate = new Date(day * DAY_MS).toISOString().slice(0, 11);
    isoDates.set(day, isoDate);
  }
  const t = ms - day * DAY_MS;
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor(t / 60_000) % 60;
  const sec = Math.floor(t / 1000) % 60;
  const milli = t % 1000;
  return `${isoDate}${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}:${sec < 10 ? '0' : ''}${sec}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** A signed sats amount as BTC with 8 decimals ("-0.00002000"). */
function signedBtc(sats: number): string {
  return sats < 0 ? `-${formatBtc(-sats)}` : formatBtc(sats);
}

/** An optional text cell: empty for null, escaped otherwise. */
const opt = (v: string | null): string => (v === null ? '' : csvCell(v));

/**
 * One row of invoices.csv. Cells Satdesk writes itself (ids, statuses, times, amounts, addresses) cannot hold a quote,
 * a comma or a formula sign and go out as they are; text that comes from a shop or a customer is escaped.
 */
export function invoiceLine(r: InvoiceBookRow): string {
  const b = balanceOf(r);
  return (
    `${r.id},${iso(r.created_at)},${iso(r.expires_at)},${r.status},${r.flags.replace(/,/g, ' ')},${csvCell(r.userdata)},${csvCell(r.label)},` +
    `${r.amount_sats},${formatBtc(r.amount_sats)},${b.dueSats},${b.receivedSats},${b.confirmedSats},${b.missingSats},${b.overpaidSats},` +
    `${b.refundedSats},${b.netSats},${r.tip_sats ?? 0},${opt(r.tip_fiat)},${opt(r.fiat_amount)},${opt(r.fiat_currency)},${opt(r.fiat_rate)},` +
    `${r.address},${iso(r.paid_at)},${iso(r.confirmed_at)},${csvCell(r.note)}\r\n`
  );
}

export function ledgerLine(r: LedgerRow): string {
  return csvLine([
    iso(r.time), r.kind, r.state, r.sats, signedBtc(r.sats), r.fiat.amount ?? '', r.fiat.currency, r.fiat.rate ?? '',
    r.fiat.basis ?? '', r.fiat.reason ?? '', r.invoiceId ?? '', r.userdata, r.label, r.txid ?? '', r.address ?? '',
    r.height, r.confirmations, r.rbf ? 'yes' : 'no', r.reversedSats, r.note,
  ]);
}

/** Lets the event loop run (timers, sockets, the watcher) between two chunks. */
export const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Bytes per chunk handed to the response: a few hundred rows. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Work between two breaths, in ms: a request that arrives meanwhile waits at most about this long (/health stays
 * fast during an export of a million invoices). Rows format at different speeds on a busy machine, so the export
 * breathes by the clock, looked at every SLICE_CHECK rows, rather than every so many rows.
 */
const SLICE_MS = 4;
const SLICE_CHECK = 64;

/** Where an export's chunks live, and how often it lets its event loop run. */
export interface ChunkMemory {
  /** a buffer of `size` bytes (the worker thread's are shared with the thread that sends them) */
  alloc: (size: number) => Buffer;
  /** ms of work between two breaths (Infinity on a worker thread: nothing else waits on its event loop) */
  sliceMs: number;
}

const IN_PROCESS: ChunkMemory = { alloc: (size) => Buffer.allocUnsafe(size), sliceMs: SLICE_MS };

/**
 * A CSV file as chunks of bytes: the header, then rows, each line copied into the chunk's buffer as soon as it is
 * formatted (its strings are garbage at once, so the JavaScript heap stays small however large the file); a full
 * chunk goes to the consumer, and every `sliceMs` of work the event loop runs. The reader (and its snapshot) closes
 * when the rows end or the consumer stops.
 *
 * Two buffers take turns, so an export allocates no memory per chunk: **a chunk is the consumer's only until it asks
 * for the next one**, whose bytes may go into the same memory (a consumer that keeps chunks copies them:
 * src/node/http/stream.ts). A fresh buffer per chunk was garbage outside the JavaScript heap that V8 frees only at
 * its next full collection, which waits until some 64 MB of such memory piled up: the first export after a start grew
 * the process by about 110 MB.
 */
async function* chunks<R>(
  file: string,
  header: readonly string[],
  read: (reader: BookReader) => Iterable<R>,
  line: (r: R) => string,
  memory: ChunkMemory,
): AsyncGenerator<Uint8Array> {
  const reader = new BookReader(file);
  const rows = read(reader)[Symbol.iterator]();
  const pair = [memory.alloc(CHUNK_BYTES), memory.alloc(CHUNK_BYTES)];
  let turn = 0;
  let buf = pair[0]!;
  let pos = 0;
  const put = (text: string): Buffer | null => {
    // At most 3 UTF-8 bytes per UTF-16 unit: a bound instead of measuring every line (a tenth of the export's time).
    const most = text.length * 3;
    let full: Buffer | null = null;
    if (pos + most > buf.length) {
      full = buf.subarray(0, pos);
      // The other buffer's chunk went out before this one was started: the consumer is done with it.
      turn ^= 1;
      if (pair[turn]!.length < most) pair[turn] = memory.alloc(most); // a line longer than a chunk
      buf = pair[turn]!;
      pos = 0;
    }
    pos += buf.write(text, pos);
    return full;
  };
  try {
    put(csvLine([...header]));
    let n = 0;
    let since = performance.now();
    for (let next = rows.next(); !next.done; next = rows.next()) {
      const full = put(line(next.value));
      if (full) yield full;
      if (++n % SLICE_CHECK === 0 && performance.now() - since >= memory.sliceMs) {
        await breathe();
        since = performance.now();
      }
    }
    if (pos) yield buf.subarray(0, pos);
  } finally {
    rows.return?.();
    reader.close();
  }
}

function* flatten<T>(chunked: Iterable<T[]>): Generator<T> {
  for (const c of chunked) yield* c;
}

/** An export as plain data: what a worker thread is given to write it (src/node/books/export-thread.ts). */
export type ExportJob =
  | { kind: 'invoices'; file: string; query: InvoiceFilter & { range: Range } }
  | { kind: 'payments'; file: string; query: LedgerQuery; rates: RatePolicy };

/** The chunks of `job`'s file, written on this thread. */
export function exportChunks(job: ExportJob, memory: ChunkMemory = IN_PROCESS): AsyncGenerator<Uint8Array> {
  if (job.kind === 'invoices') return chunks(job.file, INVOICES_CSV_COLUMNS, (reader) => reader.invoiceRows(job.query), invoiceLine, memory);
  const { query, rates } = job;
  // Rates are read on the reader's own connection: the same snapshot as the payments they value.
  return chunks(job.file, PAYMENTS_CSV_COLUMNS, (reader) => flatten(reader.ledgerChunks(query, rateContext(reader.db, rates), PAGE_ROWS)), ledgerLine, memory);
}
