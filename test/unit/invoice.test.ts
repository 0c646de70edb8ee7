import { describe, expect, it } from 'vitest';
import {
  INVOICE_STATUSES,
  STATUS_MEANING,
  confirmations,
  dueSats,
  evaluate,
  toleranceBasisPoints,
  transitionEvents,
  type Evaluation,
  type InvoiceEvent,
  type InvoiceFlag,
  type InvoiceStatus,
  type InvoiceTerms,
  type PaymentFact,
} from '../../src/core/invoice.ts';
import { SatdeskError } from '../../src/core/errors.ts';

// The injected clock: every time below is relative to T0.
const T0 = 1_700_000_000_000;
const MIN = 60_000;
const HOUR = 60 * MIN;
const EXPIRES = T0 + 15 * MIN;
const WINDOW_END = EXPIRES + 24 * HOUR;
const TIP = 200;

function terms(over: Partial<InvoiceTerms> = {}): InvoiceTerms {
  return {
    amountSats: 100_000,
    createdAt: T0,
    expiresAt: EXPIRES,
    confirmationsRequired: 1,
    tolerancePct: 0,
    monitoringMs: 24 * HOUR,
    zeroConfLimitSats: 0,
    zeroConfRisk: 'refuse',
    cancelledAt: null,
    manual: null,
    ...over,
  };
}

/** A payment; height 0 = mempool. */
function pay(txid: string, sats: number, over: Partial<PaymentFact> = {}): PaymentFact {
  return { txid, sats, height: 0, time: T0 + MIN, rbf: false, ...over };
}

interface Expected {
  status: InvoiceStatus;
  flags: InvoiceFlag[];
  paid: number;
  confirmed: number;
  due?: number;
  missing: number;
  overpaid: number;
  settledAt?: number | null;
}

interface Case {
  name: string;
  terms?: Partial<InvoiceTerms>;
  payments: PaymentFact[];
  tip?: number;
  now: number;
  /** Electrum servers configured (default 1) */
  servers?: number;
  expect: Expected;
}

function check(c: Case): Evaluation {
  const ev = evaluate(terms(c.terms), c.payments, c.tip ?? TIP, c.now, { servers: c.servers ?? 1 });
  expect(ev.status).toBe(c.expect.status);
  expect(ev.flags).toEqual(c.expect.flags);
  expect(ev.paidSats).toBe(c.expect.paid);
  expect(ev.confirmedSats).toBe(c.expect.confirmed);
  expect(ev.dueSats).toBe(c.expect.due ?? 100_000);
  expect(ev.missingSats).toBe(c.expect.missing);
  expect(ev.overpaidSats).toBe(c.expect.overpaid);
  if (c.expect.settledAt !== undefined) expect(ev.settledAt).toBe(c.expect.settledAt);
  return ev;
}

const ON_TIME = T0 + 5 * MIN;
const NOW = T0 + 10 * MIN; // before expiry

const statusTable: Case[] = [
  // unpaid — nothing received yet
  { name: 'unpaid: nothing received', payments: [], now: NOW,
    expect: { status: 'unpaid', flags: [], paid: 0, confirmed: 0, missing: 100_000, overpaid: 0, settledAt: null } },
  { name: 'unpaid: just before expiry', payments: [], now: EXPIRES - 1,
    expect: { status: 'unpaid', flags: [], paid: 0, confirmed: 0, missing: 100_000, overpaid: 0 } },
  // partial — less than due; the missing amount is shown
  { name: 'partial: mempool 40k of 100k', payments: [pay('a', 40_000)], now: NOW,
    expect: { status: 'partial', flags: [], paid: 40_000, confirmed: 0, missing: 60_000, overpaid: 0, settledAt: null } },
  { name: 'partial: two payments, confirmed part counted', payments: [pay('a', 30_000, { height: 190 }), pay('b', 20_000)], now: NOW,
    expect: { status: 'partial', flags: ['multiple'], paid: 50_000, confirmed: 30_000, missing: 50_000, overpaid: 0 } },
  { name: 'partial: 1 sat short', payments: [pay('a', 99_999, { height: 200 })], now: NOW,
    expect: { status: 'partial', flags: [], paid: 99_999, confirmed: 99_999, missing: 1, overpaid: 0 } },
  // paid — due received, not yet with the required confirmations
  { name: 'paid: in mempool, 1 confirmation required', payments: [pay('a', 100_000, { time: ON_TIME })], now: NOW,
    expect: { status: 'paid', flags: [], paid: 100_000, confirmed: 0, missing: 0, overpaid: 0, settledAt: ON_TIME } },
  { name: 'paid: 1 of 2 confirmations', terms: { confirmationsRequired: 2 }, payments: [pay('a', 100_000, { height: 200 })], now: NOW,
    expect: { status: 'paid', flags: [], paid: 100_000, confirmed: 0, missing: 0, overpaid: 0 } },
  { name: 'paid: 5 of 6 confirmations', terms: { confirmationsRequired: 6 }, payments: [pay('a', 100_000, { height: 196 })], now: NOW,
    expect: { status: 'paid', flags: [], paid: 100_000, confirmed: 0, missing: 0, overpaid: 0 } },
  { name: 'paid: after expiry, inside the monitoring window (not expired)', payments: [pay('a', 100_000)], now: EXPIRES + HOUR,
    expect: { status: 'paid', flags: [], paid: 100_000, confirmed: 0, missing: 0, overpaid: 0 } },
  { name: 'paid: one sat before the window ends', payments: [pay('a', 100_000)], now: WINDOW_END - 1,
    expect: { status: 'paid', flags: [], paid: 100_000, confirmed: 0, missing: 0, overpaid: 0 } },
  // confirmed — due received with the required confirmations
  { name: 'confirmed: 1 of 1', payments: [pay('a', 100_000, { height: 200 })], now: NOW,
    expect: { status: 'confirmed', flags: [], paid: 100_000, confirmed: 100_000, missing: 0, overpaid: 0 } },
  { name: 'confirmed: 6 of 6 (tip − height + 1)', terms: { confirmationsRequired: 6 }, payments: [pay('a', 100_000, { height: 195 })], now: NOW,
    expect: { status: 'confirmed', flags: [], paid: 100_000, confirmed: 100_000, missing: 0, overpaid: 0 } },
  { name: 'confirmed: mined above a lagging tip still has 1 confirmation', payments: [pay('a', 100_000, { height: 205 })], now: NOW,
    expect: { status: 'confirmed', flags: [], paid: 100_000, confirmed: 100_000, missing: 0, overpaid: 0 } },
  { name: 'confirmed: evaluated long after the window, confirmed in time', payments: [pay('a', 100_000, { height: 150, confirmedAt: EXPIRES + HOUR })], now: WINDOW_END + 10 * HOUR,
    expect: { status: 'confirmed', flags: [], paid: 100_000, confirmed: 100_000, missing: 0, overpaid: 0 } },
  { name: 'confirmed: no confirmedAt known → taken as its time, not late', payments: [pay('a', 100_000, { height: 150 })], now: WINDOW_END + 10 * HOUR,
    expect: { status: 'confirmed', flags: [], paid: 100_000, confirmed: 100_000, missing: 0, overpaid: 0 } },
  { name: 'confirmed: paid on time while the console was closed (time = block time before expiry)', payments: [pay('a', 100_000, { height: 190, time: EXPIRES - MIN })], now: EXPIRES + 2 * HOUR,
    expect: { status: 'confirmed', flags: [], paid: 100_000, confirmed: 100_000, missing: 0, overpaid: 0 } },
  // expired — expiry passed while unpaid or partial
  { name: 'expired: unpaid at exactly expiresAt', payments: [], now: EXPIRES,
    expect: { status: 'expired', flags: [], paid: 0, confirmed: 0, missing: 100_000, overpaid: 0 } },
  { name: 'expired: partial (missing still shown)', payments: [pay('a', 40_000, { height: 199 })], now: EXPIRES + MIN,
    expect: { status: 'expired', flags: [], paid: 40_000, confirmed: 40_000, missing: 60_000, overpaid: 0 } },
  { name: 'expired: late partial payment does not reopen it', payments: [pay('a', 40_000, { time: EXPIRES + MIN })], now: EXPIRES + 2 * MIN,
    expect: { status: 'expired', flags: [], paid: 40_000, confirmed: 0, missing: 60_000, overpaid: 0 } },
  { name: 'expired: still expired after the window', payments: [], now: WINDOW_END + HOUR,
    expect: { status: 'expired', flags: [], paid: 0, confirmed: 0, missing: 100_000, overpaid: 0 } },
  // invalid — paid but not confirmed before the monitoring window ended
  { name: 'invalid: in mempool when the window ends', payments: [pay('a', 100_000, { time: ON_TIME })], now: WINDOW_END,
    expect: { status: 'invalid', flags: [], paid: 100_000, confirmed: 0, missing: 0, overpaid: 0, settledAt: ON_TIME } },
  { name: 'invalid: 1 of 3 confirmations when the window ends', terms: { confirmationsRequired: 3 }, payments: [pay('a', 100_000, { height: 200 })], now: WINDOW_END + 1,
    expect: { status: 'invalid', flags: [], paid: 100_000, confirmed: 0, missing: 0, overpaid: 0 } },
  { name: 'invalid → confirmed + late when it confirms after the window', payments: [pay('a', 100_000, { height: 200, time: ON_TIME, confirmedAt: WINDOW_END + HOUR })], now: WINDOW_END + 2 * HOUR,
    expect: { status: 'confirmed', flags: ['late'], paid: 100_000, confirmed: 100_000, missing: 0, overpaid: 0, settledAt: ON_TIME } },
  { name: 'confirmed exactly at the window end is late', payments: [pay('a', 100_000, { height: 200, confirmedAt: WINDOW_END })], now: WINDOW_END + 1,
    expect: { status: 'confirmed', flags: ['late'], paid: 100_000, confirmed: 100_000, missing: 0, overpaid: 0 } },
  // cancelled — by the merchant; sums still shown
  { name: 'cancelled: nothing received', terms: { cancelledAt: T0 + 2 * MIN }, payments: [], now: NOW,
    expect: { status: 'cancelled', flags: [], paid: 0, confirmed: 0, missing: 100_000, overpaid: 0 } },
  { name: 'cancelled: stays cancelled when paid in full', terms: { cancelledAt: T0 + 2 * MIN }, payments: [pay('a', 100_000, { height: 200 })], now: NOW,
    expect: { status: 'cancelled', flags: [], paid: 100_000, confirmed: 100_000, missing: 0, overpaid: 0 } },
  { name: 'cancelled: after expiry, with flags still computed', terms: { cancelledAt: T0 + 2 * MIN }, payments: [pay('a', 70_000), pay('b', 70_000)], now: EXPIRES + MIN,
    expect: { status: 'cancelled', flags: ['multiple', 'overpaid'], paid: 140_000, confirmed: 0, missing: 0, overpaid: 40_000 } },
];

describe('evaluate: every row of the status table (docs/spec/invoices.md#statuses)', () => {
  it.each(statusTable)('$name', (c) => {
    check(c);
  });

  it('STATUS_MEANING has one line per status', () => {
    for (const s of INVOICE_STATUSES) {
      expect(STATUS_MEANING[s]).toMatch(/^[^\n]+$/);
    }
    expect(STATUS_MEANING.confirmed).toBe('due amount received with the required confirmations: fulfil the order');
  });
});

const flagTable: Case[] = [
  { name: 'late: full payment after expiry → paid + late', payments: [pay('a', 100_000, { time: EXPIRES + MIN })], now: EXPIRES + 2 * MIN,
    expect: { status: 'paid', flags: ['late'], paid: 100_000, confirmed: 0, missing: 0, overpaid: 0, settledAt: EXPIRES + MIN } },
  { name: 'late: full payment after expiry, confirmed → confirmed + late', payments: [pay('a', 100_000, { height: 200, time: EXPIRES + MIN })], now: EXPIRES + HOUR,
    expect: { status: 'confirmed', flags: ['late'], paid: 100_000, confirmed: 100_000, missing: 0, overpaid: 0 } },
  { name: 'late: payment at exactly expiresAt (the invoice is open before it)', payments: [pay('a', 100_000, { time: EXPIRES })], now: EXPIRES + MIN,
    expect: { status: 'paid', flags: ['late'], paid: 100_000, confirmed: 0, missing: 0, overpaid: 0 } },
  { name: 'not late: payment 1 ms before expiry', payments: [pay('a', 100_000, { time: EXPIRES - 1 })], now: EXPIRES + MIN,
    expect: { status: 'paid', flags: [], paid: 100_000, confirmed: 0, missing: 0, overpaid: 0 } },
  { name: 'late: on-time partial completed after expiry', payments: [pay('a', 60_000, { time: ON_TIME }), pay('b', 40_000, { time: EXPIRES + MIN })], now: EXPIRES + 2 * MIN,
    expect: { status: 'paid', flags: ['late', 'multiple'], paid: 100_000, confirmed: 0, missing: 0, overpaid: 0, settledAt: EXPIRES + MIN } },
  { name: 'not late: due reached on time, an extra payment after expiry', payments: [pay('a', 100_000, { time: ON_TIME }), pay('b', 5_000, { time: EXPIRES + MIN })], now: EXPIRES + 2 * MIN,
    expect: { status: 'paid', flags: ['multiple', 'overpaid'], paid: 105_000, confirmed: 0, missing: 0, overpaid: 5_000, settledAt: ON_TIME } },
  { name: 'late: full payment after the window ended → invalid + late at once', payments: [pay('a', 100_000, { time: WINDOW_END + MIN })], now: WINDOW_END + 2 * MIN,
    expect: { status: 'invalid', flags: ['late'], paid: 100_000, confirmed: 0, missing: 0, overpaid: 0 } },
  { name: 'multiple: two payments make up the amount', payments: [pay('a', 50_000), pay('b', 50_000)], now: NOW,
    expect: { status: 'paid', flags: ['multiple'], paid: 100_000, confirmed: 0, missing: 0, overpaid: 0 } },
  { name: 'multiple: confirmed only when every needed payment confirms', payments: [pay('a', 60_000, { height: 200 }), pay('b', 40_000)], now: NOW,
    expect: { status: 'paid', flags: ['multiple'], paid: 100_000, confirmed: 60_000, missing: 0, overpaid: 0 } },
  { name: 'multiple: both confirmed', payments: [pay('a', 60_000, { height: 200 }), pay('b', 40_000, { height: 199 })], now: NOW,
    expect: { status: 'confirmed', flags: ['multiple'], paid: 100_000, confirmed: 100_000, missing: 0, overpaid: 0 } },
  { name: 'overpaid: one payment, excess shown', payments: [pay('a', 150_000, { height: 200 })], now: NOW,
    expect: { status: 'confirmed', flags: ['overpaid'], paid: 150_000, confirmed: 150_000, missing: 0, overpaid: 50_000 } },
  { name: 'overpaid: by 1 sat', payments: [pay('a', 100_001)], now: NOW,
    expect: { status: 'paid', flags: ['overpaid'], paid: 100_001, confirmed: 0, missing: 0, overpaid: 1 } },
  { name: 'overpaid + multiple + late, in stable order', payments: [pay('a', 60_000, { time: ON_TIME }), pay('b', 60_000, { time: EXPIRES + MIN })], now: EXPIRES + 2 * MIN,
    expect: { status: 'paid', flags: ['late', 'multiple', 'overpaid'], paid: 120_000, confirmed: 0, missing: 0, overpaid: 20_000 } },
  { name: 'exact amount is not overpaid', payments: [pay('a', 100_000)], now: NOW,
    expect: { status: 'paid', flags: [], paid: 100_000, confirmed: 0, missing: 0, overpaid: 0 } },
];

describe('evaluate: when it was confirmed (the daily report and the `late` flag read it)', () => {
  it.each([
    ['confirmed by a block: the confirmedAt of the payment that reached due', [pay('a', 40_000, { height: 190, confirmedAt: NOW - 2 }), pay('b', 60_000, { height: 200, confirmedAt: NOW })], {}, NOW],
    ['0-conf: the payment time', [pay('a', 100_000, { time: ON_TIME })], { confirmationsRequired: 0, zeroConfLimitSats: 200_000, zeroConfRisk: 'accept' as const }, ON_TIME],
    ['no confirmedAt known: the payment time', [pay('a', 100_000, { height: 150, time: ON_TIME })], {}, ON_TIME],
    ['marked confirmed: the time of the mark', [], { manual: { status: 'confirmed' as const, note: 'cash', at: NOW + 5 } }, NOW + 5],
    ['paid, not confirmed: none', [pay('a', 100_000)], {}, null],
    ['cancelled after confirming: none', [pay('a', 100_000, { height: 200 })], { cancelledAt: NOW }, null],
  ] as const)('%s', (_name, payments, over, at) => {
    expect(evaluate(terms(over), [...payments], TIP, NOW + 10).confirmedAt).toBe(at);
  });
});

describe('evaluate: flags', () => {
  it.each(flagTable)('$name', (c) => {
    check(c);
  });

  it('does not depend on the order payments are listed in', () => {
    const ps = [pay('b', 40_000, { time: EXPIRES + MIN }), pay('a', 60_000, { time: ON_TIME }), pay('c', 1, { time: EXPIRES + HOUR })];
    const a = evaluate(terms(), ps, TIP, EXPIRES + 2 * HOUR);
    const b = evaluate(terms(), [...ps].reverse(), TIP, EXPIRES + 2 * HOUR);
    expect(a).toEqual(b);
    expect(a.settledAt).toBe(EXPIRES + MIN);
  });
});

const toleranceTable: Case[] = [
  { name: '1 %: 99,000 of 100,000 is paid', terms: { tolerancePct: 1 }, payments: [pay('a', 99_000)], now: NOW,
    expect: { status: 'paid', flags: [], paid: 99_000, confirmed: 0, due: 99_000, missing: 0, overpaid: 0 } },
  { name: '1 %: 98,999 is partial, 1 missing', terms: { tolerancePct: 1 }, payments: [pay('a', 98_999)], now: NOW,
    expect: { status: 'partial', flags: [], paid: 98_999, confirmed: 0, due: 99_000, missing: 1, overpaid: 0 } },
  { name: '1 %: confirmed at the due amount', terms: { tolerancePct: 1 }, payments: [pay('a', 99_000, { height: 200 })], now: NOW,
    expect: { status: 'confirmed', flags: [], paid: 99_000, confirmed: 99_000, due: 99_000, missing: 0, overpaid: 0 } },
  { name: '0.5 % of 100,001: tolerance floored to 500 sats', terms: { amountSats: 100_001, tolerancePct: 0.5 }, payments: [pay('a', 99_501)], now: NOW,
    expect: { status: 'paid', flags: [], paid: 99_501, confirmed: 0, due: 99_501, missing: 0, overpaid: 0 } },
  { name: '0.5 % of 100,001: one sat less is partial', terms: { amountSats: 100_001, tolerancePct: 0.5 }, payments: [pay('a', 99_500)], now: NOW,
    expect: { status: 'partial', flags: [], paid: 99_500, confirmed: 0, due: 99_501, missing: 1, overpaid: 0 } },
  { name: '0.29 % (not exact in binary) uses 29 basis points', terms: { amountSats: 10_000, tolerancePct: 0.29 }, payments: [pay('a', 9_971)], now: NOW,
    expect: { status: 'paid', flags: [], paid: 9_971, confirmed: 0, due: 9_971, missing: 0, overpaid: 0 } },
  { name: '100 %: due is still 1 sat', terms: { tolerancePct: 100 }, payments: [], now: NOW,
    expect: { status: 'unpaid', flags: [], paid: 0, confirmed: 0, due: 1, missing: 1, overpaid: 0 } },
  { name: 'tolerance does not change overpaid (measured against the amount)', terms: { tolerancePct: 5 }, payments: [pay('a', 100_500)], now: NOW,
    expect: { status: 'paid', flags: ['overpaid'], paid: 100_500, confirmed: 0, due: 95_000, missing: 0, overpaid: 500 } },
];

describe('evaluate: underpayment tolerance', () => {
  it.each(toleranceTable)('$name', (c) => {
    check(c);
  });

  it('computes due with integer basis points, even at 21M BTC', () => {
    expect(toleranceBasisPoints(0.5)).toBe(50);
    expect(toleranceBasisPoints(0.29)).toBe(29);
    expect(toleranceBasisPoints(99.99)).toBe(9999);
    expect(dueSats(2_100_000_000_000_000, 33.33)).toBe(2_100_000_000_000_000 - 699_930_000_000_000);
    expect(dueSats(3, 50)).toBe(2); // floor(1.5) = 1 tolerated
  });
});

const ON = { confirmationsRequired: 0, zeroConfLimitSats: 150_000, zeroConfRisk: 'accept' as const };
const PAID = { status: 'paid' as const, flags: [], paid: 100_000, confirmed: 0, missing: 0, overpaid: 0 };
const CONFIRMED = { status: 'confirmed' as const, flags: [], paid: 100_000, confirmed: 100_000, missing: 0, overpaid: 0 };
const zeroConfTable: Case[] = [
  { name: 'limit 0 = 0-conf off: a mempool payment is only paid, even with the risk accepted', terms: { ...ON, zeroConfLimitSats: 0 }, payments: [pay('a', 100_000)], now: NOW, expect: PAID },
  { name: 'limit set, risk refused (the default): only paid', terms: { ...ON, zeroConfRisk: 'refuse' }, payments: [pay('a', 100_000)], now: NOW, expect: PAID },
  { name: 'limit 150k, amount 100k, risk accepted: confirmed at 0-conf', terms: ON, payments: [pay('a', 100_000)], now: NOW, expect: CONFIRMED },
  { name: 'limit equal to the amount: 0-conf accepted', terms: { ...ON, zeroConfLimitSats: 100_000 }, payments: [pay('a', 100_000)], now: NOW, expect: CONFIRMED },
  { name: 'limit 50k, amount 100k > limit: needs 1 confirmation', terms: { ...ON, zeroConfLimitSats: 50_000 }, payments: [pay('a', 100_000)], now: NOW, expect: PAID },
  { name: 'limit 50k, amount 100k > limit: confirmed at 1 confirmation', terms: { ...ON, zeroConfLimitSats: 50_000 }, payments: [pay('a', 100_000, { height: 200 })], now: NOW, expect: CONFIRMED },
  { name: 'RBF-signalling mempool payment is only paid', terms: ON, payments: [pay('a', 100_000, { rbf: true })], now: NOW, expect: PAID },
  { name: 'RBF payment with 1 confirmation is confirmed', terms: ON, payments: [pay('a', 100_000, { rbf: true, height: 200 })], now: NOW, expect: CONFIRMED },
  { name: 'RBF part blocks confirmation of the total', terms: ON, payments: [pay('a', 50_000), pay('b', 50_000, { rbf: true })], now: NOW,
    expect: { status: 'paid', flags: ['multiple'], paid: 100_000, confirmed: 50_000, missing: 0, overpaid: 0 } },
  { name: 'height −1 (unconfirmed parent) with the plain opt-in: only paid', terms: ON, payments: [pay('a', 100_000, { unconfirmedParent: true })], now: NOW, expect: PAID },
  { name: 'height −1 with accept_unconfirmed_parents: confirmed', terms: { ...ON, zeroConfRisk: 'accept_unconfirmed_parents' }, payments: [pay('a', 100_000, { unconfirmedParent: true })], now: NOW, expect: CONFIRMED },
  { name: 'two servers, the payment in one mempool: not received yet', terms: ON, servers: 2, payments: [pay('a', 100_000)], now: NOW,
    expect: { status: 'unpaid', flags: [], paid: 0, confirmed: 0, missing: 100_000, overpaid: 0 } },
  { name: 'two servers, one mempool, a mined payment beside it still counts', terms: { ...ON, confirmationsRequired: 1 }, servers: 2, payments: [pay('a', 60_000, { height: 200 }), pay('b', 40_000)], now: NOW,
    expect: { status: 'partial', flags: ['multiple'], paid: 60_000, confirmed: 60_000, missing: 40_000, overpaid: 0 } },
  { name: 'two servers, the payment in both mempools: confirmed', terms: ON, servers: 2, payments: [pay('a', 100_000, { mempoolServers: 2 })], now: NOW, expect: CONFIRMED },
  { name: 'the policy never turns 0-conf on when confirmations are required', terms: { ...ON, confirmationsRequired: 1, zeroConfLimitSats: 1_000_000 }, payments: [pay('a', 100_000)], now: NOW, expect: PAID },
];

describe('evaluate: 0-conf policy (limit, risk opt-in, RBF, unconfirmed parents, two mempools)', () => {
  it.each(zeroConfTable)('$name', (c) => {
    check(c);
  });

  it('counts confirmations as tip − height + 1, 0 in the mempool', () => {
    expect(confirmations(0, 200)).toBe(0);
    expect(confirmations(200, 200)).toBe(1);
    expect(confirmations(195, 200)).toBe(6);
    expect(confirmations(201, 200)).toBe(1);
  });
});

const overrideTable: Case[] = [
  { name: 'manual: marked confirmed with nothing received', terms: { manual: { status: 'confirmed', note: 'paid in cash', at: NOW } }, payments: [], now: NOW,
    expect: { status: 'confirmed', flags: ['manual'], paid: 0, confirmed: 0, missing: 100_000, overpaid: 0 } },
  { name: 'manual: marked confirmed over an expired partial', terms: { manual: { status: 'confirmed', note: 'rest by bank', at: EXPIRES + MIN } }, payments: [pay('a', 40_000, { height: 200 })], now: EXPIRES + HOUR,
    expect: { status: 'confirmed', flags: ['manual'], paid: 40_000, confirmed: 40_000, missing: 60_000, overpaid: 0 } },
  { name: 'manual: keeps chain flags beside manual', terms: { manual: { status: 'invalid', note: 'refunded', at: NOW } }, payments: [pay('a', 60_000), pay('b', 60_000)], now: NOW,
    expect: { status: 'invalid', flags: ['manual', 'multiple', 'overpaid'], paid: 120_000, confirmed: 0, missing: 0, overpaid: 20_000 } },
  { name: 'cancelled after a mark: cancelled wins', terms: { manual: { status: 'paid', note: '', at: NOW }, cancelledAt: NOW + 1 }, payments: [], now: NOW + 2,
    expect: { status: 'cancelled', flags: [], paid: 0, confirmed: 0, missing: 100_000, overpaid: 0 } },
  { name: 'marked after a cancel: the mark wins', terms: { cancelledAt: NOW, manual: { status: 'confirmed', note: 'customer paid', at: NOW + 1 } }, payments: [], now: NOW + 2,
    expect: { status: 'confirmed', flags: ['manual'], paid: 0, confirmed: 0, missing: 100_000, overpaid: 0 } },
];

describe('evaluate: cancelled and manual', () => {
  it.each(overrideTable)('$name', (c) => {
    check(c);
  });
});

describe('evaluate: refuses bad terms and facts', () => {
  const cases: [string, Partial<InvoiceTerms>, PaymentFact[], number, string, string][] = [
    ['tolerance with 3 decimals', { tolerancePct: 0.125 }, [], TIP, 'invalid_request', 'tolerance_pct must have at most 2 decimal places'],
    ['tolerance above 100', { tolerancePct: 101 }, [], TIP, 'invalid_request', 'tolerance_pct must be a number from 0 to 100'],
    ['negative tolerance', { tolerancePct: -1 }, [], TIP, 'invalid_request', 'tolerance_pct must be a number from 0 to 100'],
    ['101 confirmations', { confirmationsRequired: 101 }, [], TIP, 'invalid_request', 'confirmations must be an integer from 0 to 100'],
    ['zero amount', { amountSats: 0 }, [], TIP, 'invalid_request', 'amount_sats must be an integer from 1 to 2100000000000000'],
    ['negative zero-conf limit', { zeroConfLimitSats: -1 }, [], TIP, 'invalid_request', 'zero_conf_limit_sats must be an integer from 0 to 2100000000000000'],
    ['negative monitoring window', { monitoringMs: -1 }, [], TIP, 'invalid_request', 'monitoring window must be a non-negative integer number of ms'],
    ['duplicate txid', {}, [pay('a', 1), pay('a', 2)], TIP, 'internal', 'payment a is listed twice'],
    ['zero-sat payment', {}, [pay('a', 0)], TIP, 'internal', 'payment a: sats must be an integer from 1 to 2100000000000000'],
    ['negative height', {}, [pay('a', 1, { height: -1 })], TIP, 'internal', 'payment a: height must be a non-negative integer'],
    ['negative tip', {}, [], -1, 'internal', 'tip height must be a non-negative integer'],
  ];
  it.each(cases)('%s', (_name, over, payments, tip, code, message) => {
    let caught: unknown;
    try {
      evaluate(terms(over), payments, tip, NOW);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SatdeskError);
    expect((caught as SatdeskError).code).toBe(code);
    expect((caught as SatdeskError).message).toBe(message);
  });
});

interface Step {
  name: string;
  terms?: Partial<InvoiceTerms>;
  before: { payments: PaymentFact[]; tip?: number; now: number } | null;
  after: { payments: PaymentFact[]; tip?: number; now: number };
  from: InvoiceStatus | null;
  to: InvoiceStatus;
  events: InvoiceEvent[];
}

const mem = (sats = 100_000, over: Partial<PaymentFact> = {}) => pay('a', sats, over);
const mined = (sats = 100_000, over: Partial<PaymentFact> = {}) => pay('a', sats, { height: 200, ...over });

const transitions: Step[] = [
  { name: 'new invoice, nothing yet', before: null, after: { payments: [], now: NOW }, from: null, to: 'unpaid', events: [] },
  { name: 'unpaid → partial', before: { payments: [], now: NOW }, after: { payments: [mem(40_000)], now: NOW }, from: 'unpaid', to: 'partial',
    events: [{ type: 'invoice.partially_paid', from: 'unpaid', to: 'partial' }] },
  { name: 'partial → partial (more, still short): nothing', before: { payments: [mem(40_000)], now: NOW }, after: { payments: [mem(40_000), pay('b', 10_000)], now: NOW },
    from: 'partial', to: 'partial', events: [] },
  { name: 'partial → paid', before: { payments: [mem(40_000)], now: NOW }, after: { payments: [mem(40_000), pay('b', 60_000)], now: NOW }, from: 'partial', to: 'paid',
    events: [{ type: 'invoice.paid', from: 'partial', to: 'paid' }] },
  { name: 'unpaid → paid', before: { payments: [], now: NOW }, after: { payments: [mem()], now: NOW }, from: 'unpaid', to: 'paid',
    events: [{ type: 'invoice.paid', from: 'unpaid', to: 'paid' }] },
  { name: 'paid → confirmed', before: { payments: [mem()], now: NOW }, after: { payments: [mined()], now: NOW }, from: 'paid', to: 'confirmed',
    events: [{ type: 'invoice.confirmed', from: 'paid', to: 'confirmed', zeroConf: false }] },
  { name: 'unpaid → confirmed in one step: paid then confirmed', before: { payments: [], now: NOW }, after: { payments: [mined()], now: NOW }, from: 'unpaid', to: 'confirmed',
    events: [{ type: 'invoice.paid', from: 'unpaid', to: 'confirmed' }, { type: 'invoice.confirmed', from: 'unpaid', to: 'confirmed', zeroConf: false }] },
  { name: 'unpaid → confirmed at 0-conf: the event says so', terms: ON, before: { payments: [], now: NOW }, after: { payments: [mem()], now: NOW }, from: 'unpaid', to: 'confirmed',
    events: [{ type: 'invoice.paid', from: 'unpaid', to: 'confirmed' }, { type: 'invoice.confirmed', from: 'unpaid', to: 'confirmed', zeroConf: true }] },
  { name: 'unpaid → expired', before: { payments: [], now: NOW }, after: { payments: [], now: EXPIRES }, from: 'unpaid', to: 'expired',
    events: [{ type: 'invoice.expired', from: 'unpaid', to: 'expired' }] },
  { name: 'partial → expired', before: { payments: [mem(40_000)], now: NOW }, after: { payments: [mem(40_000)], now: EXPIRES }, from: 'partial', to: 'expired',
    events: [{ type: 'invoice.expired', from: 'partial', to: 'expired' }] },
  { name: 'expired → paid late', before: { payments: [], now: EXPIRES }, after: { payments: [mem(100_000, { time: EXPIRES + MIN })], now: EXPIRES + MIN }, from: 'expired', to: 'paid',
    events: [{ type: 'invoice.paid_late', from: 'expired', to: 'paid' }] },
  { name: 'expired → confirmed late', before: { payments: [], now: EXPIRES }, after: { payments: [mined(100_000, { time: EXPIRES + MIN })], now: EXPIRES + HOUR }, from: 'expired', to: 'confirmed',
    events: [{ type: 'invoice.paid_late', from: 'expired', to: 'confirmed' }, { type: 'invoice.confirmed', from: 'expired', to: 'confirmed', zeroConf: false }] },
  { name: 'paid → invalid', before: { payments: [mem()], now: NOW }, after: { payments: [mem()], now: WINDOW_END }, from: 'paid', to: 'invalid',
    events: [{ type: 'invoice.invalid', from: 'paid', to: 'invalid' }] },
  { name: 'invalid → confirmed + late', before: { payments: [mem()], now: WINDOW_END }, after: { payments: [mined(100_000, { confirmedAt: WINDOW_END + MIN })], now: WINDOW_END + MIN }, from: 'invalid', to: 'confirmed',
    events: [{ type: 'invoice.confirmed', from: 'invalid', to: 'confirmed', zeroConf: false }] },
  { name: 'paid → paid + overpaid', before: { payments: [mem()], now: NOW }, after: { payments: [mem(), pay('b', 1_000)], now: NOW }, from: 'paid', to: 'paid',
    events: [{ type: 'invoice.overpaid' }] },
  { name: 'unpaid → paid + overpaid', before: { payments: [], now: NOW }, after: { payments: [mem(120_000)], now: NOW }, from: 'unpaid', to: 'paid',
    events: [{ type: 'invoice.paid', from: 'unpaid', to: 'paid' }, { type: 'invoice.overpaid' }] },
  { name: 'same state again: nothing', before: { payments: [mined()], now: NOW }, after: { payments: [mined()], tip: 210, now: NOW + MIN }, from: 'confirmed', to: 'confirmed', events: [] },
  // backwards: a counted payment disappears
  { name: 'paid → unpaid (double-spent)', before: { payments: [mem()], now: NOW }, after: { payments: [], now: NOW }, from: 'paid', to: 'unpaid',
    events: [{ type: 'invoice.reverted', from: 'paid', to: 'unpaid' }] },
  { name: 'partial → unpaid (replaced)', before: { payments: [mem(40_000)], now: NOW }, after: { payments: [], now: NOW }, from: 'partial', to: 'unpaid',
    events: [{ type: 'invoice.reverted', from: 'partial', to: 'unpaid' }] },
  { name: 'paid → partial (one of two payments gone)', before: { payments: [mem(50_000), pay('b', 50_000)], now: NOW }, after: { payments: [mem(50_000)], now: NOW }, from: 'paid', to: 'partial',
    events: [{ type: 'invoice.reverted', from: 'paid', to: 'partial' }] },
  { name: 'confirmed → paid (reorged out, back in the mempool)', before: { payments: [mined()], now: NOW }, after: { payments: [mem()], tip: 199, now: NOW }, from: 'confirmed', to: 'paid',
    events: [{ type: 'invoice.reverted', from: 'confirmed', to: 'paid' }] },
  { name: 'confirmed → unpaid (reorged out and dropped)', before: { payments: [mined()], now: NOW }, after: { payments: [], now: NOW }, from: 'confirmed', to: 'unpaid',
    events: [{ type: 'invoice.reverted', from: 'confirmed', to: 'unpaid' }] },
  { name: 'paid → expired (payment gone after expiry)', before: { payments: [mem()], now: EXPIRES + MIN }, after: { payments: [], now: EXPIRES + MIN }, from: 'paid', to: 'expired',
    events: [{ type: 'invoice.reverted', from: 'paid', to: 'expired' }] },
  { name: 'confirmed → invalid (reorg after the window)', before: { payments: [mined()], now: WINDOW_END + MIN }, after: { payments: [mem()], tip: 199, now: WINDOW_END + MIN }, from: 'confirmed', to: 'invalid',
    events: [{ type: 'invoice.reverted', from: 'confirmed', to: 'invalid' }] },
  { name: 'reverted is the only event even when overpaid appears (replaced by a bigger unconfirmed tx)', before: { payments: [mined()], now: NOW }, after: { payments: [pay('r', 150_000)], now: NOW },
    from: 'confirmed', to: 'paid', events: [{ type: 'invoice.reverted', from: 'confirmed', to: 'paid' }] },
  // merchant actions
  { name: 'unpaid → cancelled', terms: { cancelledAt: NOW }, before: { payments: [], now: NOW }, after: { payments: [], now: NOW }, from: 'unpaid', to: 'cancelled',
    events: [{ type: 'invoice.cancelled', from: 'unpaid', to: 'cancelled' }] },
  { name: 'cancelled → cancelled with a payment: nothing', terms: { cancelledAt: T0 }, before: { payments: [], now: NOW }, after: { payments: [mem(40_000)], now: NOW },
    from: 'cancelled', to: 'cancelled', events: [] },
  { name: 'partial → marked confirmed', terms: { manual: { status: 'confirmed', note: 'rest in cash', at: NOW } }, before: { payments: [mem(40_000)], now: NOW },
    after: { payments: [mem(40_000)], now: NOW }, from: 'partial', to: 'confirmed', events: [{ type: 'invoice.marked', from: 'partial', to: 'confirmed' }] },
];

describe('transitionEvents', () => {
  it.each(transitions)('$name', (s) => {
    // `before` is evaluated without the merchant action of `terms` (the action happens between the two steps),
    // except when the action predates `before`.
    const actionTime = s.terms?.cancelledAt ?? s.terms?.manual?.at ?? null;
    const prevTerms = actionTime !== null && s.before !== null && actionTime <= T0 ? s.terms : {};
    const prev = s.before === null ? null : evaluate(terms(prevTerms), s.before.payments, s.before.tip ?? TIP, s.before.now);
    if (s.from !== null) expect(prev?.status).toBe(s.from);
    const next = evaluate(terms(s.terms), s.after.payments, s.after.tip ?? TIP, s.after.now);
    expect(next.status).toBe(s.to);
    expect(transitionEvents(prev, next)).toEqual(s.events);
  });

  it('re-marking: same mark is silent, a new status is a new mark, cancel after a mark is a cancel', () => {
    const marked = evaluate(terms({ manual: { status: 'paid', note: '', at: NOW } }), [], TIP, NOW);
    expect(transitionEvents(marked, marked)).toEqual([]);
    const remarked = evaluate(terms({ manual: { status: 'confirmed', note: '', at: NOW + 1 } }), [], TIP, NOW + 1);
    expect(transitionEvents(marked, remarked)).toEqual([{ type: 'invoice.marked', from: 'paid', to: 'confirmed' }]);
    const cancelled = evaluate(terms({ manual: { status: 'confirmed', note: '', at: NOW + 1 }, cancelledAt: NOW + 2 }), [], TIP, NOW + 2);
    expect(transitionEvents(remarked, cancelled)).toEqual([{ type: 'invoice.cancelled', from: 'confirmed', to: 'cancelled' }]);
    const markedAgain = evaluate(terms({ cancelledAt: NOW + 2, manual: { status: 'invalid', note: 'refunded', at: NOW + 3 } }), [], TIP, NOW + 3);
    expect(transitionEvents(cancelled, markedAgain)).toEqual([{ type: 'invoice.marked', from: 'cancelled', to: 'invalid' }]);
  });

  it('a whole story on an injected clock: partial, paid, reorg, re-mined, confirmed', () => {
    const t = terms({ confirmationsRequired: 2 });
    const a = pay('a', 30_000, { time: T0 + MIN });
    const b = pay('b', 70_000, { time: T0 + 2 * MIN });
    const story: { payments: PaymentFact[]; tip: number; now: number }[] = [
      { payments: [], tip: 100, now: T0 },
      { payments: [a], tip: 100, now: T0 + MIN },
      { payments: [a, b], tip: 100, now: T0 + 2 * MIN },
      { payments: [{ ...a, height: 101 }, { ...b, height: 101 }], tip: 101, now: T0 + 12 * MIN },
      { payments: [{ ...a, height: 101 }, { ...b, height: 101 }], tip: 102, now: T0 + 22 * MIN },
      { payments: [a, b], tip: 102, now: T0 + 23 * MIN }, // reorged out of 101..102, back in the mempool
      { payments: [a], tip: 102, now: T0 + 24 * MIN }, // b double-spent
      { payments: [a, { ...b, txid: 'b2', time: T0 + 25 * MIN }], tip: 102, now: T0 + 25 * MIN }, // paid again, after expiry
      { payments: [{ ...a, height: 103 }, { ...b, txid: 'b2', time: T0 + 25 * MIN, height: 103 }], tip: 104, now: T0 + 40 * MIN },
    ];
    const log: string[] = [];
    let prev: Evaluation | null = null;
    for (const step of story) {
      const next = evaluate(t, step.payments, step.tip, step.now);
      for (const e of transitionEvents(prev, next)) log.push(e.from && e.to ? `${e.type} ${e.from}→${e.to}` : e.type);
      prev = next;
    }
    expect(log).toEqual([
      'invoice.partially_paid unpaid→partial',
      'invoice.paid partial→paid',
      'invoice.confirmed paid→confirmed',
      'invoice.reverted confirmed→paid',
      'invoice.reverted paid→expired',
      'invoice.paid_late expired→paid',
      'invoice.confirmed paid→confirmed',
    ]);
    expect(prev?.flags).toEqual(['late', 'multiple']);
  });
});
