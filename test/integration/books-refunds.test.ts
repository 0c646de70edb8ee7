/**
 * Refunds watched on the chain (docs/books.md#refunds), against the real sandbox over real sockets: a refund recorded
 * with the customer's address is watched; a payment of another amount is not it, the exact amount fills in the txid,
 * a block confirms it, a double-spend or a reorg takes it back, a replacement is taken instead, a typed txid is
 * followed; the address is let go at 6 confirmations; the CSV shows the refund with its txid.
 */
import crypto from 'node:crypto';
import { networks, payments as btcPayments } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bip32 } from '../../src/core/ecc.ts';
import type { App } from '../../src/node/app.ts';
import { refundWatchRows } from '../../src/node/books/refund-watch.ts';
import type { ApiClient } from '../helpers/api.ts';
import { parseCsv } from '../helpers/csv.ts';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/wait.ts';
import { startWatchedApp } from '../helpers/watched.ts';

let sandbox: TestSandbox;
let app: App;
let api: ApiClient;
const events: { type: string; data: any }[] = [];

const customer = (): string =>
  btcPayments.p2wpkh({ pubkey: bip32.fromSeed(crypto.randomBytes(32), networks.testnet).derivePath('m/0/0').publicKey, network: networks.regtest }).address!;
const pay = async (address: string, sats: number, rbf = false) => (await sandbox.control<{ txid: string }>('POST', '/pay', { address, sats, rbf })).body.txid;
const mine = async (blocks = 1) => (await sandbox.control<{ height: number }>('POST', '/mine', { blocks })).body.height;
const refundOf = async (invoiceId: string, refundId: number) => ((await api.get(`/invoices/${invoiceId}`)).body.refunds as any[]).find((r) => r.id === refundId);
const untilRefund = (invoiceId: string, refundId: number, ok: (r: any) => boolean, what: string) => waitFor(() => refundOf(invoiceId, refundId), ok, what);
/** The watcher has taken in the address's latest history (its status is stored beside the refund). */
const seenStatus = (address: string) =>
  waitFor(
    () => app.db.prepare('SELECT electrum_status FROM refunds WHERE address = ? LIMIT 1').pluck().get(address),
    (s) => s === sandbox.sb.chain.status(app.db.prepare('SELECT scripthash FROM refunds WHERE address = ? LIMIT 1').pluck().get(address) as string),
    'the refund address history taken in',
  );

async function overpaidInvoice(): Promise<{ id: string }> {
  const inv = (await api.post('/invoices', { amount_sats: 10_000 })).body;
  await pay(inv.address, 15_000);
  await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body, (i) => i.overpaid_sats === 5_000, 'overpaid');
  return inv;
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  ({ app, api } = await startWatchedApp(sandbox));
  app.service.bus.subscribe((e) => {
    if (e.type.startsWith('invoice.refund')) events.push({ type: e.type, data: e.data });
  });
});
afterAll(async () => {
  await app?.close();
  await sandbox?.close();
});

describe('a refund address is watched', () => {
  it('fills in the txid when the exact amount arrives, then its confirmations; ignores other amounts', async () => {
    const inv = await overpaidInvoice();
    const addr = customer();
    const r = await api.post(`/invoices/${inv.id}/refunds`, { sats: 5_000, address: addr, note: 'excess back' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ sats: 5_000, address: addr, state: 'recorded', txid: null, height: null, confirmations: 0 });
    expect(r.body.bip21).toBe(`bitcoin:${addr}?amount=0.00005&label=Refund%20for%20${inv.id}`);
    // Someone else pays the address another amount: not the refund.
    await pay(addr, 4_999);
    await seenStatus(addr);
    expect(await refundOf(inv.id, r.body.id)).toMatchObject({ state: 'recorded', txid: null });
    const txid = await pay(addr, 5_000);
    const sent = await untilRefund(inv.id, r.body.id, (x) => x.txid === txid, 'txid filled in');
    expect(sent).toMatchObject({ state: 'sent', height: 0, confirmations: 0 });
    const h = await mine(1);
    const confirmed = await untilRefund(inv.id, r.body.id, (x) => x.state === 'confirmed', 'confirmed');
    expect(confirmed).toMatchObject({ txid, height: h, confirmations: 1 });
    expect(events.filter((e) => e.data.refund.id === r.body.id).map((e) => [e.type, e.data.refund.state])).toEqual([
      ['invoice.refund_recorded', 'recorded'],
      ['invoice.refund_updated', 'sent'],
      ['invoice.refund_updated', 'confirmed'],
    ]);
    const csv = parseCsv((await api.get('/export/payments.csv')).body).rows.find((x) => x.type === 'refund' && x.note === 'excess back')!;
    expect(csv).toMatchObject({ sats: '-5000', txid, address: addr, state: 'confirmed', height: String(h), confirmations: '1' });
    // At 6 confirmations the address is let go.
    expect(refundWatchRows(app.db, Date.now(), app.service.tipHeight()).length).toBeGreaterThan(0);
    await mine(5);
    await waitFor(() => app.service.tipHeight(), (t) => t === sandbox.sb.status().height, 'tip');
    expect(refundWatchRows(app.db, Date.now(), app.service.tipHeight()).map((x) => x.scripthash)).not.toContain(
      app.db.prepare('SELECT scripthash FROM refunds WHERE id = ?').pluck().get(r.body.id),
    );
  });

  it('a double-spent refund is open again and takes the next matching transaction; a reorg unconfirms it', async () => {
    const inv = await overpaidInvoice();
    const addr = customer();
    const r = (await api.post(`/invoices/${inv.id}/refunds`, { sats: 5_000, address: addr })).body;
    const first = await pay(addr, 5_000, true);
    await untilRefund(inv.id, r.id, (x) => x.txid === first, 'first txid');
    await sandbox.control('POST', '/double-spend', { txid: first });
    await untilRefund(inv.id, r.id, (x) => x.txid === null, 'txid cleared');
    const second = await pay(addr, 5_000);
    await untilRefund(inv.id, r.id, (x) => x.txid === second, 'second txid');
    await mine(1);
    await untilRefund(inv.id, r.id, (x) => x.state === 'confirmed', 'confirmed');
    await sandbox.control('POST', '/reorg', { depth: 1 });
    const back = await untilRefund(inv.id, r.id, (x) => x.state === 'sent', 'unconfirmed by the reorg');
    expect(back).toMatchObject({ txid: second, height: 0 });
    await mine(1);
    await untilRefund(inv.id, r.id, (x) => x.state === 'confirmed', 'confirmed again');
  });

  it('follows a txid the merchant typed, and two refunds of one amount to one address take two transactions', async () => {
    const inv = await overpaidInvoice();
    const addr = customer();
    const typed = await pay(addr, 1_234);
    const r1 = (await api.post(`/invoices/${inv.id}/refunds`, { sats: 2_000, address: addr, txid: typed })).body;
    expect(r1).toMatchObject({ txid: typed, state: 'sent' });
    await mine(1);
    await untilRefund(inv.id, r1.id, (x) => x.state === 'confirmed', 'typed txid confirmed');
    const a = (await api.post(`/invoices/${inv.id}/refunds`, { sats: 1_000, address: addr })).body;
    const b = (await api.post(`/invoices/${inv.id}/refunds`, { sats: 1_000, address: addr })).body;
    const t1 = await pay(addr, 1_000);
    await untilRefund(inv.id, a.id, (x) => x.txid === t1, 'first refund');
    expect((await refundOf(inv.id, b.id)).txid).toBeNull();
    const t2 = await pay(addr, 1_000);
    await untilRefund(inv.id, b.id, (x) => x.txid === t2, 'second refund');
    expect((await refundOf(inv.id, r1.id)).txid).toBe(typed);
  });
});
