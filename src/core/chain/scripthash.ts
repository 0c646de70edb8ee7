import { sha256 } from '@noble/hashes/sha2.js';
import { hashToHex } from './bytes.ts';

/** Electrum script hash: sha256(scriptPubKey), bytes reversed, hex (protocol-basics "Script Hashes"). */
export function scriptHashOfScript(script: Uint8Array): string {
  return hashToHex(sha256(script));
}
