import { sha256 } from '@noble/hashes/sha2.js';
import { SatdeskError } from '../errors.ts';
import { NETWORKS, type NetworkName } from '../network.ts';
import { base58CheckDecode, bech32Decode, concatBytes, convertBits, isBase58, toHex } from './encoding.ts';
import {
  BASE58_ADDRESS_VERSIONS,
  BECH32_HRP_NETWORKS,
  EXTENDED_KEY_VERSIONS,
  FAMILY_LABEL,
  HRP_LABEL,
  WIF_VERSIONS,
  familyOf,
} from './networks.ts';

export type AddressType = 'p2pkh' | 'p2sh' | 'p2wpkh' | 'p2wsh' | 'p2tr';

export interface ValidatedAddress {
  /** Normalised: base58 as given, bech32/bech32m in lowercase. */
  address: string;
  scriptPubKey: Uint8Array;
  type: AddressType;
}

/** Longer inputs are refused before any decoding (bech32 is ≤ 90 characters, base58 addresses ≤ 35). */
export const MAX_ADDRESS_INPUT = 100;

function invalid(reason: string): SatdeskError {
  return new SatdeskError('invalid_address', `invalid address: ${reason}`);
}

function wrongNetwork(belongsTo: string, network: NetworkName): SatdeskError {
  return new SatdeskError('wrong_network', `address is for ${belongsTo}, this Satdesk is on ${network}`);
}

/** scriptPubKey of a witness program: OP_n <program>. */
export function witnessScript(version: number, program: Uint8Array): Uint8Array {
  const op = version === 0 ? 0x00 : 0x50 + version;
  return concatBytes(Uint8Array.of(op, program.length), program);
}

export function p2pkhScript(hash160: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x76, 0xa9, 0x14), hash160, Uint8Array.of(0x88, 0xac));
}

export function p2shScript(hash160: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0xa9, 0x14), hash160, Uint8Array.of(0x87));
}

/**
 * Validates an address for the configured network and returns its output script.
 * Throws `invalid_address` (with a reason) or `wrong_network` (naming the network the address belongs to).
 */
export function validateAddress(input: string, network: NetworkName): ValidatedAddress {
  if (typeof input !== 'string') throw invalid('not a string');
  const s = input.trim();
  if (s.length === 0) throw invalid('empty');
  if (s.length > MAX_ADDRESS_INPUT) throw invalid('too long');
  const lower = s.toLowerCase();
  const sep = lower.lastIndexOf('1');
  const hrp = sep > 0 ? lower.slice(0, sep) : '';
  if (BECH32_HRP_NETWORKS[hrp] !== undefined) return validateSegwit(s, hrp, network);
  if (/^[a-z]+1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]+$/.test(lower) && !isBase58(s)) throw invalid('unknown prefix');
  return validateBase58(s, network);
}

function validateSegwit(s: string, hrp: string, network: NetworkName): ValidatedAddress {
  const dec = bech32Decode(s);
  if (!dec.ok) throw invalid(dec.reason);
  if (dec.words.length === 0) throw invalid('missing witness version');
  const version = dec.words[0] as number;
  if (version > 16) throw invalid('invalid witness version');
  const prog = convertBits(dec.words.slice(1), 5, 8, false);
  if (prog === null) throw invalid('invalid padding');
  if (prog.length < 2 || prog.length > 40) throw invalid('bad witness program length');
  if (version === 0 && prog.length !== 20 && prog.length !== 32) {
    throw invalid('bad witness program length for witness version 0');
  }
  if (version === 0 && dec.encoding !== 'bech32') throw invalid('witness version 0 must use bech32, not bech32m');
  if (version > 0 && dec.encoding !== 'bech32m') {
    throw invalid(`witness version ${version} must use bech32m, not bech32`);
  }
  let type: AddressType;
  if (version === 0) type = prog.length === 20 ? 'p2wpkh' : 'p2wsh';
  else if (version === 1 && prog.length === 32) type = 'p2tr';
  else throw invalid(`unsupported witness version ${version} program`);
  const networks = BECH32_HRP_NETWORKS[hrp] ?? [];
  if (!networks.includes(network)) throw wrongNetwork(HRP_LABEL[hrp] ?? hrp, network);
  const program = Uint8Array.from(prog);
  return { address: s.toLowerCase(), scriptPubKey: witnessScript(version, program), type };
}

function validateBase58(s: string, network: NetworkName): ValidatedAddress {
  if (!isBase58(s)) throw invalid('unknown prefix or invalid character');
  if (s.length > 60) throw invalid('bad length');
  const dec = base58CheckDecode(s);
  if (!dec.ok) throw invalid(dec.reason === 'too short' ? 'bad length' : dec.reason);
  const payload = dec.payload;
  const first = payload[0] as number;
  if (payload.length === 78) {
    const v = ((first << 24) | ((payload[1] as number) << 16) | ((payload[2] as number) << 8) | (payload[3] as number)) >>> 0;
    if (EXTENDED_KEY_VERSIONS.some((k) => k.version === v)) throw invalid('this is an extended key, not an address');
  }
  if ((payload.length === 33 || payload.length === 34) && WIF_VERSIONS.includes(first)) {
    throw invalid('this is a private key, not an address');
  }
  const kind = BASE58_ADDRESS_VERSIONS[first];
  if (kind === undefined) throw invalid('unknown prefix');
  if (payload.length !== 21) throw invalid('bad length');
  if (kind.family !== familyOf(network)) throw wrongNetwork(FAMILY_LABEL[kind.family], network);
  const hash = payload.subarray(1);
  const scriptPubKey = kind.type === 'p2pkh' ? p2pkhScript(hash) : p2shScript(hash);
  return { address: s, scriptPubKey, type: kind.type };
}

/** Electrum protocol script hash: sha256(scriptPubKey), bytes reversed, hex. */
export function scripthash(scriptPubKey: Uint8Array): string {
  const h = sha256(scriptPubKey);
  h.reverse();
  return toHex(h);
}

/**
 * The output script an address encodes, whatever its network, or null when the text is no address. The prefix names
 * the network to check against (bech32's human-readable part; for base58, mainnet's versions are tried first), so a
 * valid address is decoded once.
 */
export function addressScript(input: string): Uint8Array | null {
  if (typeof input !== 'string') return null;
  const lower = input.trim().toLowerCase();
  const sep = lower.lastIndexOf('1');
  const named = sep > 0 ? BECH32_HRP_NETWORKS[lower.slice(0, sep)] : undefined;
  for (const network of named ? named.slice(0, 1) : BASE58_FIRST) {
    try {
      return validateAddress(input, network).scriptPubKey;
    } catch {
      // not an address of this network
    }
  }
  return null;
}

/** One network of each base58 family (testnet's versions are signet's and regtest's too). */
const BASE58_FIRST: readonly NetworkName[] = NETWORKS.filter((n, i) => NETWORKS.findIndex((m) => familyOf(m) === familyOf(n)) === i);

/**
 * The script hash an address encodes, whatever its network, or null when the text is no address: the key that finds
 * an address's row (docs/decisions/0094-address-by-script-hash.md). Callers compare the address text as well, so an
 * address of another network with the same script never matches.
 */
export function addressScripthash(input: string): string | null {
  const script = addressScript(input);
  return script === null ? null : scripthash(script);
}
