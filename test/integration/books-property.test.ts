/**
 * A property of the books (docs/books.md): whatever happens on the chain — payments exact, partial and over,
 * blocks, reorgs that drop or keep transactions, double-spends — and whatever refunds the merchant records (or tries
 * to record beyond what was received), sum(counted payments) − sum(refunds) equals the sum over invoices of
 * (received − refunded), payments.csv sums to what the chain paid minus the refunds, and the CSV totals equal the
 * API's totals and the daily report. Random sequences (fast-check) on the real sandbox chain and watcher.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { address as btcAddress, networks } from 'bitcoinjs-lib';
import type { App } from '../../src/node/app.ts';
import { dateOf } from '../../src/core/report.ts';
import type { ApiClient } from '../helpers/api.ts';
import { parseCsv, sumColumn } from '../helpers/csv.ts';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/wait.ts';
import { startWatchedApp } from '../helpers/watched.ts';

let sandbox: TestSandbox;
let app: App;
let api: ApiClient;
const addresses: string[] = [];
const t0 = Date.now();

beforeAll(async () => {
  sandbox = await startTestSandbox();
  ({ app, api } = await startWatchedApp(sandbox));
});
afterAll(async () => {
  await app?.close();
  await sandbox?.close();
});

type Action =
  | { kind: 'invoice'; sats: number }
  | { kind: 'pay'; invoice: number; part: 'partial' | 'exact' | 'over'; rbf: boolean }
  | { kind: 'mine' }
  | { kind: 'reorg'; drop: boolean }
  | { kind: 'double-spend'; pick: number }
  | { kind: 'refund'; invoice: number; share: number; tooMuch: boolean };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('invoice' as const), sats: fc.integer({ min: 2_000, max: 90_000 }) }),
  fc.record({ kind: fc.constant('pay' as const), invoice: fc.nat(), part: fc.constantFrom('partial' as const, 'exact' as const, 'over' as const), rbf: fc.boolean() }),
  fc.record({ kind: fc.constant('pay' as const), invoice: fc.nat(), part: fc.constantFrom('partial' as const, 'exact' as const, 'over' as const), rbf: fc.boolean() }),
  fc.record({ kind: fc.constant('mine' as const) }),
  fc.record({ kind: fc.constant('reorg' as const), drop: fc.boolean() }),
  fc.record({ kind: fc.constant('double-spend' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('refund' as const), invoice: fc.nat(), share: fc.integer({ min: 1, max: 100 }), tooMuch: fc.boolean() }),
);

/** What the chain paid our addresses: outputs to them in the sandbox's blocks and mempool. */
function chainPaid(): number {
  const scripts = new Set(addresses.map((a) => Buffer.from(btcAddress.toOutputScript(a, networks.regtest)).toString('hex')));
  let total = 0;
  const seen = new Set<string>();
  const count = (txid: string, outs: { script: Uint8Array; value: bigint | number }[]): void => {
    if (seen.has(txid)) return;
    seen.add(txid);
    for (const o of outs) if (scripts.has(Buffer.from(o.script).toString('hex'))) total += Number(o.value);
  };
  for (const b of sandbox.sb.chain.blocks) for (const t of b.txs) count(t.txid, t.tx.outs);
  for (const e of sandbox.sb.chain.mempool.values()) count(e.t.txid, e.t.tx.outs);
  return total;
}

async function run(actions: Action[]): Promise<void> {
  const invoices: { id: string; address: string; amount: number }[] = [];
  const unconfirmed: string[] = [];
  for (const a of actions) {
    if (a.kind === 'invoice' || invoices.length === 0) {
      const sats = a.kind === 'invoice' ? a.sats : 10_000;
      const r = await api.post('/invoices', { amount_sats: sats });
      expect(r.status).toBe(201);
      invoices.push({ id: r.body.id, address: r.body.address, amount: sats });
      addresses.push(r.body.address);
      if (a.kind === 'invoice') continue;
    }
    if (a.kind === 'pay') {
      const inv = invoices[a.invoice % invoices.length]!;
      const sats = a.part === 'partial' ? Math.max(600, Math.floor(inv.amount / 3)) : a.part === 'exact' ? inv.amount : Math.floor(inv.amount * 1.5);
      const r = await sandbox.control<{ txid: string }>('POST', '/pay', { address: inv.address, sats, rbf: a.rbf });
      expect(r.status).toBe(200);
      if (a.rbf) unconfirmed.push(r.body.txid);
    } else if (a.kind === 'mine') {
      await sandbox.control('POST', '/mine', { blocks: 1 });
      unconfirmed.length = 0;
    } else if (a.kind === 'reorg') {
      const tip = sandbox.sb.chain.blocks.at(-1)!;
      const ours = tip.txs.map((t) => t.txid).filter((id) => !tip.txs[0] || id !== tip.txs[0].txid);
      await sandbox.control('POST', '/reorg', { depth: 1, drop: a.drop ? ours.slice(0, 1) : [] });
    } else if (a.kind === 'double-spend') {
      const live = unconfirmed.filter((id) => sandbox.sb.chain.mempool.has(id));
      if (live.length) await sandbox.control('POST', '/double-spend', { txid: live[a.pick % live.length] });
    } else if (a.kind === 'refund') {
      const inv = invoices[a.invoice % invoices.length]!;
      await settle();
      const cur = (await api.get(`/invoices/${inv.id}`)).body;
      const sats = a.tooMuch ? cur.refundable_sats + 1 : Math.max(1, Math.floor((cur.refundable_sats * a.share) / 100));
      const r = await api.post(`/invoices/${inv.id}/refunds`, { sats, note: 'property' });
      if (a.tooMuch || cur.paid_sats === 0 || cur.refundable_sats === 0) {
        expect(r.status, JSON.stringify(r.body)).toBe(409);
        expect(r.body.error.code).toBe('refund_exceeds_received');
        expect((await api.get(`/invoices/${inv.id}`)).body.refunds).toHaveLength(cur.refunds.length);
      } else expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
  }
  await settle();
}

/** Waits until the watcher has taken in everything the sandbox did: our payments add up to what the chain paid. */
async function settle(): Promise<void> {
  await waitFor(() => app.service.tipHeight(), (h) => h === sandbox.sb.status().height, 'tip');
  await app.watcher!.waitSynced(20_000);
  await waitFor(
    async () => sumColumn(parseCsv((await api.get('/export/payments.csv')).body).rows.filter((r) => r.type === 'payment'), 'sats'),
    (s) => s === chainPaid(),
    'payments to add up to what the chain paid',
    20_000,
  );
}

async function checkBooks(): Promise<void> {
  const ledger = parseCsv((await api.get('/export/payments.csv')).body).rows;
  const invoicesCsv = parseCsv((await api.get('/export/invoices.csv')).body).rows;
  const totals = (await api.get('/reports/invoices')).body;
  const counted = sumColumn(ledger.filter((r) => r.type === 'payment' && r.state === 'counted'), 'sats');
  const refunded = 0 - sumColumn(ledger.filter((r) => r.type === 'refund'), 'sats');
  const perInvoice = invoicesCsv.reduce((s, r) => s + Number(r.paid_sats) - Number(r.refunded_sats), 0);
  expect(counted - refunded).toBe(perInvoice);
  expect(totals.net_sats).toBe(perInvoice);
  expect(totals.paid_sats).toBe(counted);
  expect(totals.refunded_sats).toBe(refunded);
  for (const col of ['paid_sats', 'confirmed_sats', 'missing_sats', 'overpaid_sats', 'refunded_sats', 'net_sats', 'amount_sats', 'due_sats']) {
    expect(sumColumn(invoicesCsv, col), col).toBe(totals[col]);
  }
  expect(sumColumn(ledger, 'sats')).toBe(chainPaid() - refunded);
  const report = (await api.get(`/reports/daily?from=${dateOf(t0, 'UTC')}&to=${dateOf(Date.now(), 'UTC')}&tz=UTC`)).body;
  expect(report.totals.net_sats).toBe(sumColumn(ledger, 'sats'));
  expect(report.totals.received.sats).toBe(counted);
  // Every invoice's own view agrees with its row of invoices.csv.
  for (const r of invoicesCsv.slice(-8)) {
    const v = (await api.get(`/invoices/${r.id}`)).body;
    expect([v.paid_sats, v.refunded_sats, v.net_sats, v.missing_sats]).toEqual([Number(r.paid_sats), Number(r.refunded_sats), Number(r.net_sats), Number(r.missing_sats)]);
  }
}

describe('the books hold for random histories', () => {
  it('sum(counted) − sum(refunds) = Σ (received − refunded), and the CSV totals equal the API totals', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 4, maxLength: 14 }), async (actions) => {
        await run(actions);
        await checkBooks();
      }),
      { numRuns: 12, endOnFailure: true },
    );
  }, 300_000);
});
