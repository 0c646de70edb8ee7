/**
 * Made-up but valid regtest addresses, for stores that benches and tests fill without a wallet: a store keeps an
 * address's text and computes its script hash from it (migration 020, src/node/store/chain-sql.ts), so every address
 * row must be an address. Nobody holds a key to them.
 */
import crypto from 'node:crypto';
import { scripthash, witnessScript } from '../core/wallet/address.ts';
import { bech32Encode, convertBits } from '../core/wallet/encoding.ts';

/** The `i`th P2WPKH address of `tag` (its program: the first 20 bytes of sha256(`${tag}-${i}`)) and its script hash. */
export function madeUpAddress(tag: string, i: number): { address: string; scripthash: string } {
  const program = crypto.createHash('sha256').update(`${tag}-${i}`).digest().subarray(0, 20);
  const address = bech32Encode('bcrt', [0, ...convertBits([...program], 8, 5, true)!], 'bech32');
  return { address, scripthash: scripthash(witnessScript(0, program)) };
}
