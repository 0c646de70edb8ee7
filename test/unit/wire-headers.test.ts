/**
 * attempts.request_headers (src/node/callbacks/wire.ts, docs/decisions/0092-packed-request-headers.md): headers of
 * the usual shape are stored as what varies and read back as exactly the pairs sent, in order; anything else, and
 * every row written before, is JSON pairs and reads as it was. A body its notification's text rebuilds is stored as
 * its form (src/node/callbacks/sent-body.ts, docs/decisions/0110-sent-bodies-from-notifications.md) and read back
 * byte for byte; any other body is kept.
 */
import { describe, expect, it } from 'vitest';
import { packAttempt, sentBody, unpackHeaders, wireRequest } from '../../src/node/callbacks/wire.ts';

const ids = { notificationId: 'ntf_0123456789abcdef01234567', deliveryId: 'dlv_89abcdef0123456789abcdef', test: false };
const signed = JSON.stringify({ amount: 1000, userdata: 'o-1 "quoted" ü', confirmations: 0, amount_btc: '0.00001000', address: 'bcrt1qx', created: '2026-01-01 00:00:00.000000', txhash: 'a'.repeat(64), agent: 'shop' });
const content = { body: signed, event: null, lastSent: () => null };
/** When the attempts below were made: 345 ms into the second their signatures carry. */
const AT = 1_763_779_200_345;

describe('request headers as stored', () => {
  it('packs an attempt as sent to a third of its JSON and unpacks the same pairs', () => {
    for (const test of [false, true]) {
      const req = wireRequest({ format: 'bitcoinmonitor', token: 'tok-tok-tok' }, content, { ...ids, test }, 1_763_779_200);
      const { headers: stored } = packAttempt(req, { ...ids, test }, null, AT);
      expect(stored.startsWith('h1\n')).toBe(true);
      expect(stored.length).toBeLessThan(JSON.stringify(req.headers).length / 2.5);
      expect(unpackHeaders(stored, { ...ids, test }, AT)).toEqual(req.headers);
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
    for (const h of odd.slice(1)) expect(packAttempt({ body: req.body, headers: h }, ids, null, AT)).toEqual({ headers: JSON.stringify(h), keepBody: true });
    expect(packAttempt(req, other, null, AT).headers).toBe(JSON.stringify(req.headers));
    for (const h of odd) expect(unpackHeaders(JSON.stringify(h), ids, AT)).toEqual(h);
  });
});

describe('bodies as their notification says', () => {
  const formats = [
    { format: 'bitcoinmonitor', token: 'first-token' },
    { format: 'bitcoinmonitor', token: 'second-token' },
    { format: 'xmpp', token: 'tok' },
    { format: 'events', token: 'tok' },
  ] as const;

  it('stores no body that the notification rebuilds, and reads back the bytes sent', () => {
    for (const agent of formats) {
      for (const test of [false, true]) {
        const these = { ...ids, test };
        const req = wireRequest(agent, content, these, 1_763_779_200);
        const packed = packAttempt(req, these, signed, AT);
        expect(packed.keepBody).toBe(false);
        expect(packed.headers.startsWith(agent.format === 'xmpp' ? 'x1\n' : 'h2\n')).toBe(true);
        if (agent.format !== 'xmpp') {
          // The HMAC (and a bitcoinmonitor body's md5) kept as bytes in base64url, not hex: 36 characters fewer.
          const lines = packed.headers.split('\n');
          expect(lines[3]).toMatch(/^[\w-]{43}$/);
          if (agent.format === 'bitcoinmonitor') expect(lines[4]).toMatch(/^m:[\w-]{22}$/);
        }
        expect(unpackHeaders(packed.headers, these, AT)).toEqual(req.headers);
        expect(sentBody(packed.headers, null, signed, test)).toBe(req.body);
      }
    }
  });

  it('keeps the signature time as an offset from the attempt, and the version alone of the usual user agent', () => {
    const req = wireRequest(formats[0], content, ids, 1_763_779_200);
    for (const at of [AT, AT + 4_000, AT - 86_400_000]) {
      const { headers } = packAttempt(req, ids, signed, at);
      expect(headers.split('\n').slice(0, 3)).toEqual(['h2', req.headers[1]![1].replace('Satdesk/', ''), String(1_763_779_200 - Math.floor(at / 1000))]);
      expect(unpackHeaders(headers, ids, at)).toEqual(req.headers);
    }
    // Another user agent keeps the h1 form, with the body kept.
    const other: [string, string][] = req.headers.map(([k, v]) => [k, k === 'User-Agent' ? 'curl/8' : v]);
    expect(packAttempt({ ...req, headers: other }, ids, signed, AT)).toEqual({ headers: `h1\ncurl/8\n${req.headers[5]![1]}`, keepBody: true });
  });

  it('keeps the md5 each attempt was signed with, so a rotated token does not rewrite the log', () => {
    const a = wireRequest(formats[0], content, ids, 1_763_779_200);
    const b = wireRequest(formats[1], content, ids, 1_763_779_200);
    expect(a.body).not.toBe(b.body);
    expect(sentBody(packAttempt(a, ids, signed, AT).headers, null, signed, false)).toBe(a.body);
    expect(sentBody(packAttempt(b, ids, signed, AT).headers, null, signed, false)).toBe(b.body);
  });

  it('keeps a body no form rebuilds, and one built from an event', () => {
    const req = wireRequest(formats[0], content, ids, 1_763_779_200);
    // The notification's text changed since (or is another one): the md5 form would not give these bytes back.
    const other = signed.replace('o-1', 'o-2');
    const packed = packAttempt(req, ids, other, AT);
    expect(packed).toEqual({ headers: expect.stringMatching(/^h1\n/), keepBody: true });
    expect(sentBody(packed.headers, req.body, other, false)).toBe(req.body);
    // An events agent's body from an event row: the notification has no text.
    const ev = { id: 7, type: 'invoice.paid', data: '{"invoice":{"id":"x"}}', created_at: 1_763_779_200_000 };
    const fromEvent = wireRequest(formats[3], { body: null, event: ev, lastSent: () => null }, ids, 1_763_779_200);
    expect(packAttempt(fromEvent, ids, null, AT).keepBody).toBe(true);
    // An xmpp line with the other test flag is not this delivery's: kept.
    const line = wireRequest(formats[2], content, { ...ids, test: true }, 1_763_779_200);
    expect(packAttempt(line, ids, signed, AT)).toEqual({ headers: '[]', keepBody: true });
  });

  it('refuses to make up a body when the notification text is gone or the form is unknown', () => {
    const req = wireRequest(formats[0], content, ids, 1_763_779_200);
    const { headers } = packAttempt(req, ids, signed, AT);
    expect(() => sentBody(headers, null, null, false)).toThrow(/no text left/);
    expect(() => sentBody('x1\nq:zz', null, signed, false)).toThrow(/unknown form/);
    expect(sentBody(JSON.stringify(req.headers), null, signed, false)).toBeNull();
  });
});
