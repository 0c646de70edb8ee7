/**
 * How an event's JSON is kept (docs/decisions/0085-packed-event-data.md). Each invoice event carries the invoice as
 * it stood (about 1 KB of JSON, the largest part of a store); the same keys and phrases repeat in every one, so it is
 * kept deflated against a fixed dictionary of them: a BLOB of one format byte and the raw deflate stream, about a
 * fifth of the text. `events.data` (migration 012) holds such a BLOB or, for rows written before it, the JSON text.
 *
 * Unpacking gives back the exact text that was packed, so a body built from an event is the same bytes at every
 * retry. A format, once written, is read forever: a new dictionary is a new format byte, never a change to this one.
 */
import zlib from 'node:zlib';
import type { DB } from './sqlite.ts';

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

/** The stored form of an event's JSON text. */
export function packEventData(json: string): Buffer {
  const z = zlib.deflateRawSync(json, { level: 6, dictionary: DICTIONARY_1 });
  const out = Buffer.allocUnsafe(z.length + 1);
  out[0] = FORMAT_1;
  z.copy(out, 1);
  return out;
}

/** The JSON text of a stored `events.data` (a packed BLOB, or text from before migration 012). */
export function eventJson(stored: Buffer | string): string {
  if (typeof stored === 'string') return stored;
  if (stored[0] !== FORMAT_1) throw new Error(`event data in an unknown format (${stored[0]})`);
  return zlib.inflateRawSync(stored.subarray(1), { dictionary: DICTIONARY_1 }).toString('utf8');
}

/** `event_json(data)` in SQL, on every connection `openDatabase` makes: how readers of events (and tests) get the text. */
export function registerEventJson(db: DB): void {
  db.function('event_json', { deterministic: true }, (stored: unknown) =>
    stored === null ? null : eventJson(stored as Buffer | string),
  );
}
