/**
 * The unit of work (docs/decisions/0015-service-rooms.md) on a real SQLite file: planners run inside `write` and
 * never for `record`, a nested write joins the outer one, a rolled-back write publishes nothing, and `onCommit`
 * listeners get the commit's kind until they unsubscribe.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DB } from '../../src/node/store/sqlite.ts';
import { EventBus, insertEvent } from '../../src/node/events.ts';
import { UnitOfWork, type Commit } from '../../src/node/service/unit-of-work.ts';
import { tempDir } from '../helpers/api.ts';

let db: DB;
afterEach(() => db?.close());

function setup(): { uow: UnitOfWork; planned: number[]; commits: Commit['kind'][]; published: string[]; errors: unknown[] } {
  db = openDatabase(path.join(tempDir(), 'uow.sqlite'));
  const bus = new EventBus(db);
  const errors: unknown[] = [];
  const uow = new UnitOfWork(db, { now: () => 1000 }, bus, (e) => errors.push(e));
  const planned: number[] = [];
  const commits: Commit['kind'][] = [];
  const published: string[] = [];
  uow.addPlanner((now) => {
    // The planner sees the transaction's own writes.
    planned.push((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n + now);
  });
  uow.onCommit((c) => commits.push(c.kind));
  bus.subscribe((e) => published.push(e.type));
  return { uow, planned, commits, published, errors };
}

const gap = (n: number): void => void insertEvent(db, 'wallet.gap_warning', null, null, { gap: n, message: `gap ${n}` }, 1000);

describe('UnitOfWork', () => {
  it('write plans inside the transaction, then publishes, then tells listeners "facts"', () => {
    const t = setup();
    expect(t.uow.write(() => (gap(20), 'done'))).toBe('done');
    expect(t.planned).toEqual([1 + 1000]);
    expect(t.published).toEqual(['wallet.gap_warning']);
    expect(t.commits).toEqual(['facts']);
  });

  it('record commits without planning and tells listeners "bookkeeping"', () => {
    const t = setup();
    t.uow.record(() => db.prepare("INSERT INTO chain_state (key, value) VALUES ('x', '1')").run());
    expect(t.planned).toEqual([]);
    expect(t.commits).toEqual(['bookkeeping']);
    expect(db.prepare("SELECT value FROM chain_state WHERE key = 'x'").get()).toEqual({ value: '1' });
  });

  it('a write nested in a record or a write joins it: one commit, planned once', () => {
    const t = setup();
    t.uow.record(() => {
      t.uow.write(() => gap(20));
      t.uow.write(() => gap(30));
    });
    expect(t.planned).toEqual([2 + 1000]);
    expect(t.commits).toEqual(['facts']);
    expect(t.published).toEqual(['wallet.gap_warning', 'wallet.gap_warning']);
  });

  it('a failed write rolls back everything and publishes nothing', () => {
    const t = setup();
    expect(() =>
      t.uow.write(() => {
        gap(20);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(0);
    expect(t.published).toEqual([]);
    expect(t.commits).toEqual([]);
    // and the next write works
    t.uow.write(() => gap(20));
    expect(t.commits).toEqual(['facts']);
  });

  it('onCommit returns its unsubscribe; a throwing listener does not fail the write', () => {
    const t = setup();
    const seen: string[] = [];
    const off = t.uow.onCommit((c) => seen.push(c.kind));
    t.uow.onCommit(() => {
      throw new Error('listener broke');
    });
    expect(t.uow.write(() => 7)).toBe(7);
    off();
    t.uow.write(() => 8);
    expect(seen).toEqual(['facts']);
    expect(t.commits).toEqual(['facts', 'facts']);
    expect(t.errors.map((e) => (e as Error).message)).toEqual(['listener broke', 'listener broke']);
  });

  it('addPlanner returns its removal', () => {
    const t = setup();
    const extra: number[] = [];
    const remove = t.uow.addPlanner((now) => extra.push(now));
    t.uow.write(() => {});
    remove();
    t.uow.write(() => {});
    expect(extra).toEqual([1000]);
    expect(t.planned).toHaveLength(2);
  });
});
