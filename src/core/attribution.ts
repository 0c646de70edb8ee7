/**
 * Attribution (docs/spec/invoices.md "Attribution", docs/decisions/0032-attribution-for-every-address.md): a payment
 * counts toward the invoice that holds its address only if it happened after the invoice took the address. The rule
 * is the same for derived and static addresses — an xpub address paid from the merchant's own wallet before setup,
 * or a restored backup handing out an address paid after the backup, must not pay a new order.
 *
 * "Before the invoice took the address" is decided from what Satdesk can prove, in order:
 * 1. Satdesk saw the transaction (mempool or block) before the invoice took the address.
 * 2. It is mined at a height at or below the verified tip Satdesk had when the invoice took the address: that block
 *    existed before the invoice. Exact, no clock involved.
 * 3. Its block's header time is more than 2 hours before the invoice took the address (header times may run up to
 *    2 hours ahead of real time, so only an older one proves the block came first). This catches what (2) cannot
 *    when our headers lagged behind the chain at take time.
 * A payment that passes all three counts. A payment in a block below our anchored header chain (older than the
 * shipped checkpoint) cannot be checked against our headers at all: it is kept as unverified wallet history and never
 * counts. Unattributed payments are recorded and shown, never dropped.
 */

/** Slack for block header times, which may lie up to 2 hours ahead of real time (Core MAX_FUTURE_BLOCK_TIME). */
export const HEADER_TIME_SLACK_MS = 2 * 3600 * 1000;

export interface AddressTaken {
  /** ms: when the invoice took the address (its creation) */
  takenAt: number;
  /** our verified tip height at that moment; null when none was known (never synced) */
  tipAtTake: number | null;
}

export interface PaymentSighting {
  /** ms: when Satdesk first saw the transaction, in the mempool or in a block */
  firstSeen: number;
  /** block height; ≤ 0 while in the mempool */
  height: number;
  /** ms: the block's header time, when mined */
  blockTime: number | null;
  /** mined below our anchored header chain: its block cannot be verified */
  belowAnchor?: boolean;
}

export type UnattributedReason = 'no_invoice' | 'below_anchor' | 'seen_before_invoice' | 'mined_before_invoice' | 'block_older_than_invoice';

export type Attribution = { attributed: true } | { attributed: false; reason: UnattributedReason };

export const UNATTRIBUTED_MEANING: Record<UnattributedReason, string> = {
  no_invoice: 'no invoice holds or held this address',
  below_anchor: 'mined below the checkpoint Satdesk verifies from: kept as unverified wallet history',
  seen_before_invoice: 'Satdesk saw this transaction before the invoice took the address',
  mined_before_invoice: 'mined in a block that existed before the invoice took the address',
  block_older_than_invoice: 'its block is more than 2 hours older than the invoice',
};

/** Whether a payment to an address counts toward the invoice that took it (`taken` null: no invoice). */
export function attribute(taken: AddressTaken | null, p: PaymentSighting): Attribution {
  if (taken === null) return { attributed: false, reason: 'no_invoice' };
  if (p.belowAnchor) return { attributed: false, reason: 'below_anchor' };
  if (p.firstSeen < taken.takenAt) return { attributed: false, reason: 'seen_before_invoice' };
  if (p.height > 0) {
    if (taken.tipAtTake !== null && p.height <= taken.tipAtTake) return { attributed: false, reason: 'mined_before_invoice' };
    if (p.blockTime !== null && p.blockTime < taken.takenAt - HEADER_TIME_SLACK_MS) {
      return { attributed: false, reason: 'block_older_than_invoice' };
    }
  }
  return { attributed: true };
}
