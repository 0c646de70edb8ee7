import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bitcoinmonitorBody,
  bitcoinmonitorSignature,
  formatCreated,
  signatureHeader,
  verifySignatureHeader,
  xmppText,
  type SignedData,
} from '../../src/core/signature.ts';
import { testCallbackAddress, testSignedData } from '../../src/core/test-callback.ts';
import { validateAddress } from '../../src/core/wallet/address.ts';

// docs/spec/callbacks.md vector (the seed's example fields with a real md5).
const vector: SignedData = {
  amount: 122678000,
  userdata: '',
  confirmations: 2,
  amount_btc: '1.22678000',
  address: '12r9JzPNnyWs2j1s9KLW5keqBr4kbJjxz6',
  created: '2012-02-19 10:37:20.203541',
  txhash: 'e0c84120068bfefddab051e751f3df963c4ed29e7b13eadac026e6f17f55fb06',
  agent: 'callback_test',
};

describe('callback signatures (docs/spec/callbacks.md)', () => {
  it('md5 over the seed concatenation matches the documented vector', () => {
    expect(bitcoinmonitorSignature(vector, 'test-token')).toBe('8c1fe3cf5a7fce28329f6b1dfc1d8240');
  });

  it('the body keeps the seed field order whatever order the fields were built in', () => {
    const shuffled = { agent: vector.agent, txhash: vector.txhash, created: vector.created, address: vector.address, amount_btc: vector.amount_btc, confirmations: 2, userdata: '', amount: vector.amount };
    const body = bitcoinmonitorBody(shuffled, 'test-token');
    expect(body).toBe(
      '{"signed_data": {"amount": 122678000, "userdata": "", "confirmations": 2, "amount_btc": "1.22678000", ' +
        '"address": "12r9JzPNnyWs2j1s9KLW5keqBr4kbJjxz6", "created": "2012-02-19 10:37:20.203541", ' +
        '"txhash": "e0c84120068bfefddab051e751f3df963c4ed29e7b13eadac026e6f17f55fb06", "agent": "callback_test"}, ' +
        '"signature": "8c1fe3cf5a7fce28329f6b1dfc1d8240"}',
    );
    expect(JSON.parse(body).signed_data).toEqual(vector);
  });

  it('md5 covers non-ASCII userdata as UTF-8 (as Python receivers hash it)', () => {
    const d = { ...vector, userdata: 'Bestellung-ü-€' };
    const s = d.address + d.agent + d.amount + d.amount_btc + d.confirmations + d.created + d.userdata + d.txhash + 'tok';
    expect(bitcoinmonitorSignature(d, 'tok')).toBe(crypto.createHash('md5').update(s, 'utf8').digest('hex'));
  });

  it('created is UTC with microseconds', () => {
    expect(formatCreated(Date.UTC(2012, 1, 19, 10, 37, 20, 203))).toBe('2012-02-19 10:37:20.203000');
    expect(formatCreated(Date.UTC(2026, 0, 2, 3, 4, 5, 6))).toBe('2026-01-02 03:04:05.006000');
  });

  it('the HMAC covers t, the notification id, the delivery id, the test flag and the body; constant time, 5 minute window', () => {
    const body = '{"x": 1}';
    const id = { notificationId: 'ntf_0123456789abcdef01234567', deliveryId: 'dlv_89abcdef0123456789abcdef', test: false };
    const h = signatureHeader('tok-tok-tok', 1_700_000_000, id, body);
    const want = crypto.createHmac('sha256', 'tok-tok-tok').update(`1700000000.${id.notificationId}.${id.deliveryId}.0.${body}`).digest('hex');
    expect(h).toBe(`t=1700000000,v2=${want}`);
    expect(verifySignatureHeader(h, 'tok-tok-tok', id, body, 1_700_000_100)).toBe(true);
    expect(verifySignatureHeader(h, 'tok-tok-tok', id, body, 1_700_000_301)).toBe(false);
    expect(verifySignatureHeader(h, 'other-token', id, body, 1_700_000_000)).toBe(false);
    expect(verifySignatureHeader(h, 'tok-tok-tok', id, body + ' ', 1_700_000_000)).toBe(false);
    // A replay under another delivery id, another notification id, or with the test flag flipped fails.
    expect(verifySignatureHeader(h, 'tok-tok-tok', { ...id, deliveryId: 'dlv_ffffffffffffffffffffffff' }, body, 1_700_000_000)).toBe(false);
    expect(verifySignatureHeader(h, 'tok-tok-tok', { ...id, notificationId: 'ntf_ffffffffffffffffffffffff' }, body, 1_700_000_000)).toBe(false);
    expect(verifySignatureHeader(h, 'tok-tok-tok', { ...id, test: true }, body, 1_700_000_000)).toBe(false);
    expect(verifySignatureHeader('v2=abc', 'tok-tok-tok', id, body, 1_700_000_000)).toBe(false);
    expect(verifySignatureHeader(h.replace('v2=', 'v1='), 'tok-tok-tok', id, body, 1_700_000_000)).toBe(false);
  });

  it('xmpp text is short and human, and a test says so first', () => {
    expect(xmppText({ ...vector, confirmations: 1, userdata: 'order-77' })).toBe(
      `Payment 1.22678000 BTC to ${vector.address} — 1 confirmation — order-77 — tx ${vector.txhash}`,
    );
    expect(xmppText(vector, true)).toMatch(/^TEST from Satdesk, not a payment: Payment /);
  });

  it('test callbacks name a provably unspendable address of the network, and nothing that looks like a payment', () => {
    // P2WSH of the one-byte script OP_RETURN: bech32 of sha256(0x6a).
    const program = crypto.createHash('sha256').update(Buffer.from([0x6a])).digest();
    expect(testCallbackAddress('mainnet')).toBe('bc1qrz05qq6tu7senu06nzgkdrhr4dsyn7pd8rrghec0t9h2ktsc27msqvznj2');
    for (const n of ['mainnet', 'testnet', 'signet', 'regtest'] as const) {
      const a = validateAddress(testCallbackAddress(n), n);
      expect(Buffer.from(a.scriptPubKey).toString('hex')).toBe(`0020${program.toString('hex')}`);
    }
    const d = testSignedData('shop', 'regtest', Date.UTC(2026, 0, 1));
    expect(d).toMatchObject({ amount: 0, confirmations: 0, userdata: 'satdesk-test', txhash: '0'.repeat(64), address: testCallbackAddress('regtest') });
  });
});
