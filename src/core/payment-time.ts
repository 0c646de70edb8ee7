/**
 * A payment's time (for `late`, the callback's `created`, exports): when Satdesk first saw the transaction — in the
 * mempool or in a block that arrived while it was watching. Only a transaction first seen already mined in a block
 * that came while Satdesk was not watching (closed, disconnected, catching up) takes its block's time, because then
 * the block is the best evidence of when it was paid. Computed once, when the payment is first recorded, and never
 * changed: a block's header time (whole seconds, up to ~2 h off real time on mainnet) must not move a payment across
 * an invoice's expiry on confirmation. docs/spec/invoices.md ("payment time").
 */
export interface FirstSight {
  /** ms since the epoch when Satdesk recorded the transaction. */
  seenAt: number;
  /** 0 for a mempool transaction (heights −1 and 0), else its block height. */
  height: number;
  /** ms since the epoch of its block's header time, when mined. */
  blockTime: number | null;
  /**
   * The lowest block height that arrived while Satdesk was watching in this session (blocks above the tip it had
   * caught up to), or null when it is not watching yet.
   */
  liveFromHeight: number | null;
}

export function paymentTime(s: FirstSight): number {
  if (s.height <= 0 || s.blockTime === null) return s.seenAt;
  if (s.liveFromHeight !== null && s.height >= s.liveFromHeight) return s.seenAt;
  return Math.min(s.blockTime, s.seenAt);
}
