/**
 * 0-conf as a deliberate policy (docs/spec/invoices.md "0-conf", docs/trust.md, docs/decisions/0033-zero-conf-policy.md).
 *
 * - `zero_conf_limit_sats` 0 means 0-conf is OFF. A positive value is the largest invoice amount that may settle on an
 *   unconfirmed payment.
 * - Since Bitcoin Core 28 full-RBF is the default relay policy: every unconfirmed transaction can be replaced by its
 *   payer, whether or not it signals BIP125. So an unconfirmed payment counts only when the merchant has accepted that
 *   risk in settings (`zero_conf_risk`), and never when it signals BIP125 (the payer announced a replacement).
 * - A mempool entry at height −1 spends an unconfirmed parent, which anyone in that parent's history can replace:
 *   it counts only with the stronger opt-in `accept_unconfirmed_parents`.
 * - With two or more servers, an unconfirmed payment counts only once it is in at least two servers' mempools: a
 *   single server can invent a mempool transaction, nothing proves it.
 * Invoice creation applies the policy once (`capConfirmations`): a request for 0 confirmations that the policy does
 * not allow becomes 1, and the invoice keeps the reason to show.
 */

export const ZERO_CONF_RISKS = ['refuse', 'accept', 'accept_unconfirmed_parents'] as const;
/** The merchant's opt-in: refuse (default), accept unconfirmed payments, or also those with unconfirmed parents. */
export type ZeroConfRisk = (typeof ZERO_CONF_RISKS)[number];

export function isZeroConfRisk(v: unknown): v is ZeroConfRisk {
  return typeof v === 'string' && (ZERO_CONF_RISKS as readonly string[]).includes(v);
}

/** What the merchant is shown before opting in. */
export const ZERO_CONF_RISK_TEXT =
  'An unconfirmed payment is a promise, not money. Since Bitcoin Core 28 every node relays replacements by default ' +
  '(full-RBF): the customer can send the same coins elsewhere with a higher fee until the payment is in a block, ' +
  'whether or not it signals RBF. Accept 0-conf only for amounts you can afford to lose, from customers standing in ' +
  'front of you. A payment whose parent is itself unconfirmed can also vanish when that parent is replaced.';

export interface ZeroConfPolicy {
  /** settings invoice.zero_conf_limit_sats: 0 = off */
  limitSats: number;
  /** settings invoice.zero_conf_risk */
  risk: ZeroConfRisk;
}

export interface ConfirmationTerms {
  /** what the invoice will require */
  required: number;
  /** why a request for 0 confirmations was raised to 1; null when nothing was capped */
  capped: string | null;
}

/** The confirmations an invoice requires, from what was requested, its amount and the 0-conf policy. */
export function capConfirmations(requested: number, amountSats: number, policy: ZeroConfPolicy): ConfirmationTerms {
  if (requested !== 0) return { required: requested, capped: null };
  if (policy.limitSats <= 0) {
    return { required: 1, capped: '0-conf is off (zero_conf_limit_sats is 0): this invoice needs 1 confirmation.' };
  }
  if (amountSats > policy.limitSats) {
    return { required: 1, capped: `The amount is above the 0-conf limit of ${policy.limitSats} sats: this invoice needs 1 confirmation.` };
  }
  if (policy.risk === 'refuse') {
    return {
      required: 1,
      capped: 'Unconfirmed payments can be replaced (full-RBF) and the 0-conf risk is not accepted in settings: this invoice needs 1 confirmation.',
    };
  }
  return { required: 0, capped: null };
}

export interface MempoolPayment {
  /** signals BIP125 replaceability */
  rbf: boolean;
  /** the mempool entry is at height −1 (an input spends an unconfirmed transaction) */
  unconfirmedParent: boolean;
  /** how many of our servers' mempools show it */
  mempoolServers: number;
}

/**
 * Whether an unconfirmed payment is known to more than one server's mempool when it must be: with two or more servers
 * configured, a mempool transaction counts at all (`paid`, a 0-confirmation callback) only once two of them show it —
 * one server alone can invent it.
 */
export function mempoolAgreed(mempoolServers: number, servers: number): boolean {
  return servers < 2 || mempoolServers >= 2;
}

export type ZeroConfRefusal = 'risk_not_accepted' | 'signals_rbf' | 'unconfirmed_parent' | 'not_in_two_mempools';

export const ZERO_CONF_REFUSAL_MEANING: Record<ZeroConfRefusal, string> = {
  risk_not_accepted: 'the 0-conf risk is not accepted in settings',
  signals_rbf: 'the payment signals RBF (BIP125): it waits for a block',
  unconfirmed_parent: 'the payment spends an unconfirmed transaction: it waits for a block',
  not_in_two_mempools: 'fewer than two of the configured servers show it in their mempool',
};

/**
 * Whether an unconfirmed payment counts toward an invoice that requires 0 confirmations. `risk` is the policy the
 * invoice was created under; `servers` the number of Electrum servers configured.
 */
export function zeroConfVerdict(p: MempoolPayment, risk: ZeroConfRisk, servers: number): { counts: true } | { counts: false; reason: ZeroConfRefusal } {
  if (risk === 'refuse') return { counts: false, reason: 'risk_not_accepted' };
  if (p.rbf) return { counts: false, reason: 'signals_rbf' };
  if (p.unconfirmedParent && risk !== 'accept_unconfirmed_parents') return { counts: false, reason: 'unconfirmed_parent' };
  if (!mempoolAgreed(p.mempoolServers, servers)) return { counts: false, reason: 'not_in_two_mempools' };
  return { counts: true };
}
