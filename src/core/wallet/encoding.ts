import { sha256 } from '@noble/hashes/sha2.js';

/** Pure base58check and bech32/bech32m codecs that report *why* a string fails (for precise error messages). */

const B58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const B58_MAP: Record<string, number> = Object.fromEntries([...B58_ALPHABET].map((c, i) => [c, i]));

export function isBase58(s: string): boolean {
  if (s.length === 0) return false;
  for (const c of s) if (B58_MAP[c] === undefined) return false;
  return true;
}

/** Raw base58 decode; the caller bounds the length (quadratic). Returns null on a character outside the alphabet. */
export function base58Decode(s: string): Uint8Array | null {
  const bytes: number[] = [];
  for (const c of s) {
    const v = B58_MAP[c];
    if (v === undefined) return null;
    let carry = v;
    for (let i = 0; i < bytes.length; i++) {
      carry += (bytes[i] as number) * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  for (let i = 0; i < s.length && s[i] === '1'; i++) bytes.push(0);
  return Uint8Array.from(bytes.reverse());
}

export function base58Encode(data: Uint8Array): string {
  const digits: number[] = [];
  for (const byte of data) {
    let carry = byte;
    for (let i = 0; i < digits.length; i++) {
      carry += (digits[i] as number) << 8;
      digits[i] = carry % 58;
      carry = (carry / 58) | 0;
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = (carry / 58) | 0;
    }
  }
  let out = '';
  for (let i = 0; i < data.length && data[i] === 0; i++) out += '1';
  for (let i = digits.length - 1; i >= 0; i--) out += B58_ALPHABET[digits[i] as number];
  return out;
}

export type Base58CheckResult =
  | { ok: true; payload: Uint8Array }
  | { ok: false; reason: 'invalid character' | 'too short' | 'bad checksum' };

export function base58CheckDecode(s: string): Base58CheckResult {
  const raw = base58Decode(s);
  if (raw === null) return { ok: false, reason: 'invalid character' };
  if (raw.length < 5) return { ok: false, reason: 'too short' };
  const payload = raw.subarray(0, raw.length - 4);
  const check = sha256(sha256(payload));
  for (let i = 0; i < 4; i++) {
    if (check[i] !== raw[raw.length - 4 + i]) return { ok: false, reason: 'bad checksum' };
  }
  return { ok: true, payload: Uint8Array.from(payload) };
}

export function base58CheckEncode(payload: Uint8Array): string {
  const check = sha256(sha256(payload)).subarray(0, 4);
  const all = new Uint8Array(payload.length + 4);
  all.set(payload);
  all.set(check, payload.length);
  return base58Encode(all);
}

// ---- bech32 / bech32m (BIP173, BIP350) ----

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
const BECH32_CONST = 1;
const BECH32M_CONST = 0x2bc830a3;

function bech32Polymod(values: readonly number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= BECH32_GEN[i] as number;
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (const c of hrp) out.push(c.charCodeAt(0) >> 5);
  out.push(0);
  for (const c of hrp) out.push(c.charCodeAt(0) & 31);
  return out;
}

export type Bech32Result =
  | { ok: true; hrp: string; words: number[]; encoding: 'bech32' | 'bech32m' }
  | { ok: false; reason: string };

/** Decodes a bech32 or bech32m string (any case, not mixed). `words` excludes the 6-word checksum. */
export function bech32Decode(s: string): Bech32Result {
  if (s.length > 90) return { ok: false, reason: 'too long' };
  if (s !== s.toLowerCase() && s !== s.toUpperCase()) return { ok: false, reason: 'mixed case' };
  const lower = s.toLowerCase();
  for (const c of lower) {
    const code = c.charCodeAt(0);
    if (code < 33 || code > 126) return { ok: false, reason: 'invalid character' };
  }
  const sep = lower.lastIndexOf('1');
  if (sep < 1) return { ok: false, reason: 'missing prefix' };
  if (sep + 7 > lower.length) return { ok: false, reason: 'too short' };
  const hrp = lower.slice(0, sep);
  const data: number[] = [];
  for (const c of lower.slice(sep + 1)) {
    const v = BECH32_CHARSET.indexOf(c);
    if (v < 0) return { ok: false, reason: 'invalid character' };
    data.push(v);
  }
  const pm = bech32Polymod([...hrpExpand(hrp), ...data]);
  const encoding = pm === BECH32_CONST ? 'bech32' : pm === BECH32M_CONST ? 'bech32m' : null;
  if (encoding === null) return { ok: false, reason: 'bad checksum' };
  return { ok: true, hrp, words: data.slice(0, data.length - 6), encoding };
}

export function bech32Encode(hrp: string, words: readonly number[], encoding: 'bech32' | 'bech32m'): string {
  const values = [...hrpExpand(hrp), ...words, 0, 0, 0, 0, 0, 0];
  const pm = bech32Polymod(values) ^ (encoding === 'bech32' ? BECH32_CONST : BECH32M_CONST);
  let out = hrp + '1';
  for (const w of words) out += BECH32_CHARSET[w];
  for (let i = 0; i < 6; i++) out += BECH32_CHARSET[(pm >>> (5 * (5 - i))) & 31];
  return out;
}

/** General power-of-2 base conversion; returns null on invalid padding (BIP173 rules when pad is false). */
export function convertBits(data: readonly number[], from: number, to: number, pad: boolean): number[] | null {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const maxv = (1 << to) - 1;
  for (const value of data) {
    if (value < 0 || value >> from !== 0) return null;
    acc = (acc << from) | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & maxv);
    }
    acc &= (1 << bits) - 1;
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & maxv);
  } else if (bits >= from || ((acc << (to - bits)) & maxv) !== 0) {
    return null;
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
