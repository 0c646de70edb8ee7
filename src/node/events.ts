import { EventEmitter } from 'node:events';
import { limit, prepared, type DB } from './store/sqlite.ts';
import { packEventData, unpackText } from './store/event-data.ts';
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
  const r = prepared(db, 'INSERT INTO events (type, invoice_id, payment_id, data, created_at) VALUES (?, ?, ?, ?, ?)').run(type, invoiceId, paymentId, packEventData(JSON.stringify(data)), now);
  return Number(r.lastInsertRowid);
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
  const rows = prepared(db, `SELECT id, type, invoice_id, payment_id, data, created_at FROM events WHERE id > ? ORDER BY id ${limit(max)}`).all(afterId) as EventRow[];
  return rows.map(lazyData);
}

function lazyData(r: EventRow): StoredEvent {
  const stored = r.data;
  let parsed: Record<string, unknown> | undefined;
  return Object.defineProperty({ id: r.id, type: r.type, invoice_id: r.invoice_id, payment_id: r.payment_id, created_at: r.created_at }, 'data', {
    enumerable: true,
    get: () => (parsed ??= JSON.parse(unpackText(stored)) as Record<string, unknown>),
  }) as StoredEvent;
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
