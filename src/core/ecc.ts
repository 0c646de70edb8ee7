import * as ecc from '@bitcoinerlab/secp256k1';
import { initEccLib } from 'bitcoinjs-lib';
import { BIP32Factory, type BIP32API } from 'bip32';

// One secp256k1 backend for the whole program (pure JS, runs in Node, Electron and the browser). bitcoinjs checks a
// backend with test vectors when it is set, at every start; test/unit/ecc.test.ts runs that check instead.
initEccLib(ecc, { DANGER_DO_NOT_VERIFY_ECCLIB: true });

// bip32 checks the backend too when its factory is made, building the base point's tables (most of a tenth of a
// second): made at the first use of a key, not at every start (a cold start to the first list page needs no key).
let api: BIP32API | undefined;
export const bip32: BIP32API = new Proxy({} as BIP32API, {
  get: (_target, name) => (api ??= BIP32Factory(ecc))[name as keyof BIP32API],
});
export { ecc };
