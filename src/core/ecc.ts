import * as ecc from '@bitcoinerlab/secp256k1';
import { initEccLib } from 'bitcoinjs-lib';
import { BIP32Factory, type BIP32API } from 'bip32';

// One secp256k1 backend for the whole program (pure JS, runs in Node, Electron and the browser).
initEccLib(ecc);
export const bip32: BIP32API = BIP32Factory(ecc);
export { ecc };
