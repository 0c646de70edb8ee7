/**
 * How an event's JSON, and a callback's body, is kept (docs/decisions/0085-packed-event-data.md,
 * docs/decisions/0096-packed-callback-bodies.md). Each invoice event carries the invoice as
 * it stood (about 1 KB of JSON, the largest part of a store); the same keys and phrases repeat in every one, so it is
 * kept deflated against a fixed dictionary of them: a BLOB of one format byte and the raw deflate stream, about a
 * fifth of the text. `events.data` (migration 012) holds such a BLOB or, for rows written before it, the JSON text.
 *
 * Unpacking gives back the exact text that was packed, so a body built from an event is the same bytes at every
 * retry. A format, once written, is read forever: a new dictionary is a new format byte, never a change to this one.
 */
import zlib from 'node:zlib';
import type { DB } from './sqlite.ts';
import { FORMAT_3, packSignedData, unpackSignedData } from './signed-data-pack.ts';

/** Format 1: raw deflate with DICTIONARY_1. */
const FORMAT_1 = 1;

/**
 * What events say again and again, the most frequent last (deflate reaches back 32 KB; nearer is cheaper). Never
 * edit: packed rows need these exact bytes to be read.
 */
const DICTIONARY_1 = Buffer.from(
  '{"indexes":[],"next_index":0,"message":"","gap":20,"height":0,"hash":"","server":null,"reason":"","connected":true}' +
    '{"refund":{"id":1,"sats":0,"txid":null,"note":"returned","created_at":"","address":null,"state":"recorded","height":null,' +
    '"confirmations":0,"bip21":null,"fiat":{"currency":"EUR","amount":"-0.00","rate":"0","basis":"invoice","reason":null}}}' +
    '"fiat":{"amount":"0.00","currency":"USD","rate":"0","rate_kind":"live","rate_sources":["manual"],"rate_at":"","market_rate":"0","spread_pct":0},' +
    '"tip":{"sats":0,"fiat":"0.00"},"items":[{"name":"","qty":1,"price":"0.00"}],"till_id":"till1","flags":["late"],"zero_conf":true}' +
    '"status":"unpaid","status":"partial","status":"expired","status":"cancelled","status":"confirmed","from":"partial","to":"expired",' +
    '"payment":{"txid":"","sats":0,"height":0,"confirmations":0,"time":"","rbf":false,"counted":true,"state":"counted"},' +
    '{"invoice":{"id":"","status":"paid","flags":[],"amount_sats":0,"amount_btc":"0.000","fiat":null,"label":"","userdata":"order-",' +
    '"address":"bc1q","bip21":"bitcoin:bcrt1q","bip21":"bitcoin:tb1q","bip21":"bitcoin:bc1q?amount=0.000&label=",' +
    '"created_at":"2026-01-01T00:00:00.000Z","expires_at":"2026-01-01T00:00:00.000Z","confirmations_required":1,"confirmations_requested":1,' +
    '"confirmations_note":null,"tolerance_pct":0,"paid_sats":0,"confirmed_sats":0,"missing_sats":0,"overpaid_sats":0,"due_sats":0,' +
    '"refunded_sats":0,"refundable_sats":0,"net_sats":0,"paid_at":null,"confirmed_at":null,"note":"","refund_policy":"","refunds":[],' +
    '"payments":[{"txid":"","sats":0,"height":0,"confirmations":0,"time":"2026-01-01T00:00:00.000Z","rbf":false,"counted":true,' +
    '"state":"counted","fiat":{"currency":"EUR","amount":"0.00","rate":"0","basis":"manual","reason":null}}],' +
    '"tip":null,"items":null,"till_id":null,"desk_note":""},"from":"unpaid","to":"paid"}',
);

/** Format 2: raw deflate with DICTIONARY_2, for callback bodies (notifications.body, sent_bodies.body: migration 017). */
const FORMAT_2 = 2;

/**
 * What callback bodies say: an `events` agent's body is an event (DICTIONARY_1's phrases); a payment notification
 * keeps its signed data compactly and a bitcoinmonitor agent is sent it in Python's spacing, signed. The most frequent
 * last. Never edit, as DICTIONARY_1.
 */
const DICTIONARY_2 = Buffer.concat([
  DICTIONARY_1,
  Buffer.from(
    '{"id":"evt_","type":"invoice.created","type":"invoice.paid","type":"invoice.confirmed","created_at":"2026-01-01T00:00:00.000Z","invoice":' +
      '{"amount":0,"userdata":"satdesk-test","confirmations":0,"amount_btc":"0.00000000","address":"tb1q","created":"2026-01-01 00:00:00.000000",' +
      '"txhash":"0000000000000000000000000000000000000000000000000000000000000000","agent":"test"}' +
      '{"amount":0,"userdata":"order-","confirmations":1,"amount_btc":"0.00","address":"bcrt1q","created":"2026-01-01 00:00:00.000000","txhash":"","agent":"shop"}' +
      '{"signed_data": {"amount": 0, "userdata": "order-", "confirmations": 1, "amount_btc": "0.00", "address": "bc1q", ' +
      '"created": "2026-01-01 00:00:00.000000", "txhash": "", "agent": "shop"}, "signature": ""}',
  ),
]);

function pack(format: number, dictionary: Buffer, json: string): Buffer {
  const z = zlib.deflateRawSync(json, { level: 6, dictionary });
  const out = Buffer.allocUnsafe(z.length + 1);
  out[0] = format;
  z.copy(out, 1);
  return out;
}

/** The stored form of an event's JSON text. */
export function packEventData(json: string): Buffer {
  return pack(FORMAT_1, DICTIONARY_1, json);
}

/**
 * The stored form of a callback body (a notification's own JSON, or the bytes an attempt sent): a payment
 * notification's signed data as its fields (format 3, signed-data-pack.ts), anything else deflated (format 2).
 */
export function packBody(body: string): Buffer {
  return packSignedData(body) ?? pack(FORMAT_2, DICTIONARY_2, body);
}

/** The text of a stored value in any of these formats, or text stored before they were (returned as it is). */
export function unpackText(stored: Buffer | string): string {
  if (typeof stored === 'string') return stored;
  if (stored[0] === FORMAT_3) return unpackSignedData(stored);
  const dictionary = stored[0] === FORMAT_1 ? DICTIONARY_1 : stored[0] === FORMAT_2 ? DICTIONARY_2 : null;
  if (!dictionary) throw new Error(`packed text in an unknown format (${stored[0]})`);
  return zlib.inflateRawSync(stored.subarray(1), { dictionary }).toString('utf8');
}

/**
 * On every connection `openDatabase` makes, how readers (and tests) get the text back in SQL: `event_json(data)` for
 * events, `body_text(body)` for callback bodies (the same decoding; two names say what is read); and `pack_body(body)`,
 * the packed form of a body kept as text (anything else as it is).
 */
export function registerPackedText(db: DB): void {
  const text = (stored: unknown): string | null => (stored === null ? null : unpackText(stored as Buffer | string));
  db.function('event_json', { deterministic: true }, text);
  db.function('body_text', { deterministic: true }, text);
  // The later packing of callback bodies written as text (src/node/callbacks/body-packing.ts).
  db.function('pack_body', { deterministic: true }, (stored: unknown) => (typeof stored === 'string' ? packBody(stored) : stored));
}
