/**
 * Invoice status as a pure function of the invoice and the chain facts (docs/spec/invoices.md), and the events a
 * status change produces. No clock, no I/O: the caller passes `tipHeight` and `now`.
 *
 * Policy decisions (each names the section of docs/spec/ it settles):
 * - Due amount (money.md#tolerance-and-due-amount): due = amount − floor(amount × bp / 10000) where bp is the
 *   tolerance in integer basis points (tolerance_pct has at most 2 decimals), computed with BigInt. The tolerance
 *   rounds in the merchant's favour (floor), and due is at least 1 sat, so a 100 % tolerance still needs a payment.
 * - Confirmations (money.md#confirmations): tip − height + 1 for a mined payment (never below 1: a payment in a block is confirmed
 *   even when the tip we hold lags behind it), 0 in the mempool.
 * - A payment counts as confirmed when its confirmations ≥ the required confirmations. 0-conf (invoices.md#0-conf,
 *   src/core/zeroconf.ts): an invoice requires 0 only when the policy it was created under allows it
 *   (`capConfirmations`: a positive `zeroConfLimitSats` ≥ the amount and the risk accepted; 0 = off), and a mempool
 *   payment then counts only when `zeroConfVerdict` says so (never when it signals RBF, at height −1 only with the
 *   stronger opt-in, and in two servers' mempools when two or more servers are configured). The policy never turns
 *   0-conf on for an invoice that requires confirmations.
 * - `paid`: everything received (mempool included) ≥ due; `confirmed`: the payments that count as confirmed sum to
 *   ≥ due. `expired`: now ≥ expiresAt while unpaid or partial. `invalid`: paid, not confirmed, and now ≥
 *   expiresAt + monitoringMs; it becomes `confirmed` + `late` if it confirms later.
 * - The invoice is open during [createdAt, expiresAt). `late` (invoices.md#flags): the payment that brought
 *   the received sum to the due amount (payments taken in time order) has time ≥ expiresAt, or the invoice became
 *   confirmed at or after the end of the monitoring window (the `invalid` → `confirmed` + `late` row). A payment's
 *   time is min(first seen, block header time), supplied by the caller, so an on-time payment seen later is not late.
 * - Every payment passed in counts (attribution, invoices.md#attribution, is the caller's job), whatever its time.
 * - `cancelled` keeps its status whatever arrives; sums and flags are still computed and shown. `manual` (a status
 *   set by the merchant) overrides the computed status and adds the `manual` flag. When both are set, the later of
 *   the two merchant actions wins (a tie goes to the mark).
 * - Status can go backwards when a counted payment disappears (invoices.md#statuses); `transitionEvents` reports such a step as a
 *   single `invoice.reverted` {from, to}.
 */
import { SatdeskError } from './errors.ts';
import { MAX_SATS } from './money.ts';
import { balance, confirmations, dueSats, toleranceBasisPoints } from './ledger.ts';
import {
  INVOICE_FLAGS,
  isInvoiceStatus,
  type InvoiceFlag,
  type InvoiceStatus,
  type InvoiceTransitionType,
} from './vocabulary.ts';
import { capConfirmations, isZeroConfRisk, mempoolAgreed, zeroConfVerdict, type ZeroConfRisk } from './zeroconf.ts';

// The money rules live in the books (src/core/ledger.ts); these names stay importable from here.
export { confirmations, dueSats, toleranceBasisPoints } from './ledger.ts';
export {
  INVOICE_FLAGS,
  INVOICE_STATUSES,
  INVOICE_STATUS_MEANING as STATUS_MEANING,
  isInvoiceStatus,
  type InvoiceFlag,
  type InvoiceStatus,
} from './vocabulary.ts';

export interface InvoiceTerms {
  amountSats: number;
  /** ms since the epoch */
  createdAt: number;
  /** ms since the epoch; the invoice is open before this instant */
  expiresAt: number;
  /** 0..100 */
  confirmationsRequired: number;
  /** 0..100, at most 2 decimals (e.g. 0.5) */
  tolerancePct: number;
  /** monitoring window after expiry, ms */
  monitoringMs: number;
  /** setting `zero_conf_limit_sats` when the invoice was created: largest amount that may settle at 0-conf; 0 = off */
  zeroConfLimitSats: number;
  /** setting `zero_conf_risk` when the invoice was created (src/core/zeroconf.ts) */
  zeroConfRisk: ZeroConfRisk;
  cancelledAt: number | null;
  manual: { status: InvoiceStatus; note: string; at: number } | null;
}

export interface PaymentFact {
  txid: string;
  sats: number;
  /** 0 = mempool, > 0 = block height */
  height: number;
  /** ms: min(first seen, block header time) */
  time: number;
  rbf: boolean;
  /** In the mempool at height −1 (spends an unconfirmed transaction). */
  unconfirmedParent?: boolean;
  /** How many of our servers' mempools show it (default 1). */
  mempoolServers?: number;
  /**
   * Optional, ms: when the payment reached the invoice's required confirmations (e.g. the header time of the
   * block giving it the required-th confirmation). Used only to tell an `invalid` invoice that confirmed after the
   * monitoring window (→ `late`). Omitted or null = unknown, taken as `time`.
   */
  confirmedAt?: number | null;
}

export interface Evaluation {
  status: InvoiceStatus;
  /** sorted in INVOICE_FLAGS order */
  flags: InvoiceFlag[];
  /** everything received, mempool included */
  paidSats: number;
  /** received by payments that count as confirmed (see the 0-conf rule) */
  confirmedSats: number;
  /** amount minus tolerance */
  dueSats: number;
  /** max(0, due − paid): what the customer still has to send */
  missingSats: number;
  /** max(0, paid − amount) */
  overpaidSats: number;
  /** time of the payment that brought the received sum to the due amount; null while less than due is received */
  settledAt: number | null;
  /** confirmed only thanks to payments counted at 0 confirmations (the `invoice.confirmed` event says so) */
  zeroConf: boolean;
  /**
   * While the status is `confirmed`: when the confirmed sum reached the due amount (each payment's `confirmedAt`, or
   * the time of the mark for a merchant's mark); null otherwise. The daily report counts confirmations by it.
   */
  confirmedAt: number | null;
}

/** Chain context beyond the tip: how many Electrum servers are configured (0-conf needs two mempools when ≥ 2). */
export interface ChainContext {
  servers: number;
}

function badTerms(message: string): SatdeskError {
  return new SatdeskError('invalid_request', message);
}

function badFact(message: string): SatdeskError {
  return new SatdeskError('internal', message);
}

/**
 * The confirmations a payment needs before it counts as confirmed: the invoice's own requirement, with the 0-conf
 * policy it was created under applied again (so a row stored under older rules cannot settle at 0-conf either).
 */
export function effectiveConfirmationsRequired(terms: InvoiceTerms): number {
  return capConfirmations(terms.confirmationsRequired, terms.amountSats, { limitSats: terms.zeroConfLimitSats, risk: terms.zeroConfRisk }).required;
}

/** Whether one payment counts toward `confirmedSats` (at 0 confirmations only as `zeroConfVerdict` allows). */
export function countsAsConfirmed(payment: PaymentFact, terms: InvoiceTerms, tipHeight: number, chain: ChainContext = { servers: 1 }): boolean {
  const required = effectiveConfirmationsRequired(terms);
  const confs = confirmations(payment.height, tipHeight);
  if (confs === 0) {
    if (required !== 0) return false;
    const p = { rbf: payment.rbf, unconfirmedParent: payment.unconfirmedParent ?? false, mempoolServers: payment.mempoolServers ?? 1 };
    return zeroConfVerdict(p, terms.zeroConfRisk, chain.servers).counts;
  }
  return confs >= required;
}

function isSats(n: unknown, min: number): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= min && n <= MAX_SATS;
}

function isTime(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

function checkTerms(t: InvoiceTerms): void {
  if (!isSats(t.amountSats, 1)) throw badTerms(`amount_sats must be an integer from 1 to ${MAX_SATS}`);
  if (!isTime(t.createdAt) || !isTime(t.expiresAt)) throw badTerms('createdAt and expiresAt must be finite times in ms');
  if (!Number.isInteger(t.confirmationsRequired) || t.confirmationsRequired < 0 || t.confirmationsRequired > 100) {
    throw badTerms('confirmations must be an integer from 0 to 100');
  }
  toleranceBasisPoints(t.tolerancePct);
  if (!Number.isSafeInteger(t.monitoringMs) || t.monitoringMs < 0) {
    throw badTerms('monitoring window must be a non-negative integer number of ms');
  }
  if (!isSats(t.zeroConfLimitSats, 0)) throw badTerms(`zero_conf_limit_sats must be an integer from 0 to ${MAX_SATS}`);
  if (!isZeroConfRisk(t.zeroConfRisk)) throw badTerms('zero_conf_risk must be refuse, accept or accept_unconfirmed_parents');
  if (t.cancelledAt !== null && !isTime(t.cancelledAt)) throw badTerms('cancelledAt must be null or a finite time in ms');
  if (t.manual !== null) {
    if (!isInvoiceStatus(t.manual.status)) throw badTerms('manual status is not an invoice status');
    if (!isTime(t.manual.at)) throw badTerms('manual.at must be a finite time in ms');
  }
}

function checkFacts(payments: readonly PaymentFact[], tipHeight: number, now: number): void {
  if (!Number.isSafeInteger(tipHeight) || tipHeight < 0) throw badFact('tip height must be a non-negative integer');
  if (!isTime(now)) throw badFact('now must be a finite time in ms');
  const seen = new Set<string>();
  let total = 0;
  for (const p of payments) {
    if (typeof p.txid !== 'string' || p.txid === '') throw badFact('payment txid must be a non-empty string');
    if (seen.has(p.txid)) throw badFact(`payment ${p.txid} is listed twice`);
    seen.add(p.txid);
    if (!isSats(p.sats, 1)) throw badFact(`payment ${p.txid}: sats must be an integer from 1 to ${MAX_SATS}`);
    if (!Number.isSafeInteger(p.height) || p.height < 0) throw badFact(`payment ${p.txid}: height must be a non-negative integer`);
    if (!isTime(p.time)) throw badFact(`payment ${p.txid}: time must be a finite time in ms`);
    if (p.confirmedAt != null && !isTime(p.confirmedAt)) throw badFact(`payment ${p.txid}: confirmedAt must be a finite time in ms`);
    total += p.sats;
  }
  if (total > MAX_SATS) throw badFact('payments sum to more than 21000000 BTC');
}

/** Time order, txid as the tie-break, so the result never depends on the order the caller lists payments in. */
function byTime(a: { t: number; p: PaymentFact }, b: { t: number; p: PaymentFact }): number {
  if (a.t !== b.t) return a.t - b.t;
  return a.p.txid < b.p.txid ? -1 : a.p.txid > b.p.txid ? 1 : 0;
}

/** First time, in the given timing, at which the running sum reaches `target`; null if it never does. */
function reachedAt(entries: { t: number; p: PaymentFact }[], target: number): number | null {
  let sum = 0;
  for (const e of [...entries].sort(byTime)) {
    sum += e.p.sats;
    if (sum >= target) return e.t;
  }
  return null;
}

/** Status, flags and sums of an invoice given its payments, the chain tip and the current time (rules: file comment). */
export function evaluate(terms: InvoiceTerms, payments: PaymentFact[], tipHeight: number, now: number, chain: ChainContext = { servers: 1 }): Evaluation {
  checkTerms(terms);
  checkFacts(payments, tipHeight, now);

  const due = dueSats(terms.amountSats, terms.tolerancePct);
  const windowEnd = terms.expiresAt + terms.monitoringMs;

  let paid = 0;
  let confirmedSum = 0;
  const confirmedEntries: { t: number; p: PaymentFact }[] = [];
  let atZeroConfSum = 0;
  for (const p of payments) {
    // With two servers, an unconfirmed payment only one of them shows is not received yet (src/core/zeroconf.ts).
    if (p.height === 0 && !mempoolAgreed(p.mempoolServers ?? 1, chain.servers)) continue;
    paid += p.sats;
    if (countsAsConfirmed(p, terms, tipHeight, chain)) {
      confirmedSum += p.sats;
      confirmedEntries.push({ t: p.confirmedAt ?? p.time, p });
      if (p.height === 0) atZeroConfSum += p.sats;
    }
  }
  const settledAt = reachedAt(payments.map((p) => ({ t: p.time, p })), due);
  const confirmedAt = reachedAt(confirmedEntries, due);

  let computed: InvoiceStatus;
  if (confirmedSum >= due) computed = 'confirmed';
  else if (paid >= due) computed = now >= windowEnd ? 'invalid' : 'paid';
  else if (now >= terms.expiresAt) computed = 'expired';
  else computed = paid > 0 ? 'partial' : 'unpaid';

  const flags = new Set<InvoiceFlag>();
  if (paid > terms.amountSats) flags.add('overpaid');
  if (payments.length > 1) flags.add('multiple');
  if (settledAt !== null && settledAt >= terms.expiresAt) flags.add('late');
  if (computed === 'confirmed' && confirmedAt !== null && confirmedAt >= windowEnd) flags.add('late');

  let status: InvoiceStatus = computed;
  const { manual, cancelledAt } = terms;
  if (manual !== null && (cancelledAt === null || manual.at >= cancelledAt)) {
    status = manual.status;
    flags.add('manual');
  } else if (cancelledAt !== null) {
    status = 'cancelled';
  }

  const money = balance(terms, { receivedSats: paid, confirmedSats: confirmedSum, refundedSats: 0 });
  return {
    status,
    flags: INVOICE_FLAGS.filter((f) => flags.has(f)),
    paidSats: paid,
    confirmedSats: confirmedSum,
    dueSats: money.dueSats,
    missingSats: money.missingSats,
    overpaidSats: money.overpaidSats,
    settledAt,
    zeroConf: computed === 'confirmed' && confirmedSum - atZeroConfSum < due,
    confirmedAt: status !== 'confirmed' ? null : flags.has('manual') ? (manual?.at ?? null) : confirmedAt,
  };
}

export type InvoiceEventType = InvoiceTransitionType;

export interface InvoiceEvent {
  type: InvoiceEventType;
  from?: InvoiceStatus;
  to?: InvoiceStatus;
  /** on `invoice.confirmed`: accepted on unconfirmed payments (a promise, not yet money) */
  zeroConf?: boolean;
}

/** Forward status steps driven by payments and time; any other change between these statuses is a reversal. */
const FORWARD: Record<InvoiceStatus, readonly InvoiceStatus[]> = {
  unpaid: ['partial', 'paid', 'confirmed', 'expired', 'invalid'],
  partial: ['paid', 'confirmed', 'expired', 'invalid'],
  expired: ['paid', 'confirmed', 'invalid'],
  paid: ['confirmed', 'invalid'],
  invalid: ['confirmed'],
  confirmed: [],
  cancelled: [],
};

/** The status levels at which the due amount has been received. */
const PAID_LEVEL: ReadonlySet<InvoiceStatus> = new Set<InvoiceStatus>(['paid', 'confirmed', 'invalid']);

/**
 * The events for one re-evaluation (docs/spec/invoices.md#events), in order. `prev` is the stored status and flags (null for a new invoice,
 * treated as unpaid with no flags; `invoice.created` is the caller's). Rules:
 * - `manual` flag appears, or the marked status changes → `invoice.marked` {from, to};
 * - status becomes `cancelled` (not by a mark) → `invoice.cancelled` {from, to};
 * - a reversal (a counted payment disappeared: paid → unpaid, confirmed → paid, …) → only `invoice.reverted`
 *   {from, to}, nothing else for that step;
 * - forward steps: entering `partial` → `invoice.partially_paid`; entering `expired` → `invoice.expired`;
 *   reaching the due amount from below → `invoice.paid`, or `invoice.paid_late` when the `late` flag is set;
 *   then `invoice.invalid` / `invoice.confirmed` when that is the new status (so unpaid → confirmed gives
 *   `invoice.paid`, `invoice.confirmed`);
 * - in any step but a reversal, the `overpaid` flag appearing adds `invoice.overpaid` last.
 */
export function transitionEvents(
  prev: { status: InvoiceStatus; flags: InvoiceFlag[] } | null,
  next: Evaluation,
): InvoiceEvent[] {
  const from: InvoiceStatus = prev?.status ?? 'unpaid';
  const prevFlags = new Set<InvoiceFlag>(prev?.flags ?? []);
  const to = next.status;
  const nextManual = next.flags.includes('manual');
  const events: InvoiceEvent[] = [];

  if (nextManual) {
    if (!prevFlags.has('manual') || from !== to) events.push({ type: 'invoice.marked', from, to });
  } else if (to === 'cancelled') {
    if (from !== 'cancelled' || prevFlags.has('manual')) events.push({ type: 'invoice.cancelled', from, to });
  } else if (from !== to) {
    if (!FORWARD[from].includes(to)) return [{ type: 'invoice.reverted', from, to }];
    if (to === 'partial') events.push({ type: 'invoice.partially_paid', from, to });
    if (to === 'expired') events.push({ type: 'invoice.expired', from, to });
    if (PAID_LEVEL.has(to) && !PAID_LEVEL.has(from)) {
      events.push({ type: next.flags.includes('late') ? 'invoice.paid_late' : 'invoice.paid', from, to });
    }
    if (to === 'invalid') events.push({ type: 'invoice.invalid', from, to });
    if (to === 'confirmed') events.push({ type: 'invoice.confirmed', from, to, zeroConf: next.zeroConf });
  }

  if (next.flags.includes('overpaid') && !prevFlags.has('overpaid')) events.push({ type: 'invoice.overpaid' });
  return events;
}
