/**
 * The event bus publishes what was committed, once and in order, and unpacks an event's stored data only for a
 * listener that reads it (src/node/events.ts): the listeners that ask only the type or the invoice pay nothing for
 * the invoice snapshot each event carries.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type DB } from '../../src/node/store/sqlite.ts';
import { EventBus, eventJson, eventsAfter, insertEvent, type StoredEvent } from '../../src/node/events.ts';
import { packEventData } from '../../src/node/store/event-data.ts';

let dir: string;
let db: DB;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'satdesk-bus-'));
  db = openDatabase(path.join(dir, 'satdesk.sqlite'));
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function tip(height: number): number {
  return insertEvent(db, 'chain.tip', null, null, { height, hash: 'ab'.repeat(32) }, 1_000 + height);
}

describe('the event bus', () => {
  it('gives each event its data on first read, the same object after, and copies it in a spread', () => {
    const id = tip(7);
    const [e] = eventsAfter(db, id - 1);
    expect(Object.keys(e!)).toContain('data');
    expect(e!.data).toEqual({ height: 7, hash: 'ab'.repeat(32) });
    expect(e!.data).toBe(e!.data);
    expect({ ...e! }.data).toEqual({ height: 7, hash: 'ab'.repeat(32) });
  });

  it('unpacks nothing for a listener that reads only the type', () => {
    const bus = new EventBus(db);
    const types: string[] = [];
    bus.subscribe((e) => types.push(e.type));
    // A stored value in a format no reader knows: reading it throws, so a listener that gets through never read it.
    const id = Number(db.prepare("INSERT INTO events (type, payment_id, data, created_at) VALUES ('chain.tip', NULL, x'09ff', 1)").run().lastInsertRowid);
    bus.flush();
    expect(types).toEqual(['chain.tip']);
    const [e] = eventsAfter(db, id - 1);
    expect(() => e!.data).toThrow(/unknown format/);
  });

  it('gives the text this connection wrote for an event whose row still holds those bytes, and unpacks a row changed since', () => {
    const mine = tip(8);
    // The same row's bytes replaced by a format no reader knows: had the bus used the stored bytes, reading would throw.
    const other = tip(9);
    db.prepare("UPDATE events SET data = x'09ff' WHERE id = ?").run(other);
    const changed = tip(10);
    db.prepare('UPDATE events SET data = ? WHERE id = ?').run(packEventData(JSON.stringify({ height: 11, hash: 'cd'.repeat(32) })), changed);
    const [a, b, c] = eventsAfter(db, mine - 1);
    expect(eventJson(a!)).toBe(JSON.stringify({ height: 8, hash: 'ab'.repeat(32) }));
    expect(() => eventJson(b!)).toThrow(/unknown format/);
    expect(c!.data).toEqual({ height: 11, hash: 'cd'.repeat(32) });
    expect(eventJson(c!)).toBe(JSON.stringify(c!.data));
  });

  it('does not take a rolled-back event for the one written later under the same id', () => {
    let id = 0;
    expect(() =>
      db.transaction(() => {
        id = tip(20);
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    // Another writer (not this module) takes the same id with other data.
    db.prepare("INSERT INTO events (id, type, payment_id, data, created_at) VALUES (?, 'chain.tip', NULL, ?, 1)").run(
      id,
      packEventData(JSON.stringify({ height: 21, hash: 'ef'.repeat(32) })),
    );
    const [e] = eventsAfter(db, id - 1);
    expect(e!.data).toEqual({ height: 21, hash: 'ef'.repeat(32) });
  });

  it('publishes every committed event once, in order, across pages', () => {
    const bus = new EventBus(db);
    const seen: StoredEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    db.transaction(() => {
      for (let h = 1; h <= 2_500; h++) tip(h);
    })();
    bus.flush();
    bus.flush();
    expect(seen.map((e) => (e.data as { height: number }).height)).toEqual(Array.from({ length: 2_500 }, (_, i) => i + 1));
    expect(bus.lastId).toBe(seen.at(-1)!.id);
  });
});
