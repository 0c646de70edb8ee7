/**
 * Callback signatures (docs/spec/callbacks.md), pure: the legacy bitcoinmonitor md5 over the signed fields, the exact body bytes
 * of a `bitcoinmonitor` callback, and the HMAC-SHA256 header every callback carries.
 */
import { md5 } from '@noble/hashes/legacy.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** The seed's `signed_data`, in the seed's field order. */
export interface SignedData {
  amount: number;
  userdata: string;
  confirmations: number;
  amount_btc: string;
  address: string;
  created: string;
  txhash: string;
  agent: string;
}

/** md5 hex over `address + agent + amount + amount_btc + confirmations + created + userdata + txhash + token`. */
export function bitcoinmonitorSignature(d: SignedData, token: string): string {
  const s = d.address + d.agent + String(d.amount) + d.amount_btc + String(d.confirmations) + d.created + d.userdata + d.txhash + token;
  return bytesToHex(md5(utf8ToBytes(s)));
}

/** Orders the fields as the seed does, whatever order the object was built in. */
export function orderedSignedData(d: SignedData): SignedData {
  return {
    amount: d.amount,
    userdata: d.userdata,
    confirmations: d.confirmations,
    amount_btc: d.amount_btc,
    address: d.address,
    created: d.created,
    txhash: d.txhash,
    agent: d.agent,
  };
}

/** JSON with Python's default separators (`", "`, `": "`), as in the seed's example. */
function pyJson(obj: Record<string, unknown>): string {
  return '{' + Object.entries(obj).map(([k, v]) => `${JSON.stringify(k)}: ${typeof v === 'object' && v !== null ? pyJson(v as Record<string, unknown>) : JSON.stringify(v)}`).join(', ') + '}';
}

/** The exact request body of a `bitcoinmonitor` callback signed with `token`. */
export function bitcoinmonitorBody(d: SignedData, token: string): string {
  const signed = orderedSignedData(d);
  return pyJson({ signed_data: signed as unknown as Record<string, unknown>, signature: bitcoinmonitorSignature(signed, token) });
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** A time (ms since the epoch) as the seed's `created`: UTC `YYYY-MM-DD HH:MM:SS.ffffff`. */
export function formatCreated(ms: number): string {
  const d = new Date(ms);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000`
  );
}

/** hex HMAC-SHA256(token, "<t>.<body>"). */
export function hmacHex(token: string, t: number, body: string): string {
  return bytesToHex(hmac(sha256, utf8ToBytes(token), utf8ToBytes(`${t}.${body}`)));
}

/** The `X-Satdesk-Signature` header value for `body` sent at unix second `t`. */
export function signatureHeader(token: string, t: number, body: string): string {
  return `t=${t},v1=${hmacHex(token, t, body)}`;
}

/** Constant-time check of an `X-Satdesk-Signature` header (used by tests and the documented receivers' logic). */
export function verifySignatureHeader(header: string, token: string, body: string, nowS: number, toleranceS = 300): boolean {
  const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowS - t) > toleranceS) return false;
  const want = hmacHex(token, t, body);
  let diff = 0;
  for (let i = 0; i < 64; i++) diff |= want.charCodeAt(i) ^ m[2]!.charCodeAt(i);
  return diff === 0;
}

/** The short text of an XMPP notification (docs/spec/callbacks.md#format-xmpp), e.g. "Payment 0.00100000 BTC to bcrt1… — 1 confirmation — order-77". */
export function xmppText(d: SignedData): string {
  const conf = d.confirmations === 0 ? 'unconfirmed (0 confirmations)' : `${d.confirmations} confirmation${d.confirmations === 1 ? '' : 's'}`;
  const parts = [`Payment ${d.amount_btc} BTC to ${d.address}`, conf];
  if (d.userdata) parts.push(d.userdata);
  parts.push(`tx ${d.txhash}`);
  return parts.join(' — ');
}
