import * as ecc from '@bitcoinerlab/secp256k1';
import { initEccLib } from 'bitcoinjs-lib';
import { BIP32Factory, type BIP32API } from 'bip32';

// One secp256k1 backend for the whole program (pure JS, runs in Node, Electron and the browser). bitcoinjs checks a
// backend with test vectors when it is set, at every start; test/unit/ecc.test.ts runs that check instead.
initEccLib(ecc, { DANGER_DO_NOT_VERIFY_ECCLIB: true });
export const bip32: BIP32API = BIP32Factory(ecc);
export { ecc };
