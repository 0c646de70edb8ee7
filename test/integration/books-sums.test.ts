/**
 * The books add up (docs/books.md): a data dir built through the sandbox with every kind of event — exact, partial,
 * over- and late payments, a reorg that drops a payment, a double-spend, one transaction paying two invoices, a
 * pool address reused after a cancellation, unattributed payments, a fiat invoice, an invoice that went invalid and
 * confirmed later, refunds — and the CSV sums checked against what the chain itself paid our addresses, to the
 * satoshi, and against the API's totals and the daily report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networks, payments as btcPayments } from 'bitcoinjs-lib';
import crypto from 'node:crypto';
import { bip32 } from '../../src/core/ecc.ts';
import { dateOf } from '../../src/core/report.ts';
import type { App } from '../../src/node/app.ts';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/wait.ts';
import { parseCsv, sumColumn } from '../helpers/csv.ts';

let sandbox: TestSandbox;
let app: App;
let api: ApiClient;
const root = bip32.fromSeed(crypto.randomBytes(32), networks.testnet);
const pool: string[] = [];
let next = 0;
const customer = btcPayments.p2wpkh({ pubkey: bip32.fromSeed(crypto.randomBytes(32), networks.testnet).derivePath('m/0/0').publicKey, network: networks.regtest }).address!;

/** Adds one address to the static pool (so the next invoice takes exactly it) and returns it. */
async function addAddress(): Promise<string> {
  const a = btcPayments.p2wpkh({ pubkey: root.derivePath(`m/84'/1'/0'/0/${next++}`).publicKey, network: networks.regtest }).address!;
  expect((await api.post('/addresses', { addresses: [a] })).body.results[0].result).toBe('added');
  pool.push(a);
  return a;
}
async function invoice(body: Record<string, unknown>): Promise<{ id: string; address: string }> {
  await addAddress();
  const r = await api.post('/invoices', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}
const get = async (id: string) => (await api.get(`/invoices/${id}`)).body;
const until = (id: string, ok: (inv: any) => boolean, what: string) => waitFor(() => get(id), ok, what);
const pay = async (address: string, sats: number, rbf = false) => (await sandbox.control<{ txid: string }>('POST', '/pay', { address, sats, rbf })).body.txid;
const mine = async (blocks = 1) => (await sandbox.control<{ height: number }>('POST', '/mine', { blocks })).body.height;
const synced = async () => {
  await waitFor(() => app.service.tipHeight(), (h) => h === sandbox.sb.status().height, 'tip');
  await app.watcher!.waitSynced(15_000);
};

/** What the chain paid our pool addresses: every output to them in the sandbox's chain and mempool. */
function chainPaid(): number {
  let total = 0;
  for (const a of pool) {
    const script = Buffer.from(btcPayments.p2wpkh({ address: a, network: networks.regtest }).output!).toString('hex');
    const seen = new Set<string>();
    for (const b of sandbox.sb.chain.blocks) for (const t of b.txs) if (!seen.has(t.txid)) {
      seen.add(t.txid);
      for (const o of t.tx.outs) if (Buffer.from(o.script).toString('hex') === script) total += Number(o.value);
    }
    for (const e of sandbox.sb.chain.mempool.values()) for (const o of e.t.tx.outs) if (Buffer.from(o.script).toString('hex') === script) total += Number(o.value);
  }
  return total;
}

const refunds: number[] = [];
const reversedEvents: { payment: { txid: string }; invoice: any }[] = [];
const reversedTxids: { txid: string; invoice: string; sats: number }[] = [];
const t0 = Date.now();
let fiatInvoice = '';
let invalidInvoice = '';

beforeAll(async () => {
  sandbox = await startTestSandbox();
  ({ app, api } = await startTestApp({
    electrum: [sandbox.sb.electrumTcpUrl],
    watcher: { connection: { backoff: { baseMs: 100, capMs: 1000 }, badServerCooldownMs: 1000 } },
  }));
  await api.call('PATCH', '/settings', { fiat: { currency: 'EUR', rates: { EUR: '60000' } } });
  await app.watcher!.waitSynced(15_000);
  app.service.bus.subscribe((e) => {
    if (e.type === 'payment.reversed') reversedEvents.push(e.data as any);
  });

  // exact, partial, over
  const exact = await invoice({ amount_sats: 50_000, userdata: 'exact' });
  await pay(exact.address, 50_000);
  const partial = await invoice({ amount_sats: 80_000, userdata: 'partial' });
  await pay(partial.address, 30_000);
  const over = await invoice({ amount_sats: 10_000, userdata: 'over' });
  await pay(over.address, 15_000);
  // late
  const late = await invoice({ amount_sats: 20_000, expires_in_s: 1, userdata: 'late' });
  await until(late.id, (i) => i.status === 'expired', 'expired');
  await pay(late.address, 20_000);
  // one transaction paying two invoices
  const a = await invoice({ amount_sats: 11_000, userdata: 'split-a' });
  const b = await invoice({ amount_sats: 12_000, userdata: 'split-b' });
  await sandbox.control('POST', '/pay', { outputs: [{ address: a.address, sats: 11_000 }, { address: b.address, sats: 12_000 }] });
  // a fiat invoice: 6 EUR at 60,000 → 10,000 sats
  const fiat = await invoice({ amount_fiat: '6', currency: 'EUR', userdata: 'fiat' });
  fiatInvoice = fiat.id;
  await pay(fiat.address, 10_000);
  await until(fiat.id, (i) => i.status === 'paid', 'fiat paid');
  // reorged out and never mined again
  const reorged = await invoice({ amount_sats: 25_000, userdata: 'reorged' });
  const rtx = await pay(reorged.address, 25_000);
  await until(reorged.id, (i) => i.status === 'paid', 'reorged paid');
  await mine(1);
  await until(reorged.id, (i) => i.status === 'confirmed', 'reorged confirmed');
  await sandbox.control('POST', '/reorg', { depth: 1, drop: [rtx] });
  await until(reorged.id, (i) => i.status === 'unpaid', 'reorged out');
  reversedTxids.push({ txid: rtx, invoice: reorged.id, sats: 25_000 });
  // double-spent
  const ds = await invoice({ amount_sats: 30_000, userdata: 'double-spent' });
  const dtx = await pay(ds.address, 30_000, true);
  await until(ds.id, (i) => i.status === 'paid', 'ds paid');
  await sandbox.control('POST', '/double-spend', { txid: dtx });
  await until(ds.id, (i) => i.status === 'unpaid', 'ds unpaid');
  reversedTxids.push({ txid: dtx, invoice: ds.id, sats: 30_000 });
  // a pool address reused: cancelled with nothing received, paid while free (unattributed), then taken again
  const first = await invoice({ amount_sats: 9_000, userdata: 'reuse-1' });
  await api.post(`/invoices/${first.id}/cancel`);
  await pay(first.address, 4_000);
  await synced();
  const second = await api.post('/invoices', { amount_sats: 9_000, userdata: 'reuse-2' });
  expect(second.body.address).toBe(first.address);
  await pay(first.address, 9_000);
  await until(second.body.id, (i) => i.status === 'paid', 'reuse-2 paid');
  // money to a free address nobody holds: unattributed
  await pay(await addAddress(), 3_333);
  // paid, not confirmed within the monitoring window (1 s after a 1 s expiry): invalid, then confirmed + late
  await api.call('PATCH', '/settings', { invoice: { monitoring_s: 1 } });
  const inv = await invoice({ amount_sats: 15_000, expires_in_s: 1, userdata: 'invalid-then-confirmed' });
  invalidInvoice = inv.id;
  await api.call('PATCH', '/settings', { invoice: { monitoring_s: 86_400 } });
  await pay(inv.address, 15_000);
  await until(inv.id, (i) => i.status === 'invalid', 'invalid');

  await mine(1);
  await synced();
  await until(invalidInvoice, (i) => i.status === 'confirmed', 'confirmed late');

  // refunds: the overpaid excess to the customer, and what the partial invoice received
  const o = await get(over.id);
  expect(o.overpaid_sats).toBe(5_000);
  expect((await api.post(`/invoices/${over.id}/refunds`, { sats: o.overpaid_sats, address: customer, note: 'excess back' })).status).toBe(201);
  refunds.push(5_000);
  const p = await get(partial.id);
  expect((await api.post(`/invoices/${partial.id}/refunds`, { sats: p.refundable_sats, note: 'order cancelled' })).status).toBe(201);
  refunds.push(30_000);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await sandbox?.close();
});

describe('the books add up', () => {
  it('payments.csv sums to what the chain paid, minus the refunds, to the satoshi', async () => {
    const paid = chainPaid();
    const csv = parseCsv((await api.get('/export/payments.csv')).body);
    const payRows = csv.rows.filter((r) => r.type === 'payment');
    expect(sumColumn(payRows, 'sats')).toBe(paid);
    expect(payRows.every((r) => r.state === 'counted' || r.state === 'unattributed')).toBe(true);
    const refundRows = csv.rows.filter((r) => r.type === 'refund');
    expect(refundRows.map((r) => Number(r.sats)).sort((x, y) => x - y)).toEqual(refunds.map((s) => -s).sort((x, y) => x - y));
    expect(sumColumn(csv.rows, 'sats')).toBe(paid - refunds.reduce((s, x) => s + x, 0));
    expect(refundRows.find((r) => r.note === 'excess back')).toMatchObject({ address: customer, order_ref: 'over', state: 'recorded' });
    // BTC column agrees with sats on every row
    for (const r of csv.rows) expect(Math.round(Number(r.btc) * 1e8)).toBe(Number(r.sats));
  });

  it('reversed payments appear only when asked, marked, adding nothing', async () => {
    const all = parseCsv((await api.get('/export/payments.csv?reversed=1')).body);
    const reversed = all.rows.filter((r) => r.state === 'reversed');
    expect(reversed.map((r) => ({ txid: r.txid, sats: r.sats, reversed_sats: Number(r.reversed_sats), invoice: r.invoice_id })).sort((x, y) => x.txid.localeCompare(y.txid))).toEqual(
      reversedTxids.map((x) => ({ txid: x.txid, sats: '0', reversed_sats: x.sats, invoice: x.invoice })).sort((x, y) => x.txid.localeCompare(y.txid)),
    );
    const plain = parseCsv((await api.get('/export/payments.csv')).body);
    expect(sumColumn(all.rows, 'sats')).toBe(sumColumn(plain.rows, 'sats'));
  });

  it('invoices.csv, the API totals, the unattributed list and the daily report agree', async () => {
    const paid = chainPaid();
    const inv = parseCsv((await api.get('/export/invoices.csv')).body);
    const totals = (await api.get('/reports/invoices')).body;
    const unattributed = (await api.get('/payments/unattributed?limit=500')).body.payments as { sats: number; state: string }[];
    const unattributedSats = unattributed.filter((p) => p.state === 'unattributed').reduce((s, p) => s + p.sats, 0);
    expect(unattributedSats).toBe(4_000 + 3_333);
    expect(totals.paid_sats + unattributedSats).toBe(paid);
    for (const [col, key] of [['paid_sats', 'paid_sats'], ['confirmed_sats', 'confirmed_sats'], ['refunded_sats', 'refunded_sats'], ['net_sats', 'net_sats'], ['missing_sats', 'missing_sats'], ['overpaid_sats', 'overpaid_sats'], ['amount_sats', 'amount_sats']] as const) {
      expect(sumColumn(inv.rows, col), col).toBe(totals[key]);
    }
    expect(totals.count).toBe(inv.rows.length);
    expect(totals.refunded_sats).toBe(35_000);
    expect(totals.net_sats).toBe(totals.paid_sats - totals.refunded_sats);
    const ledger = parseCsv((await api.get('/export/payments.csv')).body);
    const report = (await api.get(`/reports/daily?from=${dateOf(t0, 'UTC')}&to=${dateOf(Date.now(), 'UTC')}&tz=UTC`)).body;
    expect(report.totals.net_sats).toBe(sumColumn(ledger.rows, 'sats'));
    expect(report.totals.received.sats).toBe(totals.paid_sats);
    expect(report.totals.unattributed.sats).toBe(unattributedSats);
    expect(report.totals.refunds.sats).toBe(35_000);
    expect(report.totals.invoices.created).toBe(inv.rows.length);
    // Every payment has a euro value (the fiat invoice's locked rate, the manual rate for the others), and the
    // report's fiat sum is the sum of the payments' rows, cent for cent.
    const counted = ledger.rows.filter((r) => r.type === 'payment' && r.state === 'counted');
    const cents = counted.reduce((s, r) => s + Math.round(Number(r.fiat_amount) * 100), 0);
    expect(report.totals.received.fiat).toEqual([{ currency: 'EUR', amount: (cents / 100).toFixed(2), missing: 0 }]);
  });

  it('values a payment to a fiat invoice at its locked rate, and the others at the manual rate in force', async () => {
    const csv = parseCsv((await api.get('/export/payments.csv')).body);
    expect(csv.rows.find((r) => r.invoice_id === fiatInvoice)).toMatchObject({ fiat_amount: '6.00', fiat_currency: 'EUR', fiat_rate: '60000', fiat_basis: 'invoice', fiat_note: '' });
    // Priced in sats: the shop's manual EUR rate was set before the payment and is still the same, so it was in force.
    expect(csv.rows.find((r) => r.order_ref === 'exact')).toMatchObject({ fiat_amount: '30.00', fiat_currency: 'EUR', fiat_rate: '60000', fiat_basis: 'manual', fiat_note: '' });
  });

  it('payment.reversed names the invoice it counted toward, as it stands after the reversal', async () => {
    expect(reversedEvents.map((e) => [e.payment.txid, e.invoice?.id, e.invoice?.status])).toEqual(reversedTxids.map((r) => [r.txid, r.invoice, 'unpaid']));
    for (const e of reversedEvents) expect(e.invoice.payments.find((p: any) => p.txid === e.payment.txid)).toMatchObject({ state: 'reversed', counted: false });
    const stored = app.db.prepare("SELECT event_json(data) AS data FROM events WHERE type = 'payment.reversed'").pluck().all() as string[];
    expect(stored.map((d) => JSON.parse(d).invoice.id)).toEqual(reversedTxids.map((r) => r.invoice));
  });

  it('an invalid invoice that confirms later is confirmed + late', async () => {
    const inv = await get(invalidInvoice);
    expect(inv.status).toBe('confirmed');
    expect(inv.flags).toContain('late');
    expect(Date.parse(inv.confirmed_at)).toBeGreaterThanOrEqual(Date.parse(inv.expires_at) + 1000);
  });

  it('refuses refunds beyond what was received, with the numbers, and changes nothing', async () => {
    const csv = parseCsv((await api.get('/export/invoices.csv')).body);
    const over = csv.rows.find((r) => r.order_ref === 'over')!;
    const r = await api.post(`/invoices/${over.id}/refunds`, { sats: 999_999_999 });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toBe(
      'A refund of 999999999 sats is more than this invoice can refund: it received 15000 sats and 5000 were already refunded, so at most 10000 sats.',
    );
    const unpaid = csv.rows.find((r) => r.order_ref === 'reorged')!;
    expect((await api.post(`/invoices/${unpaid.id}/refunds`, { sats: 1 })).body.error.code).toBe('refund_exceeds_received');
    expect((await get(over.id)).refunds).toHaveLength(1);
    expect((await api.post(`/invoices/${over.id}/refunds`, { sats: 1000, address: 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq' })).body.error.code).toBe('wrong_network');
    expect((await api.post(`/invoices/${over.id}/refunds`, { sats: 1000, address: pool[0] })).body.error.message).toMatch(/one of this shop's own addresses/);
  });
});
