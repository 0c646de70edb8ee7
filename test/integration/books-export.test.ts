/**
 * The exports over real HTTP (docs/books.md#exports): written in chunks as they are read, waiting for the client
 * (a paused download leaves the API answering), let go of their snapshot when the client leaves, filtered by the
 * console's status and search and by a time range; the daily report and the totals by role and time zone.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/node/app.ts';
import { exportChunks } from '../../src/node/books/export.ts';
import { exportThreads } from '../../src/node/books/export-thread.ts';
import { dispatch } from '../../src/node/dispatch.ts';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import { parseCsv, sumColumn } from '../helpers/csv.ts';
import { waitFor } from '../helpers/wait.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';
import { statusCodeOf } from '../../src/node/store/codes.ts';

const N = 6000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
let app: App;
let api: ApiClient;

beforeAll(async () => {
  ({ app, api } = await startTestApp());
  // N invoices straight into the store, one every 30 minutes from T0: 48 a day over 125 days.
  app.db.function('made_up_address', { deterministic: true }, (i: unknown) => madeUpAddress('books', Number(i)).address);
  app.db.exec(`
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${N})
    INSERT INTO addresses (id, address, script_key, state)
    SELECT i, made_up_address(i), satdesk_script_key(made_up_address(i)), 'used' FROM s;
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${N})
    INSERT INTO invoices (seq, id, status_code, amount_sats, label, userdata, address_id, created_at, expires_at,
      confirmations_required, tolerance_bp, monitoring_ms, paid_sats, confirmed_sats, paid_at, confirmed_at, updated_at)
    SELECT i, printf('books%011d', i), ${statusCodeOf("CASE WHEN i % 3 = 0 THEN 'unpaid' ELSE 'confirmed' END")}, 1000 + i, 'item ' || (i % 7),
      'order-' || i, i, ${T0} + (i - 1) * 1800000, ${T0} + (i - 1) * 1800000 + 900000, 1, 0, 86400000,
      CASE WHEN i % 3 = 0 THEN 0 ELSE 1000 + i END, CASE WHEN i % 3 = 0 THEN 0 ELSE 1000 + i END,
      CASE WHEN i % 3 = 0 THEN NULL ELSE ${T0} + (i - 1) * 1800000 + 60000 END,
      CASE WHEN i % 3 = 0 THEN NULL ELSE ${T0} + (i - 1) * 1800000 + 600000 END, ${T0} FROM s;
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${N})
    INSERT INTO payments (txid, address_id, sats, invoice_seq, height, first_seen, verified, state_code)
    SELECT unhex(printf('%08x%056x', (i * 2654435761) % 4294967296, i)), i, 1000 + i, (SELECT seq FROM invoices WHERE id = printf('books%011d', i)), 100, ${T0} + (i - 1) * 1800000 + 60000,
      1, 0 FROM s WHERE i % 3 <> 0;`);
});
afterAll(async () => {
  await app?.close();
});

/** A GET whose body the test reads chunk by chunk (and may pause or abandon). */
function rawGet(p: string): Promise<http.IncomingMessage> {
  const url = new URL(`${api.base}/api/v1${p}`);
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { Authorization: `Bearer ${api.token}` } }, resolve).on('error', reject);
  });
}

describe('exports stream', () => {
  it('writes invoices.csv in chunks, oldest first, every row once', async () => {
    const res = await rawGet('/export/invoices.csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-length']).toBeUndefined();
    let text = '';
    let chunks = 0;
    for await (const c of res) {
      text += String(c);
      chunks++;
    }
    expect(chunks).toBeGreaterThan(1);
    const csv = parseCsv(text);
    expect(csv.rows).toHaveLength(N);
    expect(csv.rows[0]!.id).toBe('books00000000001');
    expect(csv.rows[N - 1]!.id).toBe(`books${String(N).padStart(11, '0')}`);
    expect(sumColumn(csv.rows, 'paid_sats')).toBe((await api.get('/reports/invoices')).body.paid_sats);
  });

  it('waits for a paused client, keeps answering the API meanwhile, and lets go of its thread and snapshot when the client leaves', async () => {
    const before = exportThreads();
    const res = await rawGet('/export/invoices.csv');
    res.pause();
    await waitFor(() => exportThreads(), (n) => n === before + 1, 'an export thread');
    // The download is stalled on back-pressure: the API answers, and a payment written now does not block.
    const health = await api.get('/health');
    expect(health.status).toBe(200);
    expect((await api.get('/reports/invoices?status=unpaid')).body.count).toBe(N / 3);
    res.destroy();
    await waitFor(() => exportThreads(), (n) => n === before, 'the export thread ended');
    // Its snapshot went with it: a checkpoint copies the whole log back and empties it (a reader would keep it busy).
    expect(app.db.pragma('wal_checkpoint(TRUNCATE)')).toEqual([{ busy: 0, log: 0, checkpointed: 0 }]);
  });

  it('filters by status, search and a time range, like the list', async () => {
    const unpaid = parseCsv((await api.get('/export/invoices.csv?status=unpaid')).body);
    expect(unpaid.rows).toHaveLength(N / 3);
    expect(unpaid.rows.every((r) => r.status === 'unpaid')).toBe(true);
    expect(parseCsv((await api.get('/export/invoices.csv?q=order-42')).body).rows.map((r) => r.id)).toEqual(['books00000000042']);
    const day = parseCsv((await api.get('/export/invoices.csv?from=2026-01-02&to=2026-01-02&tz=UTC')).body);
    expect(day.rows).toHaveLength(48);
    expect(day.rows[0]!.created_at).toBe('2026-01-02T00:00:00.000Z');
    const paris = parseCsv((await api.get('/export/invoices.csv?from=2026-01-02&to=2026-01-02&tz=Europe/Paris')).body);
    expect(paris.rows[0]!.created_at).toBe('2026-01-01T23:00:00.000Z');
    const exact = parseCsv((await api.get(`/export/invoices.csv?from=2026-01-02T10:00:00Z&to=2026-01-02T11:00:00Z`)).body);
    expect(exact.rows.map((r) => r.created_at)).toEqual(['2026-01-02T10:00:00.000Z', '2026-01-02T10:30:00.000Z']);
    const pays = parseCsv((await api.get('/export/payments.csv?from=2026-01-02&to=2026-01-03&tz=UTC')).body);
    expect(pays.rows).toHaveLength(64); // 96 invoices, a third unpaid
    expect(pays.rows.every((r) => r.time >= '2026-01-02' && r.time < '2026-01-04')).toBe(true);
  });

  it('refuses a bad range or zone before writing anything', async () => {
    for (const q of ['from=yesterday', 'from=2026-01-03&to=2026-01-02', 'tz=Mars/Olympus', 'from=2026-01-02T10:00:00', 'reversed=maybe']) {
      const r = await api.get(`/export/payments.csv?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
    }
  });
});

describe('the daily report and the totals', () => {
  it('counts each local day from the indexes and the payments', async () => {
    const r = (await api.get('/reports/daily?from=2026-01-01&to=2026-01-03&tz=UTC')).body;
    expect(r.days.map((d: any) => [d.date, d.invoices.created, d.invoices.paid, d.invoices.confirmed, d.received.count])).toEqual([
      ['2026-01-01', 48, 32, 32, 32],
      ['2026-01-02', 48, 32, 32, 32],
      ['2026-01-03', 48, 32, 32, 32],
    ]);
    const csv = parseCsv((await api.get('/export/payments.csv?from=2026-01-01&to=2026-01-03&tz=UTC')).body);
    expect(r.totals.net_sats).toBe(sumColumn(csv.rows, 'sats'));
    expect(r.totals.received.fiat).toEqual([{ currency: 'USD', amount: '0.00', missing: 96 }]);
    expect((await api.get('/reports/daily?from=2025-01-01&to=2026-03-01')).body.error.message).toBe('a report covers at most 366 days');
  });

  it('a cashier gets today only', async () => {
    const cashier = { role: 'cashier' as const, tokenId: 'c', name: 'cashier', tillId: null };
    const today = await dispatch(app.service, 'dailyReport', {}, cashier) as any;
    expect(today.days).toHaveLength(1);
    expect(today.totals.invoices.created).toBe(0);
    await expect(dispatch(app.service, 'dailyReport', { query: { from: '2026-01-01', to: '2026-01-01' } }, cashier)).rejects.toMatchObject({ code: 'forbidden' });
    const totals = await dispatch(app.service, 'invoiceTotals', {}, cashier) as any;
    expect(totals.count).toBe(0);
    await expect(dispatch(app.service, 'exportInvoices', {}, cashier)).rejects.toMatchObject({ code: 'forbidden' });
    expect(((await dispatch(app.service, 'invoiceTotals', {})) as any).count).toBe(N);
  });

  it('the IPC and in-process callers get the whole file as one string', async () => {
    const text = (await dispatch(app.service, 'exportInvoices', { query: { from: '2026-01-01', to: '2026-01-01', tz: 'UTC' } })) as string;
    expect(typeof text).toBe('string');
    expect(parseCsv(text).rows).toHaveLength(48);
  });

  it('gives the same bytes in one string as over HTTP, every row in order, across the reused chunk buffers', async () => {
    // N rows are several 256 KB chunks: the export writes each into one of two buffers in turn, so a chunk kept
    // past the next one would show another chunk's rows here.
    const whole = (await dispatch(app.service, 'exportInvoices', {})) as string;
    const res = await rawGet('/export/invoices.csv');
    let http = '';
    for await (const c of res) http += String(c);
    expect(Buffer.byteLength(whole)).toBeGreaterThan(4 * 256 * 1024);
    expect(http).toBe(whole);
    const ids = parseCsv(whole).rows.map((r) => r.id);
    expect(ids).toEqual(Array.from({ length: N }, (_, i) => `books${String(i + 1).padStart(11, '0')}`));
  });

  it('a worker thread writes the very bytes this thread writes, payments with refunds between pages included', async () => {
    // Three refunds among the payments' times, so the ledger's pages of 64 payments each have refunds to merge.
    const put = app.db.prepare('INSERT INTO refunds (invoice_id, sats, note, created_at) VALUES (?, ?, ?, ?)');
    for (const i of [100, 2000, 5000]) put.run(`books${String(i).padStart(11, '0')}`, 500, `refund ${i}`, T0 + (i - 1) * 1800000 + 90000);
    const collect = async (chunks: AsyncIterable<Uint8Array>): Promise<string> => {
      const parts: Buffer[] = [];
      for await (const c of chunks) parts.push(Buffer.from(c));
      return Buffer.concat(parts).toString('utf8');
    };
    const range = { start: Number.MIN_SAFE_INTEGER, end: Number.MAX_SAFE_INTEGER };
    const threadsBefore = exportThreads();
    const here = await collect(exportChunks({ kind: 'payments', file: app.db.name, query: { reversed: false, range }, rates: app.service.ratePolicy() }));
    expect(exportThreads()).toBe(threadsBefore); // written on this thread
    const worker = (await api.get('/export/payments.csv')).body as string;
    expect(worker).toBe(here);
    const rows = parseCsv(here).rows;
    expect(rows).toHaveLength((N * 2) / 3 + 3);
    expect(rows.filter((r) => r.type === 'refund').map((r) => r.note)).toEqual(['refund 100', 'refund 2000', 'refund 5000']);
    expect(rows.map((r) => r.time)).toEqual(rows.map((r) => r.time).sort());
    const invoices = await collect(exportChunks({ kind: 'invoices', file: app.db.name, query: { range } }));
    expect((await api.get('/export/invoices.csv')).body).toBe(invoices);
    app.db.exec("DELETE FROM refunds WHERE note LIKE 'refund %'");
  });

  it('reads the whole table in pages, and gives what a range over all of it gives, row for row', async () => {
    // No range and no filter: pages of rows by row number (BookReader.everyInvoice), N rows being many pages.
    // A range takes the one statement over the creation-time index; every invoice here is in it, in the same order.
    const whole = (await dispatch(app.service, 'exportInvoices', {})) as string;
    const ranged = (await dispatch(app.service, 'exportInvoices', { query: { from: '2025-12-31', to: '2026-12-31', tz: 'UTC' } })) as string;
    expect(parseCsv(ranged).rows).toHaveLength(N);
    expect(whole).toBe(ranged);
  });
});

