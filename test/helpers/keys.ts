/** Small shared test helpers for keys and errors. */
import crypto from 'node:crypto';
import { networks } from 'bitcoinjs-lib';
import { bip32 } from '../../src/core/ecc.ts';
import { isSatdeskError } from '../../src/core/errors.ts';

/** A fresh random account tpub (P2PKH receive addresses on regtest): each test gets addresses nobody else uses. */
export const freshTpub = (): string =>
  bip32.fromSeed(crypto.randomBytes(32), networks.testnet).derivePath("m/84'/1'/0'").neutered().toBase58();

/** The SatdeskError `f` throws, as {code, message}; fails if it throws nothing or something else. */
export function errorOf(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isSatdeskError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected an error');
}
