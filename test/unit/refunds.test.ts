/** Which transaction is a refund's (src/core/refunds.ts, docs/books.md#refunds), as a table. */
import { describe, expect, it } from 'vitest';
import { matchRefunds, type AddressTx, type RefundClaim } from '../../src/core/refunds.ts';

const T = 1_700_000_000_000;
const claim = (id: number, sats: number, over: Partial<RefundClaim> = {}): RefundClaim => ({ id, sats, txid: null, matched: false, notBefore: T, ...over });
const tx = (txid: string, sats: number, time = T + 1000): AddressTx => ({ txid, sats, time });

describe('matchRefunds', () => {
  it.each<[string, RefundClaim[], AddressTx[], { id: number; txid: string | null; matched: boolean }[]]>([
    ['an exact payment fills the txid', [claim(1, 5000)], [tx('a', 5000)], [{ id: 1, txid: 'a', matched: true }]],
    ['another amount does not', [claim(1, 5000)], [tx('a', 4999), tx('b', 5001)], []],
    ['a payment from before the sale does not', [claim(1, 5000)], [tx('a', 5000, T - 1)], []],
    ['two refunds of one amount take two transactions, oldest refund first', [claim(2, 5000), claim(1, 5000)], [tx('b', 5000, T + 2), tx('a', 5000, T + 1)], [
      { id: 2, txid: 'b', matched: true },
      { id: 1, txid: 'a', matched: true },
    ]],
    ['a typed txid stays, seen or not, and is not taken by another', [claim(1, 5000, { txid: 'a' }), claim(2, 5000)], [tx('a', 5000)], []],
    ['a found txid that left the history opens the refund again', [claim(1, 5000, { txid: 'a', matched: true })], [], [{ id: 1, txid: null, matched: false }]],
    ['…and it takes the fee-bumped replacement', [claim(1, 5000, { txid: 'a', matched: true })], [tx('b', 5000)], [{ id: 1, txid: 'b', matched: true }]],
    ['a found txid still in the history changes nothing', [claim(1, 5000, { txid: 'a', matched: true })], [tx('a', 5000), tx('b', 5000)], []],
  ])('%s', (_name, claims, history, expected) => {
    expect(matchRefunds(claims, history)).toEqual(expected);
  });
});
