import type { BIP32Interface } from 'bip32';
import { bip32 } from '../ecc.ts';
import { SatdeskError } from '../errors.ts';
import type { NetworkName } from '../network.ts';
import { base58CheckDecode, isBase58 } from './encoding.ts';
import {
  BITCOIN_NETWORKS,
  EXTENDED_KEY_VERSIONS,
  FAMILY_LABEL,
  WIF_VERSIONS,
  extendedKeyVersion,
  familyOf,
  type ExtendedKeyVersion,
} from './networks.ts';

/** One stable message; it never echoes the key. */
export const PRIVATE_KEY_MESSAGE =
  'private keys are refused: Satdesk is watch-only; give the account extended public key ' +
  '(xpub/ypub/zpub/tpub/upub/vpub) or a descriptor with public keys only';

export function privateKeyRefused(): SatdeskError {
  return new SatdeskError('private_key_refused', PRIVATE_KEY_MESSAGE);
}

const PRIVATE_PREFIXES = EXTENDED_KEY_VERSIONS.filter((v) => v.isPrivate).map((v) => v.prefix);

/**
 * True when the token is (or plainly looks like) private key material: an extended private key (any SLIP-132
 * prefix, even with a broken checksum) or a WIF key with a valid checksum.
 */
export function looksPrivate(token: string): boolean {
  if (token.length >= 100 && PRIVATE_PREFIXES.some((p) => token.startsWith(p))) return true;
  if (!isBase58(token) || token.length < 50 || token.length > 120) return false;
  const dec = base58CheckDecode(token);
  if (!dec.ok) return false;
  const p = dec.payload;
  if ((p.length === 33 || (p.length === 34 && p[33] === 0x01)) && WIF_VERSIONS.includes(p[0] as number)) return true;
  if (p.length === 78) {
    const v = extendedKeyVersion(readU32(p, 0));
    if (v?.isPrivate) return true;
  }
  return false;
}

/** True when any base58 run inside the text (a descriptor, a sentence, a pasted line) is private key material. */
export function containsPrivateMaterial(text: string): boolean {
  if (text.length < 50) return false;
  for (const token of text.split(/[^1-9A-HJ-NP-Za-km-z]+/)) {
    if (token.length >= 50 && looksPrivate(token)) return true;
  }
  return false;
}

function readU32(b: Uint8Array, o: number): number {
  return (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0;
}

export interface ParsedExtendedKey {
  node: BIP32Interface;
  version: ExtendedKeyVersion;
}

function bad(message: string): SatdeskError {
  return new SatdeskError('invalid_request', message);
}

/**
 * Parses an extended public key (any supported SLIP-132 public prefix) for the configured network.
 * `context` 'descriptor' allows only xpub/tpub (BIP380). Never echoes the key in messages.
 */
export function parseExtendedKey(text: string, network: NetworkName, context: 'key' | 'descriptor'): ParsedExtendedKey {
  if (looksPrivate(text)) throw privateKeyRefused();
  if (!isBase58(text)) throw bad('not an extended public key: invalid characters');
  if (text.length > 120) throw bad('not an extended public key: too long');
  const dec = base58CheckDecode(text);
  if (!dec.ok) {
    throw bad(dec.reason === 'bad checksum' ? 'extended key checksum mismatch' : 'not an extended public key: too short');
  }
  const p = dec.payload;
  if (p.length !== 78) throw bad(`not an extended public key: wrong length (${p.length} bytes, expected 78)`);
  const version = extendedKeyVersion(readU32(p, 0));
  if (version === undefined) throw bad('not an extended public key: unknown version bytes');
  if (version.isPrivate) throw privateKeyRefused();
  if (context === 'descriptor' && version.prefix !== 'xpub' && version.prefix !== 'tpub') {
    throw bad(`descriptor keys must use the xpub or tpub prefix, not ${version.prefix}`);
  }
  if (version.script === null) {
    throw bad(`${version.prefix} multisig keys are not supported: use a wsh(sortedmulti(...)) descriptor with xpub/tpub keys`);
  }
  if (version.family !== familyOf(network)) {
    throw new SatdeskError(
      'wrong_network',
      `${version.prefix} key is for ${FAMILY_LABEL[version.family]}, this Satdesk is on ${network}`,
    );
  }
  if (p[45] !== 0x02 && p[45] !== 0x03) throw bad('extended key does not hold a compressed public key');
  const base = BITCOIN_NETWORKS[network];
  const privVersion = EXTENDED_KEY_VERSIONS.find((v) => v.isPrivate && v.family === version.family && v.script === version.script);
  let node: BIP32Interface;
  try {
    node = bip32.fromBase58(text, {
      ...base,
      bip32: { public: version.version, private: privVersion?.version ?? base.bip32.private },
    });
  } catch {
    throw bad('extended key is not a valid public key');
  }
  if (!node.isNeutered()) throw privateKeyRefused();
  return { node, version };
}
