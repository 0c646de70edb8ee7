/**
 * Migration 033 (src/node/store/migrations/033-event-invoice-seq.ts, docs/decisions/0114-event-invoice-seq.md): an
 * event names its invoice by the invoice's row number. The upgrade keeps every event as the app reads it (the bus,
 * the planner), with the references to it, in fewer bytes; a new event names its invoice the same way.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/node/store/sqlite.ts';
import { registerPackedText } from '../../src/node/store/event-data.ts';
import { eventsAfter, insertEvent } from '../../src/node/events.ts';
import { tempDir } from '../helpers/api.ts';

const T = 1_760_000_000_000;
const N = 400;

/** A version-32 store: N invoices, three events each (every tenth naming no invoice), a notification on one event. */
function version32(): Database.Database {
  const db = new Database(path.join(tempDir(), 'v32.sqlite'));
  registerPackedText(db as never);
  migrate(db, 32);
  const addr = db.prepare("INSERT INTO addresses (id, address, script_key, state) VALUES (?, ?, 0, 'used')");
  const inv = db.prepare(`INSERT INTO invoices (id, status_code, amount_sats, address_id, created_at, expires_at, confirmations_required,
    tolerance_bp, monitoring_ms, updated_at) VALUES (?, 2, 1000, ?, ?, ?, 1, 0, 86400000, ?)`);
  const ev = db.prepare('INSERT INTO events (type, invoice_id, data, created_at) VALUES (?, ?, ?, ?)');
  for (let i = 1; i <= N; i++) {
    addr.run(i, `addr${i}`);
    inv.run(`inv${String(i).padStart(13, '0')}`, i, T + i, T + i + 900_000, T + i);
    for (const type of ['invoice.created', 'invoice.paid', 'chain.tip']) {
      const named = type !== 'chain.tip' && i % 10 !== 0;
      ev.run(type, named ? `inv${String(i).padStart(13, '0')}` : null, JSON.stringify({ n: i, type }), T + i);
    }
  }
  db.prepare("INSERT INTO agents (id, name, url, token, thresholds, format, retry_delays, timeout_s, enabled, enabled_at, created_at) VALUES ('agt_e', 'e', 'http://127.0.0.1:9/', 't', '[]', 'events', '[1]', 5, 1, ?, ?)").run(T, T);
  db.prepare("INSERT INTO notifications (agent_id, event_id, created_at, public_id) VALUES ('agt_e', 5, ?, 'ntf_1')").run(T);
  return db;
}

const tableBytes = (db: Database.Database): number => db.prepare("SELECT SUM(payload) FROM dbstat WHERE name = 'events'").pluck().get() as number;
const read = (db: Database.Database): unknown[] => eventsAfter(db as never, 0, 5000).map((e) => ({ ...e }));

describe('migration 033 (event invoice seq)', () => {
  it('keeps every event as read, with the references to it, in fewer bytes', () => {
    const db = version32();
    // As version 32 read them: the public id stored in the row.
    const before = (db.prepare('SELECT id, type, invoice_id, payment_id, data, created_at FROM events ORDER BY id').all() as Record<string, unknown>[]).map(
      (r) => ({ ...r, data: JSON.parse(r.data as string) as unknown }),
    );
    expect(before).toHaveLength(3 * N);
    const bytes = tableBytes(db);
    expect(migrate(db)).toBeGreaterThanOrEqual(33);
    expect(read(db)).toEqual(before);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    // The notification still holds its event: it cannot go while named.
    expect(() => db.prepare('DELETE FROM events WHERE id = 5').run()).toThrow(/FOREIGN KEY/);
    expect(db.prepare('SELECT COUNT(*) FROM events WHERE invoice_seq IS NOT NULL').pluck().get()).toBe(2 * N - 2 * (N / 10));
    expect(tableBytes(db)).toBeLessThan(bytes - N * 2 * 12);
    // A new event names its invoice by the row number and reads back its public id.
    const id = insertEvent(db as never, 'invoice.created', 'inv0000000000007', null, { invoice: { id: 'inv0000000000007' } } as never, T + 9);
    expect(db.prepare('SELECT invoice_seq FROM events WHERE id = ?').pluck().get(id)).toBe(7);
    expect(eventsAfter(db as never, id - 1)[0]).toMatchObject({ id, invoice_id: 'inv0000000000007' });
    db.close();
  });
});
