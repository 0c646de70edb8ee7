/**
 * Which transaction is a refund's (docs/books.md#refunds): Satdesk watches the customer's refund address and, when
 * a transaction pays it exactly the refund's amount, takes it as the refund — so the merchant never copies a txid.
 * Rules, in order:
 * - a txid the merchant typed is the refund's, seen or not;
 * - a transaction Satdesk found stays the refund's while the address history holds it; when it leaves (replaced by
 *   a fee bump, double-spent, reorged out) the refund is open again and may take its replacement;
 * - an open refund takes the earliest transaction, not taken by another refund of the same address, that pays the
 *   address exactly its amount and was not seen before the invoice was created (a refund never predates its sale);
 *   the oldest refund chooses first.
 */
export interface RefundClaim {
  id: number;
  sats: number;
  txid: string | null;
  /** true when Satdesk found the txid (false: typed by the merchant, or none) */
  matched: boolean;
  /** ms: transactions seen before this (the invoice's creation) cannot be this refund */
  notBefore: number;
}

export interface AddressTx {
  txid: string;
  /** sats this transaction pays the watched address */
  sats: number;
  /** ms: block time, or when first seen in the mempool */
  time: number;
}

export interface RefundMatch {
  id: number;
  txid: string | null;
  matched: boolean;
}

/** The txid each refund of one address holds after this history (only the refunds whose txid or flag changed). */
export function matchRefunds(claims: readonly RefundClaim[], history: readonly AddressTx[]): RefundMatch[] {
  const inHistory = new Set(history.map((t) => t.txid));
  const taken = new Set<string>();
  const state = new Map<number, RefundMatch>();
  for (const c of claims) {
    const keep = c.txid !== null && (!c.matched || inHistory.has(c.txid));
    state.set(c.id, keep ? { id: c.id, txid: c.txid, matched: c.matched } : { id: c.id, txid: null, matched: false });
    if (keep) taken.add(c.txid!);
  }
  const byTime = [...history].sort((a, b) => a.time - b.time || (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : 0));
  for (const c of [...claims].sort((a, b) => a.id - b.id)) {
    if (state.get(c.id)!.txid !== null) continue;
    const tx = byTime.find((t) => !taken.has(t.txid) && t.sats === c.sats && t.time >= c.notBefore);
    if (!tx) continue;
    taken.add(tx.txid);
    state.set(c.id, { id: c.id, txid: tx.txid, matched: true });
  }
  return claims
    .map((c) => state.get(c.id)!)
    .filter((m) => {
      const c = claims.find((x) => x.id === m.id)!;
      return c.txid !== m.txid || c.matched !== m.matched;
    });
}
