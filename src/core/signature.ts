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
  return bitcoinmonitorBodyWith(d, bitcoinmonitorSignature(d, token));
}

/** The same body around a signature already made (how a stored attempt's body is rebuilt without the token). */
export function bitcoinmonitorBodyWith(d: SignedData, signature: string): string {
  return pyJson({ signed_data: orderedSignedData(d) as unknown as Record<string, unknown>, signature });
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

/** What identifies one callback request: signed together with its body. */
export interface CallbackIdentity {
  /** Stable across every delivery and resend of one notification (`X-Satdesk-Notification`). */
  notificationId: string;
  /** This delivery (`X-Satdesk-Delivery`): a resend gets a new one. */
  deliveryId: string;
  /** `X-Satdesk-Test: 1` for test callbacks, `0` otherwise. */
  test: boolean;
}

/**
 * The string the HMAC covers (docs/callbacks.md): `<t>.<notification id>.<delivery id>.<test 0|1>.<raw body>`.
 * Ids are `ntf_`/`dlv_` plus hex, so the dots cannot be confused with theirs; the body goes last, byte for byte.
 */
export function signedString(t: number, id: CallbackIdentity, body: string): string {
  return `${t}.${id.notificationId}.${id.deliveryId}.${id.test ? 1 : 0}.${body}`;
}

/** hex HMAC-SHA256(token, signedString). */
export function hmacHex(token: string, t: number, id: CallbackIdentity, body: string): string {
  return bytesToHex(hmac(sha256, utf8ToBytes(token), utf8ToBytes(signedString(t, id, body))));
}

/** The `X-Satdesk-Signature` header value: `t=<unix seconds>,v2=<hex>`. */
export function signatureHeader(token: string, t: number, id: CallbackIdentity, body: string): string {
  return `t=${t},v2=${hmacHex(token, t, id, body)}`;
}

/** Constant-time check of an `X-Satdesk-Signature` header (what the documented receivers do). */
export function verifySignatureHeader(header: string, token: string, id: CallbackIdentity, body: string, nowS: number, toleranceS = 300): boolean {
  const m = /^t=(\d{1,12}),v2=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowS - t) > toleranceS) return false;
  const want = hmacHex(token, t, id, body);
  let diff = 0;
  for (let i = 0; i < 64; i++) diff |= want.charCodeAt(i) ^ m[2]!.charCodeAt(i);
  return diff === 0;
}

/**
 * The short text of an XMPP notification (docs/spec/callbacks.md#format-xmpp), e.g. "Payment 0.00100000 BTC to bcrt1… — 1 confirmation — order-77".
 * A test callback says so first: nobody reading it should take it for a payment.
 */
export function xmppText(d: SignedData, test = false): string {
  const conf = d.confirmations === 0 ? 'unconfirmed (0 confirmations)' : `${d.confirmations} confirmation${d.confirmations === 1 ? '' : 's'}`;
  const parts = [`Payment ${d.amount_btc} BTC to ${d.address}`, conf];
  if (d.userdata) parts.push(d.userdata);
  parts.push(`tx ${d.txhash}`);
  return (test ? 'TEST from Satdesk, not a payment: ' : '') + parts.join(' — ');
}
