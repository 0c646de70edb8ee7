import { payments } from 'bitcoinjs-lib';
import { address as bjsAddress, crypto as bjsCrypto } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { SatdeskError } from '../errors.ts';
import type { NetworkName } from '../network.ts';
import { p2pkhScript, p2shScript, witnessScript } from './address.ts';
import { descriptorChecksum, parseDescriptor, type DescriptorScript } from './descriptor.ts';
import { ORIGIN_KEY_RE, SCRIPT_LABEL, scriptOfOriginPath, WRAP, type ChosenScript } from './script.ts';
import { concatBytes } from './encoding.ts';
import { looksPrivate, parseExtendedKey, privateKeyRefused } from './keys.ts';
import { BITCOIN_NETWORKS } from './networks.ts';
import { childPublicKey } from './derive.ts';

export type WalletScript = DescriptorScript;
export { SCRIPT_LABEL, scriptHint, type ChosenScript } from './script.ts';

export interface DerivedAddress {
  address: string;
  scriptPubKey: Uint8Array;
}

export interface WalletSource {
  kind: 'xpub' | 'descriptor';
  network: NetworkName;
  script: WalletScript;
  /** Text to store: the key as given (trimmed) for xpub kinds; the receive-branch descriptor with checksum. */
  canonical: string;
  /** Receive address i (chain /0/i for keys; the first multipath branch for descriptors). */
  addressAt(index: number): DerivedAddress;
}

/** Longest accepted wallet source text (a 20-key multisig descriptor with origins is about 3,500 characters). */
export const MAX_SOURCE_INPUT = 8000;
export const MAX_ADDRESS_INDEX = 0x7fffffff;

function bad(message: string): SatdeskError {
  return new SatdeskError('invalid_request', message);
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index > MAX_ADDRESS_INDEX) {
    throw bad('address index must be an integer from 0 to 2147483647');
  }
}

/** Output script for a single compressed public key. */
function singleKeyScript(script: Exclude<WalletScript, 'p2wsh-sortedmulti'>, pubkey: Uint8Array): Uint8Array {
  switch (script) {
    case 'p2pkh':
      return p2pkhScript(bjsCrypto.hash160(pubkey));
    case 'p2wpkh':
      return witnessScript(0, bjsCrypto.hash160(pubkey));
    case 'p2sh-p2wpkh':
      return p2shScript(bjsCrypto.hash160(witnessScript(0, bjsCrypto.hash160(pubkey))));
    case 'p2tr': {
      const out = payments.p2tr({ internalPubkey: pubkey.subarray(1, 33) }).output;
      if (!out) throw new SatdeskError('internal', 'taproot output could not be computed');
      return out;
    }
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  }
  return a.length - b.length;
}

function pushSmallInt(n: number): Uint8Array {
  return n <= 16 ? Uint8Array.of(0x50 + n) : Uint8Array.of(0x01, n);
}

/** BIP67/BIP383 sorted multisig witness script: k <sorted pubkeys> n OP_CHECKMULTISIG. */
export function sortedMultisigScript(threshold: number, pubkeys: readonly Uint8Array[]): Uint8Array {
  const sorted = [...pubkeys].sort(compareBytes);
  return concatBytes(
    pushSmallInt(threshold),
    ...sorted.map((k) => concatBytes(Uint8Array.of(k.length), k)),
    pushSmallInt(sorted.length),
    Uint8Array.of(0xae),
  );
}

/**
 * The address of an output script we built ourselves, so its template is known: encoded directly. bitcoinjs'
 * `fromOutputScript` tries each payment type in turn and throws on the misses, which cost more than the rest of an
 * address (every new invoice pays it); anything unexpected still goes through it.
 */
function toDerived(scriptPubKey: Uint8Array, network: NetworkName): DerivedAddress {
  const net = BITCOIN_NETWORKS[network];
  const s = scriptPubKey;
  let address: string;
  if ((s.length === 22 && s[0] === 0x00 && s[1] === 0x14) || (s.length === 34 && s[0] === 0x00 && s[1] === 0x20)) {
    address = bjsAddress.toBech32(s.subarray(2), 0, net.bech32);
  } else if (s.length === 34 && s[0] === 0x51 && s[1] === 0x20) {
    address = bjsAddress.toBech32(s.subarray(2), 1, net.bech32);
  } else if (s.length === 25 && s[0] === 0x76 && s[1] === 0xa9 && s[2] === 0x14 && s[23] === 0x88 && s[24] === 0xac) {
    address = bjsAddress.toBase58Check(s.subarray(3, 23), net.pubKeyHash);
  } else if (s.length === 23 && s[0] === 0xa9 && s[1] === 0x14 && s[22] === 0x87) {
    address = bjsAddress.toBase58Check(s.subarray(2, 22), net.scriptHash);
  } else {
    address = bjsAddress.fromOutputScript(s, net);
  }
  return { address, scriptPubKey };
}

function withChecksum(descriptor: string): string {
  const sum = descriptorChecksum(descriptor);
  if (sum === null) throw bad('not an extended public key or descriptor: unexpected characters');
  return `${descriptor}#${sum}`;
}

/**
 * Parses an account extended public key (xpub/ypub/zpub/tpub/upub/vpub, optionally `[fingerprint/path]`-prefixed)
 * or an output descriptor (pkh, sh(wpkh), wpkh, tr, wsh(sortedmulti)) for `network`. `script` chooses the address
 * type of a plain xpub/tpub (stored as the matching descriptor, so it survives a restart); for any other input it
 * must agree with what the text says. Without it a plain xpub/tpub is P2PKH and an origin path's purpose decides.
 * Errors: invalid_request (with a reason), wrong_network, private_key_refused (never echoes the key).
 */
export function parseWalletSource(input: string, network: NetworkName, script?: ChosenScript): WalletSource {
  if (typeof input !== 'string') throw bad('wallet source must be a string');
  const s = input.trim();
  if (s.length === 0) throw bad('wallet source is empty');
  if (s.length > MAX_SOURCE_INPUT) throw bad(`wallet source is too long (more than ${MAX_SOURCE_INPUT} characters)`);

  const origin = ORIGIN_KEY_RE.exec(s);
  if (origin) {
    if (looksPrivate(origin[3] ?? '')) throw privateKeyRefused();
    const chosen = script ?? scriptOfOriginPath(origin[2] ?? '');
    if (!chosen) throw bad('say which address type this key uses (Legacy, Nested SegWit, Native SegWit or Taproot)');
    return parseWalletSource(withChecksum(WRAP[chosen](`${s}/0/*`)), network);
  }

  if (/[()#]/.test(s)) {
    const d = parseDescriptor(s, network);
    if (script !== undefined && script !== d.script) {
      throw bad(`this descriptor says ${SCRIPT_LABEL[d.script]}, not ${SCRIPT_LABEL[script]}`);
    }
    const dScript = d.script;
    return {
      kind: 'descriptor',
      network,
      script: dScript,
      canonical: d.canonical,
      addressAt(index: number): DerivedAddress {
        checkIndex(index);
        if (dScript === 'p2wsh-sortedmulti') {
          const pubkeys = d.keys.map((k) => childPublicKey(k.branch, index));
          const ws = sortedMultisigScript(d.threshold as number, pubkeys);
          return toDerived(witnessScript(0, sha256(ws)), network);
        }
        const key = d.keys[0];
        if (!key) throw new SatdeskError('internal', 'descriptor has no key');
        return toDerived(singleKeyScript(dScript, childPublicKey(key.branch, index)), network);
      },
    };
  }

  // A BIP39 seed phrase is private key material.
  if (/^[a-z]+(\s+[a-z]+){11,23}$/.test(s)) throw privateKeyRefused();
  if (/\s/.test(s)) throw bad('not an extended public key or descriptor: contains spaces');
  const { node, version } = parseExtendedKey(s, network, 'key');
  if (script !== undefined && (version.prefix === 'xpub' || version.prefix === 'tpub')) {
    return parseWalletSource(withChecksum(WRAP[script](`${s}/0/*`)), network);
  }
  if (script !== undefined && script !== version.script) {
    throw bad(`a ${version.prefix} key is for ${version.script ? SCRIPT_LABEL[version.script] : 'multisig'}, not ${SCRIPT_LABEL[script]}`);
  }
  const keyScript = version.script;
  if (keyScript === null) throw new SatdeskError('internal', 'unsupported key script');
  const receive = node.derive(0);
  return {
    kind: 'xpub',
    network,
    script: keyScript,
    canonical: s,
    addressAt(index: number): DerivedAddress {
      checkIndex(index);
      return toDerived(singleKeyScript(keyScript, childPublicKey(receive, index)), network);
    },
  };
}

/** The first `n` receive addresses (setup shows 10 so the owner can compare them with their wallet). */
export function firstAddresses(source: WalletSource, n = 10): string[] {
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw bad('address count must be an integer from 0 to 1000');
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(source.addressAt(i).address);
  return out;
}
