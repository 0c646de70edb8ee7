import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

/** Bitcoin's double SHA-256. */
export function sha256d(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}

/** A copy of `bytes` in reverse order (internal byte order <-> display hex). */
export function reverseBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[bytes.length - 1 - i]!;
  return out;
}

/** Display hex (txid, block hash) of a 32-byte hash in internal byte order. */
export function hashToHex(hash: Uint8Array): string {
  return bytesToHex(reverseBytes(hash));
}

/** Internal byte order of a display-hex hash (txid, block hash); throws on anything but 64 hex digits. */
export function hexToHash(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`not a 32-byte hash: ${hex.slice(0, 80)}`);
  return reverseBytes(hexToBytes(hex));
}

export { bytesToHex, hexToBytes };
