/**
 * The books read invoices a page at a time, each page following the last row of the one before (src/node/books/rows.ts).
 * Pages must neither skip nor repeat a row where many invoices share one creation time across a page boundary, with
 * or without a time range, and must all come from the reader's one snapshot: rows written during the read are not in it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/node/app.ts';
import { BookReader, CHUNK_ROWS } from '../../src/node/books/rows.ts';
import { startTestApp } from '../helpers/api.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
/** Three creation times: the middle one is shared by more invoices than a page holds. */
const GROUPS = [700, CHUNK_ROWS + 900, 450];
const N = GROUPS.reduce((a, b) => a + b, 0);
let app: App;

beforeAll(async () => {
  ({ app } = await startTestApp());
  // Invoice i's time: T0 for the first group, T0 + 1 s for the second, T0 + 2 s for the third. seq runs the other way
  // round within each group's half, so rowid order and time order differ.
  const timeOf = `${T0} + 1000 * (CASE WHEN i <= ${GROUPS[0]} THEN 0 WHEN i <= ${GROUPS[0]! + GROUPS[1]!} THEN 1 ELSE 2 END)`;
  app.db.exec(`
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${N})
    INSERT INTO addresses (id, address, scripthash, origin, state, created_at)
    SELECT i, 'bcrt1qpages' || i, unhex(printf('%064x', i)), 'static', 'used', ${T0} FROM s;
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${N})
    INSERT INTO invoices (seq, id, status, amount_sats, label, userdata, address_id, created_at, expires_at,
      confirmations_required, tolerance_bp, monitoring_ms, updated_at)
    SELECT ${N + 1} - i, printf('pages%011d', i), 'unpaid', 1000 + i, '', 'order-' || i, i, ${timeOf}, ${timeOf} + 900000,
      1, 0, 86400000, ${T0} FROM s;`);
});
afterAll(async () => {
  await app?.close();
});

function read(range: { start: number; end: number }): { seq: number; created_at: number }[] {
  const reader = new BookReader(app.db.name);
  try {
    return [...reader.invoiceRows({ range })].map((r) => ({ seq: r.seq, created_at: r.created_at }));
  } finally {
    reader.close();
  }
}

describe('the books read invoices in pages', () => {
  it('without a range: every invoice once, in the order they were made', () => {
    const rows = read({ start: Number.MIN_SAFE_INTEGER, end: Number.MAX_SAFE_INTEGER });
    expect(rows).toHaveLength(N);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: N }, (_, k) => k + 1));
  });

  it('with a range: every invoice in it once, by time then by the order made, across a boundary inside one time', () => {
    const rows = read({ start: T0, end: T0 + 3000 });
    expect(rows).toHaveLength(N);
    expect(new Set(rows.map((r) => r.seq)).size).toBe(N);
    const sorted = [...rows].sort((a, b) => a.created_at - b.created_at || a.seq - b.seq);
    expect(rows).toEqual(sorted);
    // The range's edges: only the shared middle time, then the last two.
    expect(read({ start: T0 + 1000, end: T0 + 2000 })).toHaveLength(GROUPS[1]!);
    expect(read({ start: T0 + 500, end: T0 + 5000 })).toHaveLength(GROUPS[1]! + GROUPS[2]!);
  });

  it('reads one snapshot: invoices written after the first page are not in the read', () => {
    const reader = new BookReader(app.db.name);
    try {
      const it = reader.invoiceRows({ range: { start: Number.MIN_SAFE_INTEGER, end: Number.MAX_SAFE_INTEGER } });
      let n = 0;
      for (const _ of it) {
        if (++n === 1) {
          app.db.exec(`INSERT INTO addresses (id, address, scripthash, origin, state, created_at)
            VALUES (${N + 1}, 'bcrt1qpageslate', unhex(printf('%064x', ${N + 1})), 'static', 'used', ${T0});
            INSERT INTO invoices (seq, id, status, amount_sats, address_id, created_at, expires_at, confirmations_required,
              tolerance_bp, monitoring_ms, updated_at)
            VALUES (${N + 1}, 'pageslate000001', 'unpaid', 5000, ${N + 1}, ${T0}, ${T0 + 900000}, 1, 0, 86400000, ${T0});`);
        }
      }
      expect(n).toBe(N);
      expect(app.db.prepare('SELECT COUNT(*) FROM invoices').pluck().get()).toBe(N + 1);
    } finally {
      reader.close();
    }
  });
});
