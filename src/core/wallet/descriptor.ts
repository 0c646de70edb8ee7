import type { BIP32Interface } from 'bip32';
import { SatdeskError } from '../errors.ts';
import type { NetworkName } from '../network.ts';
import { containsPrivateMaterial, parseExtendedKey, privateKeyRefused } from './keys.ts';

// ---- BIP380 descriptor checksum ----

const INPUT_CHARSET =
  "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
const CHECKSUM_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0xf5dee51989n, 0xa9fdca3312n, 0x1bab10e32dn, 0x3706b1677an, 0x644d626ffdn];

function polymod(symbols: readonly number[]): bigint {
  let chk = 1n;
  for (const value of symbols) {
    const top = chk >> 35n;
    chk = ((chk & 0x7ffffffffn) << 5n) ^ BigInt(value);
    for (let i = 0; i < 5; i++) if ((top >> BigInt(i)) & 1n) chk ^= GENERATOR[i] as bigint;
  }
  return chk;
}

function expand(s: string): number[] | null {
  const symbols: number[] = [];
  const groups: number[] = [];
  for (const c of s) {
    const v = INPUT_CHARSET.indexOf(c);
    if (v < 0) return null;
    symbols.push(v & 31);
    groups.push(v >> 5);
    if (groups.length === 3) {
      symbols.push((groups[0] as number) * 9 + (groups[1] as number) * 3 + (groups[2] as number));
      groups.length = 0;
    }
  }
  if (groups.length === 1) symbols.push(groups[0] as number);
  else if (groups.length === 2) symbols.push((groups[0] as number) * 3 + (groups[1] as number));
  return symbols;
}

/** The 8-character BIP380 checksum of a descriptor (without '#'); null if it has characters outside the set. */
export function descriptorChecksum(descriptor: string): string | null {
  const symbols = expand(descriptor);
  if (symbols === null) return null;
  const c = polymod([...symbols, 0, 0, 0, 0, 0, 0, 0, 0]) ^ 1n;
  let out = '';
  for (let i = 0; i < 8; i++) out += CHECKSUM_CHARSET[Number((c >> BigInt(5 * (7 - i))) & 31n)];
  return out;
}

// ---- parser for the fixed set Satdesk supports ----

export type DescriptorScript = 'p2pkh' | 'p2sh-p2wpkh' | 'p2wpkh' | 'p2tr' | 'p2wsh-sortedmulti';

export interface DescriptorKey {
  /** The extended key derived down to the receive branch; child i is the key for address i. */
  branch: BIP32Interface;
  /** This key expression with the receive branch selected, e.g. `[d34db33f/84h/1h/0h]tpub.../0/*`. */
  text: string;
  /** Number of values in its BIP389 multipath step (0 without one). */
  multipath: number;
}

export interface ParsedDescriptor {
  script: DescriptorScript;
  keys: DescriptorKey[];
  /** Multisig threshold (sortedmulti only). */
  threshold: number | null;
  /** The receive-branch descriptor with its checksum. */
  canonical: string;
}

export const MAX_MULTISIG_KEYS = 20;
const MAX_INDEX = 0x7fffffff;
const HARDENED_MESSAGE =
  'hardened derivation after an extended public key is impossible: export the key at the last hardened step';
const SUPPORTED_MESSAGE =
  'unsupported descriptor: use pkh(KEY), sh(wpkh(KEY)), wpkh(KEY), tr(KEY) or wsh(sortedmulti(k,KEY,...))';

function bad(message: string): SatdeskError {
  return new SatdeskError('invalid_request', message);
}

/** Parses and validates a descriptor for `network`. Throws invalid_request / wrong_network / private_key_refused. */
export function parseDescriptor(input: string, network: NetworkName): ParsedDescriptor {
  // Private key material first, anywhere in the text, so it is refused whatever else is wrong.
  if (containsPrivateMaterial(input)) throw privateKeyRefused();
  for (const c of input) {
    if (!INPUT_CHARSET.includes(c)) throw bad('descriptor contains a character outside the descriptor character set');
  }
  const hash = input.indexOf('#');
  let body = input;
  if (hash >= 0) {
    body = input.slice(0, hash);
    const given = input.slice(hash + 1);
    if (given.length !== 8 || [...given].some((c) => !CHECKSUM_CHARSET.includes(c))) {
      throw bad('descriptor checksum must be 8 characters from the bech32 character set');
    }
    if (descriptorChecksum(body) !== given) throw bad('descriptor checksum mismatch');
  }
  if (/\s/.test(body)) throw bad('descriptor must not contain spaces');

  let script: DescriptorScript;
  let inner: string;
  const unwrap = (prefix: string, suffix: string): string | null =>
    body.startsWith(prefix) && body.endsWith(suffix) && body.length >= prefix.length + suffix.length
      ? body.slice(prefix.length, body.length - suffix.length)
      : null;
  let x: string | null;
  if ((x = unwrap('sh(wpkh(', '))')) !== null) [script, inner] = ['p2sh-p2wpkh', x];
  else if ((x = unwrap('wsh(sortedmulti(', '))')) !== null) [script, inner] = ['p2wsh-sortedmulti', x];
  else if ((x = unwrap('pkh(', ')')) !== null) [script, inner] = ['p2pkh', x];
  else if ((x = unwrap('wpkh(', ')')) !== null) [script, inner] = ['p2wpkh', x];
  else if ((x = unwrap('tr(', ')')) !== null) [script, inner] = ['p2tr', x];
  else if (/^(sh\()?wsh\(multi\(/.test(body) || body.startsWith('sh(multi(') || body.startsWith('sh(sortedmulti(')) {
    throw bad('only wsh(sortedmulti(k,KEY,...)) multisig is supported');
  } else throw bad(SUPPORTED_MESSAGE);

  if (/[()]/.test(inner)) {
    if (script === 'p2tr') throw bad('tr() with a script tree is not supported: key path only, tr(KEY)');
    throw bad(SUPPORTED_MESSAGE);
  }
  if (script === 'p2tr' && inner.includes(',')) {
    throw bad('tr() with a script tree is not supported: key path only, tr(KEY)');
  }

  let threshold: number | null = null;
  let keyTexts: string[];
  if (script === 'p2wsh-sortedmulti') {
    const parts = inner.split(',');
    const k = parts.shift() ?? '';
    if (!/^[0-9]{1,3}$/.test(k)) throw bad('multisig threshold must be a number');
    threshold = Number(k);
    keyTexts = parts;
    if (keyTexts.length === 0) throw bad('multisig needs at least one key');
    if (keyTexts.length > MAX_MULTISIG_KEYS) throw bad(`multisig takes at most ${MAX_MULTISIG_KEYS} keys`);
    if (threshold < 1 || threshold > keyTexts.length) {
      throw bad('multisig threshold must be between 1 and the number of keys');
    }
  } else {
    if (inner.includes(',')) throw bad(SUPPORTED_MESSAGE);
    keyTexts = [inner];
  }

  const keys = keyTexts.map((t) => parseKeyExpression(t, network));
  const lengths = new Set(keys.map((k) => k.multipath).filter((n) => n > 0));
  if (lengths.size > 1) throw bad('multipath steps must have the same number of values in every key');

  const keyList = keys.map((k) => k.text).join(',');
  let receive: string;
  switch (script) {
    case 'p2pkh': receive = `pkh(${keyList})`; break;
    case 'p2sh-p2wpkh': receive = `sh(wpkh(${keyList}))`; break;
    case 'p2wpkh': receive = `wpkh(${keyList})`; break;
    case 'p2tr': receive = `tr(${keyList})`; break;
    case 'p2wsh-sortedmulti': receive = `wsh(sortedmulti(${threshold},${keyList}))`; break;
  }
  return { script, keys, threshold, canonical: `${receive}#${descriptorChecksum(receive)}` };
}

const CHANGE_CHAIN_MESSAGE =
  'the descriptor ends in /1/*, the change chain: invoices must take receive addresses, /0/* (or /<0;1>/*)';

function parseIndex(s: string, what: string): number {
  if (/^[0-9]+['hH]$/.test(s) || s === "*'" || s === '*h' || s === '*H') throw bad(HARDENED_MESSAGE);
  if (!/^[0-9]{1,10}$/.test(s)) throw bad(`invalid derivation step in ${what}`);
  const n = Number(s);
  if (n > MAX_INDEX) throw bad(`derivation step out of range in ${what}`);
  return n;
}

function parseKeyExpression(text: string, network: NetworkName): DescriptorKey {
  if (text.length === 0) throw bad('descriptor has an empty key');
  let origin = '';
  let rest = text;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw bad('key origin is missing its closing bracket');
    origin = text.slice(0, close + 1);
    rest = text.slice(close + 1);
    const steps = text.slice(1, close).split('/');
    if (!/^[0-9a-fA-F]{8}$/.test(steps[0] ?? '')) throw bad('key origin fingerprint must be 8 hex characters');
    for (const step of steps.slice(1)) {
      if (!/^[0-9]{1,10}['hH]?$/.test(step) || Number(step.replace(/['hH]$/, '')) > MAX_INDEX) {
        throw bad('invalid derivation step in key origin');
      }
    }
  } else if (text.includes(']')) {
    throw bad('key origin is missing its opening bracket');
  }
  const parts = rest.split('/');
  const keyText = parts[0] ?? '';
  if (/^[0-9a-fA-F]+$/.test(keyText) && (keyText.length === 64 || keyText.length === 66 || keyText.length === 130)) {
    throw bad('descriptor keys must be extended public keys (xpub/tpub) ending in /*, not single public keys');
  }
  const { node } = parseExtendedKey(keyText, network, 'descriptor');
  const steps = parts.slice(1);
  if (steps.length === 0 || steps[steps.length - 1] !== '*') {
    const last = steps[steps.length - 1];
    if (last === "*'" || last === '*h' || last === '*H') throw bad(HARDENED_MESSAGE);
    throw bad('descriptor keys must end with /* so that a fresh address can be derived for every invoice');
  }
  const path: number[] = [];
  const shown: string[] = [];
  let multipath = 0;
  for (const step of steps.slice(0, -1)) {
    if (step.startsWith('<') || step.endsWith('>')) {
      if (!step.startsWith('<') || !step.endsWith('>')) throw bad('malformed multipath step: expected /<a;b>/');
      if (multipath > 0) throw bad('only one multipath step is allowed per key');
      const values = step.slice(1, -1).split(';');
      if (values.length < 2) throw bad('a multipath step needs at least two values');
      const nums = values.map((v) => parseIndex(v, 'multipath step'));
      if (new Set(nums).size !== nums.length) throw bad('a multipath step must not repeat a value');
      multipath = nums.length;
      path.push(nums[0] as number);
      shown.push(String(nums[0]));
    } else {
      if (step === '*') throw bad('the wildcard /* must be the last step');
      path.push(parseIndex(step, 'key path'));
      shown.push(step);
    }
  }
  // By BIP44 convention /1/* is the change chain: invoices would take addresses the wallet uses for its own change.
  const chain = steps[steps.length - 2];
  if (chain === '1' || (chain?.startsWith('<') && chain.slice(1).split(';')[0] === '1')) throw bad(CHANGE_CHAIN_MESSAGE);
  let branch = node;
  for (const i of path) branch = branch.derive(i);
  return { branch, text: `${origin}${keyText}${shown.map((s) => `/${s}`).join('')}/*`, multipath };
}
