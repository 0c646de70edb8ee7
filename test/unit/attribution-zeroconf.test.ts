/**
 * The attribution rule (src/core/attribution.ts) and the 0-conf policy (src/core/zeroconf.ts) as tables.
 */
import { describe, expect, it } from 'vitest';
import { attribute, HEADER_TIME_SLACK_MS, type AddressTaken, type PaymentSighting } from '../../src/core/attribution.ts';
import { capConfirmations, zeroConfVerdict, type MempoolPayment, type ZeroConfRisk } from '../../src/core/zeroconf.ts';

const T = Date.UTC(2026, 5, 1, 12, 0, 0);
const taken: AddressTaken = { takenAt: T, tipAtTake: 800 };

describe('attribution: every address, derived or static', () => {
  const cases: [string, AddressTaken | null, PaymentSighting, string][] = [
    ['no invoice ever took the address', null, { firstSeen: T, height: 0, blockTime: null }, 'no_invoice'],
    ['seen in the mempool after the invoice', taken, { firstSeen: T + 1, height: 0, blockTime: null }, 'attributed'],
    ['seen at the very moment the invoice took it', taken, { firstSeen: T, height: 0, blockTime: null }, 'attributed'],
    ['seen in the mempool before the invoice (a free pool address)', taken, { firstSeen: T - 1, height: 0, blockTime: null }, 'seen_before_invoice'],
    ['seen before, mined after: still unattributed', taken, { firstSeen: T - 1, height: 801, blockTime: T + 60_000 }, 'seen_before_invoice'],
    ['first seen mined, in a block above the tip at take', taken, { firstSeen: T + 5_000, height: 801, blockTime: T + 1_000 }, 'attributed'],
    ['first seen mined, in the tip block at take (paid 40 s before setup)', taken, { firstSeen: T + 3_000, height: 800, blockTime: T - 40_000 }, 'mined_before_invoice'],
    ['first seen mined, deep below the tip at take (old wallet history)', taken, { firstSeen: T + 3_000, height: 10, blockTime: T - 400 * 86_400_000 }, 'mined_before_invoice'],
    ['no tip known at take: a block 2 h + 1 ms older than the invoice', { takenAt: T, tipAtTake: null }, { firstSeen: T + 1, height: 5, blockTime: T - HEADER_TIME_SLACK_MS - 1 }, 'block_older_than_invoice'],
    ['no tip known at take: a block within the 2 h header-time slack counts', { takenAt: T, tipAtTake: null }, { firstSeen: T + 1, height: 5, blockTime: T - HEADER_TIME_SLACK_MS }, 'attributed'],
    ['our tip lagged at take, but the block is days older', { takenAt: T, tipAtTake: 700 }, { firstSeen: T + 1, height: 750, blockTime: T - 3 * 86_400_000 }, 'block_older_than_invoice'],
    ['a header time ahead of real time does not make a later block "before"', taken, { firstSeen: T + 1, height: 801, blockTime: T + 7_000_000 }, 'attributed'],
  ];
  it.each(cases)('%s', (_name, t, p, want) => {
    const r = attribute(t, p);
    expect(r.attributed ? 'attributed' : r.reason).toBe(want);
  });
});

describe('0-conf: capping at invoice creation', () => {
  const cases: [string, number, number, number, ZeroConfRisk, number, RegExp | null][] = [
    ['1 requested: never touched', 1, 10_000, 0, 'refuse', 1, null],
    ['6 requested with 0-conf on: never touched', 6, 10_000, 50_000, 'accept', 6, null],
    ['0 requested, limit 0 = off', 0, 10_000, 0, 'accept', 1, /0-conf is off/],
    ['0 requested above the limit', 0, 50_001, 50_000, 'accept', 1, /above the 0-conf limit of 50000 sats/],
    ['0 requested at the limit, risk accepted', 0, 50_000, 50_000, 'accept', 0, null],
    ['0 requested, limit set but risk refused', 0, 10_000, 50_000, 'refuse', 1, /risk is not accepted/],
    ['0 requested, unconfirmed parents accepted too', 0, 10_000, 50_000, 'accept_unconfirmed_parents', 0, null],
  ];
  it.each(cases)('%s', (_name, requested, amount, limit, risk, required, capped) => {
    const r = capConfirmations(requested, amount, { limitSats: limit, risk });
    expect(r.required).toBe(required);
    if (capped) expect(r.capped).toMatch(capped);
    else expect(r.capped).toBeNull();
  });
});

describe('0-conf: which unconfirmed payment counts', () => {
  const plain: MempoolPayment = { rbf: false, unconfirmedParent: false, mempoolServers: 1 };
  const cases: [string, MempoolPayment, ZeroConfRisk, number, string][] = [
    ['risk refused: nothing counts', plain, 'refuse', 1, 'risk_not_accepted'],
    ['risk accepted, one server, plain payment', plain, 'accept', 1, 'counts'],
    ['signals BIP125: waits for a block whatever the opt-in', { ...plain, rbf: true }, 'accept_unconfirmed_parents', 1, 'signals_rbf'],
    ['height −1 with the plain opt-in', { ...plain, unconfirmedParent: true }, 'accept', 1, 'unconfirmed_parent'],
    ['height −1 with the stronger opt-in', { ...plain, unconfirmedParent: true }, 'accept_unconfirmed_parents', 1, 'counts'],
    ['two servers, in one mempool only', plain, 'accept', 2, 'not_in_two_mempools'],
    ['two servers, in both mempools', { ...plain, mempoolServers: 2 }, 'accept', 2, 'counts'],
    ['three servers, in two mempools', { ...plain, mempoolServers: 2 }, 'accept', 3, 'counts'],
  ];
  it.each(cases)('%s', (_name, p, risk, servers, want) => {
    const r = zeroConfVerdict(p, risk, servers);
    expect(r.counts ? 'counts' : r.reason).toBe(want);
  });
});
