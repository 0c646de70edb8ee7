/**
 * How an attempt's body follows from its notification (docs/decisions/0110-sent-bodies-from-notifications.md). A
 * payment notification keeps its signed data (notifications.body); each attempt sends that data dressed for the
 * agent's format: as it is, as the `bitcoinmonitor` body around an md5 signature, or as the XMPP line. Storing the
 * dressed bytes again (sent_bodies) cost about 30 bytes per invoice; an attempt whose body is one of these dressings
 * stores only which one (and the md5, which needs the token of that moment) in its packed headers (wire.ts).
 *
 * A form is chosen only after rebuilding the body from it and finding the very bytes sent, so a form never says
 * something other than what went out; a body no form rebuilds is kept in sent_bodies as before.
 */
import { bitcoinmonitorBodyWith, xmppText, type SignedData } from '../../core/signature.ts';

/** The body is the notification's own text. */
const SAME = '=';
/** The `bitcoinmonitor` body of the notification's signed data around this md5 (`m:` + its 16 bytes in base64url). */
const MD5 = 'm:';
/** The XMPP line of the notification's signed data, with the delivery's test flag. */
const XMPP = 'x';

const MD5_AT_END = /"signature": "([0-9a-f]{32})"\}$/;

/** Hex digits as the base64url of their bytes, and back: how packed attempts keep a signature (wire.ts too). */
export const hexToB64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64url');
export const b64ToHex = (b64: string): string => Buffer.from(b64, 'base64url').toString('hex');

function signedData(note: string): SignedData | null {
  try {
    const d = JSON.parse(note) as unknown;
    return d !== null && typeof d === 'object' && !Array.isArray(d) ? (d as SignedData) : null;
  } catch {
    return null;
  }
}

/** The form that rebuilds `body` from the notification's text, or null when none does (the body is then kept). */
export function bodyForm(body: string, note: string | null, test: boolean): string | null {
  if (note === null) return null;
  if (body === note) return SAME;
  const d = signedData(note);
  if (!d) return null;
  const md5 = MD5_AT_END.exec(body)?.[1];
  const form = md5 === undefined ? null : `${MD5}${hexToB64(md5)}`;
  if (form !== null && rebuild(form, d, test) === body) return form;
  if (rebuild(XMPP, d, test) === body) return XMPP;
  return null;
}

function rebuild(form: string, d: SignedData, test: boolean): string | null {
  try {
    if (form === XMPP) return xmppText(d, test);
    if (form.startsWith(MD5)) return bitcoinmonitorBodyWith(d, b64ToHex(form.slice(MD5.length)));
  } catch {
    // A notification text of another shape: no form of it.
  }
  return null;
}

/** The body a stored form says was sent; throws if the notification's text is gone or does not rebuild it. */
export function bodyFromForm(form: string, note: string | null, test: boolean): string {
  if (note === null) throw new Error('the notification this attempt was sent from has no text left');
  if (form === SAME) return note;
  const d = signedData(note);
  const body = d ? rebuild(form, d, test) : null;
  if (body === null) throw new Error(`an attempt's body in an unknown form (${form.slice(0, 8)})`);
  return body;
}
