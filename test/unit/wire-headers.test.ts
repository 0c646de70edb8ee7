/**
 * attempts.request_headers (src/node/callbacks/wire.ts, docs/decisions/0092-packed-request-headers.md): headers of
 * the usual shape are stored as what varies and read back as exactly the pairs sent, in order; anything else, and
 * every row written before, is JSON pairs and reads as it was.
 */
import { describe, expect, it } from 'vitest';
import { packHeaders, unpackHeaders, wireRequest } from '../../src/node/callbacks/wire.ts';

const ids = { notificationId: 'ntf_0123456789abcdef01234567', deliveryId: 'dlv_89abcdef0123456789abcdef', test: false };
const signed = JSON.stringify({ amount: 1000, userdata: 'o-1', confirmations: 0, amount_btc: '0.00001000', address: 'bcrt1qx', created: '2026-01-01 00:00:00.000000', txhash: 'a'.repeat(64), agent: 'shop' });
const content = { body: signed, event: null, lastSent: () => null };

describe('request headers as stored', () => {
  it('packs an attempt as sent to a third of its JSON and unpacks the same pairs', () => {
    for (const test of [false, true]) {
      const req = wireRequest({ format: 'bitcoinmonitor', token: 'tok-tok-tok' }, content, { ...ids, test }, 1_763_779_200);
      const stored = packHeaders(req.headers, { ...ids, test });
      expect(stored.startsWith('h1\n')).toBe(true);
      expect(stored.length).toBeLessThan(JSON.stringify(req.headers).length / 2.5);
      expect(unpackHeaders(stored, { ...ids, test })).toEqual(req.headers);
    }
  });

  it('keeps JSON for anything else, and reads rows written before as they were', () => {
    const req = wireRequest({ format: 'bitcoinmonitor', token: 'tok-tok-tok' }, content, ids, 1_763_779_200);
    // Another delivery's ids, an extra header, headers in another order, an xmpp attempt (none): JSON, read back as is.
    const odd: [string, string][][] = [
      req.headers,
      [...req.headers, ['X-Extra', '1']],
      [req.headers[1]!, req.headers[0]!, ...req.headers.slice(2)],
      [],
    ];
    const other = { ...ids, deliveryId: 'dlv_000000000000000000000000' };
    for (const h of odd.slice(1)) expect(packHeaders(h, ids)).toBe(JSON.stringify(h));
    expect(packHeaders(req.headers, other)).toBe(JSON.stringify(req.headers));
    for (const h of odd) expect(unpackHeaders(JSON.stringify(h), ids)).toEqual(h);
  });
});
