/**
 * ECPair (the `ecpair` package) with the types Satdesk relies on. The package's own declarations re-export from
 * extensionless relative paths inside an ESM package, which NodeNext resolution cannot follow, so its values type as
 * unresolved (silently `any` with skipLibCheck; type-aware lint found it). The sandbox, its test helpers and the bench
 * take their keys from here.
 */
import { ECPairFactory } from 'ecpair';
import type { Network } from 'bitcoinjs-lib';
import { ecc } from '../core/ecc.ts';

export interface ECPairInterface {
  publicKey: Uint8Array;
  compressed: boolean;
  toWIF(): string;
  sign(hash: Uint8Array, lowR?: boolean): Uint8Array;
  signSchnorr(hash: Uint8Array): Uint8Array;
  verify(hash: Uint8Array, signature: Uint8Array): boolean;
  tweak(t: Uint8Array): ECPairInterface;
}

export interface ECPairAPI {
  makeRandom(options?: { network?: Network; compressed?: boolean }): ECPairInterface;
  fromWIF(wif: string, network?: Network | Network[]): ECPairInterface;
}

export const ECPair = (ECPairFactory as unknown as (secp: typeof ecc) => ECPairAPI)(ecc);
