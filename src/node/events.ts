import { EventEmitter } from 'node:events';
import { prepared, type DB } from './store/sqlite.ts';
import { packEventData } from './store/event-data.ts';
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
  data: string;
  created_at: number;
}

export function eventsAfter(db: DB, afterId: number, limit = 1000): StoredEvent[] {
  const rows = prepared(db, 'SELECT id, type, invoice_id, payment_id, event_json(data) AS data, created_at FROM events WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as EventRow[];
  return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
}

/**
 * Events with an id up to this one were pruned (0: none). A stream resuming from before it cannot be replayed and
 * is told to reload. The newest event is never pruned, so ids never restart.
 */
export function prunedThrough(db: DB): number {
  const r = prepared(db, "SELECT value FROM outbox_state WHERE key = 'events_pruned_through'").get() as { value: number } | undefined;
  return r?.value ?? 0;
}

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
      const batch = eventsAfter(this.db, this.last);
      if (!batch.length) return;
      for (const e of batch) {
        this.last = e.id;
        this.emitter.emit('event', e);
      }
    }
  }

  subscribe(fn: (e: StoredEvent) => void): () => void {
    this.emitter.on('event', fn);
    return () => this.emitter.off('event', fn);
  }
}
