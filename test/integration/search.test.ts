/**
 * `GET /invoices?q=` (docs/spec/api.md#search): id, address, txid (or its first 8+ hex digits), and any part of the
 * label or order reference through the trigram index — newest first, with the status filter and cursor paging —
 * over 3,000 older invoices, each way on an index (query plans), with real payments on the sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { startWatchedApp } from '../helpers/watched.ts';
import { waitFor } from '../helpers/wait.ts';
import { addHistory } from '../helpers/history.ts';
import { fullScans, planOf, recordStatements } from '../helpers/statements.ts';
import type { ApiClient } from '../helpers/api.ts';
import type { App } from '../../src/node/app.ts';
import { trigramQuery } from '../../src/node/search.ts';

let sandbox: TestSandbox;
let app: App;
let api: ApiClient;
const made = new Map<string, { id: string; address: string }>();
let txid = '';

const search = async (q: string, extra = ''): Promise<{ ids: string[]; next: string | null }> => {
  const r = await api.get(`/invoices?q=${encodeURIComponent(q)}${extra}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { ids: r.body.invoices.map((i: { id: string }) => i.id), next: r.body.next_cursor };
};
const idOf = (key: string): string => made.get(key)!.id;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  ({ app, api } = await startWatchedApp(sandbox));
  addHistory(app.db, 3_000, { height: sandbox.sb.status().height });
  const sell: [string, string, string][] = [
    ['espresso', 'Espresso', 'order-100123'],
    ['flat', 'Flat white', 'order-100124'],
    ['beans', 'Coffee beans 1kg', 'WC-77'],
    ['gift', 'Gift card 50%', 'a_b'],
    ['axb', 'Gift card 50 euros', 'axb'],
    ['short', '', '42'],
  ];
  for (const [key, label, userdata] of sell) made.set(key, (await api.post('/invoices', { amount_sats: 20_000, label, userdata })).body);
  for (let i = 0; i < 7; i++) made.set(`tea${i}`, (await api.post('/invoices', { amount_sats: 5_000, label: 'Tea sampler' })).body);
  txid = (await sandbox.control<{ txid: string }>('POST', '/pay', { address: made.get('flat')!.address, sats: 20_000 })).body.txid;
  await waitFor(async () => (await api.get(`/invoices/${idOf('flat')}`)).body.status, (s) => s === 'paid', 'paid');
});
afterAll(async () => {
  await app?.close();
  await sandbox?.close();
});

describe('invoice search', () => {
  it('finds any part of a label or order reference, in any case, newest first', async () => {
    expect((await search('ESPRESSO')).ids[0]).toBe(idOf('espresso')); // then 3,000 older espressos
    expect((await search('beans')).ids).toEqual([idOf('beans')]);
    expect((await search('100123')).ids).toEqual([idOf('espresso')]);
    expect((await search('order-1001')).ids).toEqual([idOf('flat'), idOf('espresso')]);
    expect((await search('wc-7')).ids).toEqual([idOf('beans')]);
    expect((await search('no such thing')).ids).toEqual([]);
  });

  it('takes %, _ and quotes literally', async () => {
    expect((await search('50%')).ids).toEqual([idOf('gift')]);
    expect((await search('a_b')).ids).toEqual([idOf('gift')]);
    expect((await search('"card')).ids).toEqual([]);
    expect(trigramQuery('say "hi"')).toContain('""');
  });

  it('matches one or two characters to an order reference exactly', async () => {
    expect((await search('42')).ids).toEqual([idOf('short')]);
    expect((await search('4')).ids).toEqual([]);
  });

  it('finds an invoice by id, by address and by txid or its first digits', async () => {
    const flat = made.get('flat')!;
    expect((await search(flat.id)).ids).toEqual([flat.id]);
    expect((await search(flat.address)).ids).toEqual([flat.id]);
    expect((await search(txid)).ids).toEqual([flat.id]);
    expect((await search(txid.slice(0, 10))).ids).toEqual([flat.id]);
    expect((await search(txid.slice(0, 10).toUpperCase())).ids).toEqual([flat.id]);
  });

  it('combines with the status filter and pages with the cursor', async () => {
    expect((await search('order-1001', '&status=paid')).ids).toEqual([idOf('flat')]);
    const pages: string[][] = [];
    let cursor = '';
    for (;;) {
      const p = await search('tea sampler', `&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      pages.push(p.ids);
      if (!p.next) break;
      cursor = p.next;
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => idOf(`tea${i}`)));
  });

  it('runs each way on an index: the trigram index for text, no full scan of any history table', async () => {
    const rec = recordStatements(app.db);
    for (const q of ['espresso', 'order-100123', '42', made.get('flat')!.address, txid.slice(0, 12), idOf('beans')]) await search(q);
    const executed = rec.stop();
    expect(fullScans(app.db, executed)).toEqual([]);
    const text = executed.find((e) => e.sql.includes('invoices_search MATCH'))!;
    expect(planOf(app.db, text).join('\n')).toMatch(/SCAN s VIRTUAL TABLE INDEX \d+:M/);
    // A page of 50 over 3,000 espressos reads a page, not the 3,000.
    const espresso = executed.find((e) => e.sql.includes('invoices_search MATCH') && JSON.stringify(e.args).includes('esp'))!;
    expect(espresso.rows).toBe(51);
  });
});
