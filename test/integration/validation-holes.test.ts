/**
 * The validation holes the audit found (docs/security.md): each input is refused with a clear code and message,
 * nothing is stored, and nothing secret is echoed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payments, networks } from 'bitcoinjs-lib';
import { bip32 } from '../../src/core/ecc.ts';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import { testCallbackAddress } from '../../src/core/test-callback.ts';
import type { App } from '../../src/node/app.ts';

const root = bip32.fromSeed(new Uint8Array(32).fill(41), networks.regtest);
const regtest = (i: number): string => payments.p2wpkh({ pubkey: root.derivePath(`m/0/${i}`).publicKey, network: networks.regtest }).address!;
const mainnet = payments.p2wpkh({ pubkey: root.derivePath('m/0/99').publicKey, network: networks.bitcoin }).address!;
const WIF = 'cVt4o7BGAig1UXywgGSmARhxMdzP5qvQsxKkSsc1XEkw3tDTQFpy';
const TPUB = root.derivePath("m/84'/1'/0'").neutered().toBase58();

let app: App;
let api: ApiClient;
beforeAll(async () => {
  ({ app, api } = await startTestApp());
});
afterAll(async () => app.close());

const count = (sql: string): number => (app.db.prepare(sql).get() as { n: number }).n;

describe('validation holes, closed', () => {
  it('an agent address filter takes only addresses of this network: a typo, a WIF or a mainnet address is refused', async () => {
    const base = { url: 'http://127.0.0.1:9/cb' };
    const typo = await api.post('/agents', { ...base, name: 'a1', addresses: [regtest(0), regtest(1).slice(0, -1) + 'x'] });
    expect(typo.status).toBe(400);
    expect(typo.body.error).toMatchObject({ code: 'invalid_address' });
    expect(typo.body.error.message).toMatch(/^addresses\[1\]: invalid address/);
    const wif = await api.post('/agents', { ...base, name: 'a2', addresses: [WIF] });
    expect(wif.body.error.code).toBe('private_key_refused');
    expect(JSON.stringify(wif.body)).not.toContain(WIF);
    const main = await api.post('/agents', { ...base, name: 'a3', addresses: [mainnet] });
    expect(main.body.error).toMatchObject({ code: 'wrong_network', message: 'addresses[0]: address is for mainnet, this Satdesk is on regtest' });
    expect(count('SELECT COUNT(*) AS n FROM agents')).toBe(0);
    const ok = await api.post('/agents', { ...base, name: 'a4', addresses: [`  ${regtest(0)} `, regtest(0).toUpperCase(), regtest(1)] });
    expect(ok.status).toBe(201);
    expect(ok.body.addresses).toEqual([regtest(0), regtest(1)]);
    const patch = await api.call('PATCH', `/agents/${ok.body.id}`, { addresses: ['not an address'] });
    expect(patch.body.error.code).toBe('invalid_address');
    expect((await api.get('/agents')).body.agents[0].addresses).toEqual([regtest(0), regtest(1)]);
  });

  it('DELETE /addresses/<malformed> is 400 invalid_address (wrong network: wrong_network); an unknown valid one 404', async () => {
    expect((await api.call('DELETE', '/addresses/not-an-address')).body.error.code).toBe('invalid_address');
    expect((await api.call('DELETE', `/addresses/${encodeURIComponent(mainnet)}`)).body.error.code).toBe('wrong_network');
    expect((await api.call('DELETE', `/addresses/${regtest(7)}`)).status).toBe(404);
  });

  it('the test callbacks’ unspendable address cannot enter the pool: no invoice may ever name it', async () => {
    const r = await api.post('/addresses', { addresses: [testCallbackAddress('regtest'), regtest(3)] });
    expect(r.status).toBe(200);
    expect(r.body.results.map((x: { result: string }) => x.result)).toEqual(['invalid', 'added']);
    expect(r.body.results[0].reason).toMatch(/test callbacks’ address: provably unspendable/);
    expect(count(`SELECT COUNT(*) AS n FROM addresses WHERE address = '${testCallbackAddress('regtest')}'`)).toBe(0);
    expect((await api.call('DELETE', `/addresses/${regtest(3)}`)).status).toBe(200);
  });

  it('a change-chain descriptor (/1/*) is refused: invoices would take the wallet’s change addresses', async () => {
    const r = await api.call('PUT', '/wallet', { xpub: `wpkh([d34db33f/84h/1h/0h]${TPUB}/1/*)` });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('ends in /1/*, the change chain');
    expect(count('SELECT COUNT(*) AS n FROM wallet_source')).toBe(0);
    expect((await api.call('PUT', '/wallet', { xpub: `wpkh([d34db33f/84h/1h/0h]${TPUB}/0/*)` })).status).toBe(200);
  });

  it('the XMPP account: a jid that is not user@domain, a service that is not xmpp(s)://host:port, plaintext off loopback', async () => {
    for (const xmpp of [
      { jid: 'merchant' },
      { jid: 'a@b@c' },
      { service: 'http://127.0.0.1:5222' },
      { service: 'xmpp://u:p@127.0.0.1:5222' },
      { service: 'xmpp://chat.example.org/path' },
      { service: 'xmpp://chat.example.org:5222', plaintext_loopback: true },
      { plaintext_loopback: true },
    ]) {
      const r = await api.call('PATCH', '/settings', { xmpp });
      expect(r.status, JSON.stringify(xmpp)).toBe(400);
      expect(r.body.error.message).toMatch(/^xmpp\./);
    }
    expect((await api.get('/settings')).body.xmpp).toEqual({ jid: null, service: null, password_set: false, plaintext_loopback: false });
    const ok = await api.call('PATCH', '/settings', { xmpp: { jid: 'merchant@example.org/desk', service: 'xmpps://chat.example.org:5223' } });
    expect(ok.status).toBe(200);
  });
});
