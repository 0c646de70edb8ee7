/**
 * One callback request as it goes on the wire (docs/callbacks.md): the exact body bytes and the headers, signed at
 * each attempt with the agent's current token over the timestamp, the notification id, the delivery id, the test
 * flag and the body. What was sent is stored per attempt (sent_bodies, attempts.request_headers); the API shows it
 * with the two token-derived values withheld, since a signature over known bytes lets anyone test guesses of a
 * weak token offline.
 */
import crypto from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { DB } from '../store/sqlite.ts';
import { bitcoinmonitorBody, signatureHeader, xmppText, type SignedData } from '../../core/signature.ts';
import { VERSION } from '../version.ts';
import type { AgentRow } from './agents.ts';
import { b64ToHex, bodyForm, bodyFromForm, hexToB64 } from './sent-body.ts';

/**
 * A notification's id as receivers see it (`X-Satdesk-Notification`, the API's notification_id): `ntf_` + the hex of
 * the 12 bytes stored (migration 014); an id stored as text (not one the app made) is sent as it is.
 */
export function publicId(stored: Buffer | string): string {
  return typeof stored === 'string' ? stored : `ntf_${stored.toString('hex')}`;
}

/** A stored event, as the `events` callback format presents it. */
export interface EventRow {
  id: number;
  type: string;
  data: string;
  created_at: number;
}

/** The `events` format's body for one stored event. */
export function eventCallbackBody(e: EventRow): string {
  const data = JSON.parse(e.data) as Record<string, unknown>;
  return JSON.stringify({
    id: `evt_${e.id}`,
    type: e.type,
    created_at: new Date(e.created_at).toISOString(),
    invoice: data.invoice ?? null,
    ...(data.payment !== undefined ? { payment: data.payment } : {}),
    ...(data.from !== undefined ? { from: data.from } : {}),
    ...(data.to !== undefined ? { to: data.to } : {}),
    ...(data.zero_conf !== undefined ? { zero_conf: data.zero_conf } : {}),
  });
}

/** What a notification says, before it is dressed for one agent's format and token. */
export interface NotificationContent {
  /** The notification's own JSON (signed_data for payments, a test body), or null for an event notification. */
  body: string | null;
  /** The event row of an event notification, while it is kept. */
  event: EventRow | null;
  /** The last body actually sent for this notification (when the event was pruned since). */
  lastSent: () => string | null;
}

export interface WireRequest {
  body: string;
  headers: [string, string][];
}

/** The body bytes for `agent`, before any signature header. Throws when nothing is left to build it from. */
export function wireBody(agent: Pick<AgentRow, 'format' | 'token'>, c: NotificationContent, test: boolean): string {
  if (agent.format === 'events') {
    const b = c.body ?? (c.event ? eventCallbackBody(c.event) : c.lastSent());
    if (b === null) throw new Error('the event of this notification was pruned and it was never sent: nothing to resend');
    return b;
  }
  const d = JSON.parse(c.body!) as SignedData;
  return agent.format === 'xmpp' ? xmppText(d, test) : bitcoinmonitorBody(d, agent.token);
}

/** What identifies one delivery on the wire (and is signed with its body). */
export interface WireIds {
  notificationId: string;
  deliveryId: string;
  test: boolean;
}

/** An HTTP attempt's headers, in the order sent: all but the user agent and the signature follow from the delivery. */
function httpHeaders(userAgent: string, ids: WireIds, signature: string): [string, string][] {
  return [
    ['Content-Type', 'application/json'],
    ['User-Agent', userAgent],
    ['X-Satdesk-Notification', ids.notificationId],
    ['X-Satdesk-Delivery', ids.deliveryId],
    ['X-Satdesk-Test', ids.test ? '1' : '0'],
    ['X-Satdesk-Signature', signature],
  ];
}

/** The full request of one HTTP attempt, signed now with the agent's current token. */
export function wireRequest(agent: Pick<AgentRow, 'format' | 'token'>, c: NotificationContent, ids: WireIds, nowS: number): WireRequest {
  const body = wireBody(agent, c, ids.test);
  if (agent.format === 'xmpp') return { body, headers: [] };
  return { body, headers: httpHeaders(`Satdesk/${VERSION}`, ids, signatureHeader(agent.token, nowS, ids, body)) };
}

/**
 * The packed forms of attempts.request_headers (the older form, still read, is a JSON array of pairs), by their first
 * line: `h1` the user agent and the signature header (the body is in sent_bodies); `h2` the version in the user agent
 * (`Satdesk/` + it), the signature's time less the attempt's second, its HMAC in base64url, and how the body follows
 * from the notification (sent-body.ts); `x1` no headers (XMPP) and that form.
 */
const HEADERS = 'h1';
const HEADERS_AND_FORM = 'h2';
const FORM_ONLY = 'x1';

/** What an attempt stores of its request: its packed headers, and whether the body must be kept in sent_bodies. */
export interface PackedAttempt {
  headers: string;
  keepBody: boolean;
}

/**
 * attempts.request_headers as stored (docs/decisions/0092-packed-request-headers.md): headers of the usual shape for
 * this delivery keep only what varies — the user agent and the signature header, one per line after the tag (about
 * 100 bytes instead of 320); any others stay JSON pairs. A body that its notification's text (`note`) rebuilds is not
 * kept: its form is (docs/decisions/0110-sent-bodies-from-notifications.md). `unpackHeaders` and `sentBody` give
 * back exactly what was sent.
 */
export function packAttempt(request: WireRequest, ids: WireIds, note: string | null, atMs: number): PackedAttempt {
  const { headers, body } = request;
  const form = bodyForm(body, note, ids.test);
  if (headers.length === 0 && form !== null) return { headers: `${FORM_ONLY}\n${form}`, keepBody: false };
  const ua = headers[1]?.[1] ?? '';
  const sig = headers[5]?.[1] ?? '';
  const usual = headers.length === 6 && !/\n/.test(ua + sig) && JSON.stringify(httpHeaders(ua, ids, sig)) === JSON.stringify(headers);
  if (!usual) return { headers: JSON.stringify(headers), keepBody: true };
  const signed = SIGNATURE.exec(sig);
  if (form === null || !signed || !ua.startsWith(AGENT)) return { headers: `${HEADERS}\n${ua}\n${sig}`, keepBody: true };
  const t = Number(signed[1]) - Math.floor(atMs / 1000);
  return { headers: `${HEADERS_AND_FORM}\n${ua.slice(AGENT.length)}\n${t}\n${hexToB64(signed[2]!)}\n${form}`, keepBody: false };
}

/** The signature header as signatureHeader (src/core/signature.ts) writes it: the time, then the HMAC's hex. */
const SIGNATURE = /^t=(0|[1-9]\d{0,14}),v2=([0-9a-f]{64})$/;
/** What the user agent of an `h2` attempt starts with (the version follows). */
const AGENT = 'Satdesk/';

/** The headers an attempt of this delivery, made at `atMs`, sent: from attempts.request_headers in any form. */
export function unpackHeaders(stored: string, ids: WireIds, atMs: number): [string, string][] {
  const lines = stored.split('\n');
  if (lines[0] === FORM_ONLY) return [];
  if (lines[0] === HEADERS_AND_FORM) {
    const t = Number(lines[2]) + Math.floor(atMs / 1000);
    return httpHeaders(`${AGENT}${lines[1]}`, ids, `t=${t},v2=${b64ToHex(lines[3]!)}`);
  }
  if (lines[0] !== HEADERS) return JSON.parse(stored) as [string, string][];
  return httpHeaders(lines[1]!, ids, lines[2]!);
}

/**
 * The body an attempt sent: the one kept in sent_bodies (`kept`), or rebuilt from its notification's text by the
 * form in its headers. Null when the attempt made no request.
 */
export function sentBody(stored: string | null, kept: string | null, note: string | null, test: boolean): string | null {
  if (kept !== null || stored === null) return kept;
  const lines = stored.split('\n');
  const form = lines[0] === FORM_ONLY ? lines[1] : lines[0] === HEADERS_AND_FORM ? lines[4] : undefined;
  return form === undefined ? null : bodyFromForm(form, note, test);
}

const WITHHELD = 'withheld';

/** Headers as shown by the API: the HMAC value withheld, everything else as sent. */
export function redactHeaders(headers: [string, string][]): Record<string, string> {
  return Object.fromEntries(headers.map(([k, v]) => [k, k.toLowerCase() === 'x-satdesk-signature' ? v.replace(/v2=[0-9a-f]+/, `v2=${WITHHELD}`) : v]));
}

/** A body as shown by the API: a bitcoinmonitor body's md5 signature withheld, everything else byte for byte. */
export function redactBody(body: string): string {
  return body.replace(/"signature": "[0-9a-f]{32}"\}$/, `"signature": "${WITHHELD}"}`);
}

/** Stores a sent body once (by its text's sha256, the 32 bytes: migration 014; packed: 017) and returns its row id. */
export function bodyStore(db: DB): (body: string) => number {
  const insert: Statement = db.prepare('INSERT INTO sent_bodies (sha256, body) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING');
  const find: Statement = db.prepare('SELECT id FROM sent_bodies WHERE sha256 = ?');
  return (body) => {
    const h = crypto.createHash('sha256').update(body).digest();
    // A retry usually sends the bytes sent before: found by digest. A new body is kept as text, packed later
    // (body-packing.ts).
    const known = find.get(h) as { id: number } | undefined;
    if (known) return known.id;
    const r = insert.run(h, body);
    if (r.changes) return Number(r.lastInsertRowid);
    return (find.get(h) as { id: number }).id;
  };
}

/** The last body sent for a notification, if any attempt was recorded. */
export function lastSentBody(db: DB, notificationId: number): string | null {
  const rows = db
    .prepare(
      `SELECT a.request_headers AS headers, body_text(b.body) AS kept, body_text(n.body) AS note, d.test AS test
         FROM attempts a JOIN deliveries d ON d.id = a.delivery_id JOIN notifications n ON n.id = d.notification_id
         LEFT JOIN sent_bodies b ON b.id = a.body_id
        WHERE d.notification_id = ? ORDER BY a.id DESC`,
    )
    .iterate(notificationId) as IterableIterator<{ headers: string | null; kept: string | null; note: string | null; test: number }>;
  for (const r of rows) {
    const body = sentBody(r.headers, r.kept, r.note, r.test === 1);
    if (body !== null) return body;
  }
  return null;
}
