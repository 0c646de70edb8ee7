import { EventEmitter } from 'node:events';
import { limit, prepared, type DB } from './store/sqlite.ts';
import { packEventData, unpackText } from './store/event-data.ts';
import { invoiceIdOf, invoiceSeqOf } from './store/chain-sql.ts';
import type { EventData, EventType } from '../shared/events.ts';

export type { EventData, EventType };

export interface StoredEvent {
  id: number;
  type: string;
  invoice_id: string | null;
  payment_id: number | null;
  data: Record<string, unknown>;
  created_at: number;
}

/**
 * Appends an event inside the caller's transaction; it is published only after that transaction commits. The payload
 * is checked against the event type at compile time (src/core/vocabulary.ts).
 */
export function insertEvent<T extends EventType>(
  db: DB,
  type: T,
  invoiceId: string | null,
  paymentId: number | null,
  data: EventData<T>,
  now: number,
): number {
  const json = JSON.stringify(data);
  const packed = packEventData(json);
  const r = prepared(db, `INSERT INTO events (type, invoice_seq, payment_id, data, created_at) VALUES (?, ${invoiceSeqOf('?')}, ?, ?, ?)`).run(type, invoiceId, paymentId, packed, now);
  const id = Number(r.lastInsertRowid);
  remember(db, id, packed, json);
  return id;
}

/** Events this connection wrote, until the bus reads them back: their text, and the bytes that stored it. */
interface Written {
  packed: Buffer;
  json: string;
}
const written = new WeakMap<DB, Map<number, Written>>();
/** Kept at most: the bus reads them back after the write commits; more only when nothing reads (a one-off command). */
const WRITTEN_KEPT = 2048;

function remember(db: DB, id: number, packed: Buffer, json: string): void {
  let m = written.get(db);
  if (!m) written.set(db, (m = new Map<number, Written>()));
  m.delete(id); // a rolled-back id written again goes to the end
  m.set(id, { packed, json });
  if (m.size > WRITTEN_KEPT) m.delete(m.keys().next().value as number);
}

/**
 * The text of an event this connection wrote, if the row still holds exactly the bytes it was written with: the
 * bus then need not inflate what it packed a moment ago. A transaction that rolled back, or a later change to the
 * row (src/node/invoices.ts, nameInvoiceOnEvents), leaves other bytes, and the row is unpacked as usual.
 */
function writtenText(db: DB, id: number, stored: Buffer | string): string | undefined {
  const m = written.get(db);
  const w = m?.get(id);
  if (!w) return undefined;
  m!.delete(id);
  return Buffer.isBuffer(stored) && w.packed.equals(stored) ? w.json : undefined;
}

interface EventRow {
  id: number;
  type: string;
  invoice_id: string | null;
  payment_id: number | null;
  data: Buffer | string;
  created_at: number;
}

/**
 * Events after `afterId`, in id order. `data` is unpacked and parsed when first read: most listeners of the bus ask
 * only the type or the invoice (src/node/counter/index.ts, src/node/app.ts), and unpacking every event's invoice
 * for them was a tenth of what creating an invoice cost. It is an own enumerable property, so a spread copies it.
 */
export function eventsAfter(db: DB, afterId: number, max = 1000): StoredEvent[] {
  const rows = prepared(db, `SELECT id, type, ${invoiceIdOf('events')} AS invoice_id, payment_id, data, created_at FROM events WHERE id > ? ORDER BY id ${limit(max)}`).all(afterId) as EventRow[];
  return rows.map((r) => lazyData(r, writtenText(db, r.id, r.data)));
}

/** An event's data as JSON text, read once per event however many streams send it (src/node/http/sse.ts). */
const texts = new WeakMap<StoredEvent, () => string>();

function lazyData(r: EventRow, known: string | undefined): StoredEvent {
  const stored = r.data;
  let text = known;
  let parsed: Record<string, unknown> | undefined;
  const textOf = (): string => (text ??= unpackText(stored));
  const e = Object.defineProperty({ id: r.id, type: r.type, invoice_id: r.invoice_id, payment_id: r.payment_id, created_at: r.created_at }, 'data', {
    enumerable: true,
    get: () => (parsed ??= JSON.parse(textOf()) as Record<string, unknown>),
  }) as StoredEvent;
  texts.set(e, textOf);
  return e;
}

/** `JSON.stringify(e.data)`, without parsing or stringifying again for an event the bus read. */
export function eventJson(e: StoredEvent): string {
  return texts.get(e)?.() ?? JSON.stringify(e.data);
}

/**
 * Events with an id up to this one were pruned (0: none). A stream resuming from before it cannot be replayed and
 * is told to reload. The newest event is never pruned, so ids never restart.
 */
export function prunedThrough(db: DB): number {
  const r = prepared(db, "SELECT value FROM outbox_state WHERE key = 'events_pruned_through'").get() as { value: number } | undefined;
  return r?.value ?? 0;
}

const FLUSH_PAGE = 1000;

/**
 * Publishes committed events to in-process listeners (the SSE stream, the desktop window) in id order.
 * `flush()` is called after every write transaction; it reads what was committed since the last flush, so
 * nothing is published for a transaction that rolled back.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private last: number;

  constructor(private readonly db: DB) {
    this.emitter.setMaxListeners(0);
    this.last = (db.prepare('SELECT COALESCE(MAX(id), 0) AS m FROM events').get() as { m: number }).m;
  }

  get lastId(): number {
    return this.last;
  }

  flush(): void {
    for (;;) {
      const batch = eventsAfter(this.db, this.last, FLUSH_PAGE);
      for (const e of batch) {
        this.last = e.id;
        this.emitter.emit('event', e);
      }
      if (batch.length < FLUSH_PAGE) return; // a short page is the end: no second read to find nothing
    }
  }

  subscribe(fn: (e: StoredEvent) => void): () => void {
    this.emitter.on('event', fn);
    return () => this.emitter.off('event', fn);
  }
}
