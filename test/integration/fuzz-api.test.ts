/**
 * Bad input, property-based (docs/spec/api.md#errors): thousands of malformed requests at every API route and IPC method. Every
 * answer must be a 4xx with a clear `{"error": {code, message}}` — or one of the documented non-errors (per-item
 * 200 of POST /addresses, 503 pool_exhausted) — the process stays up, and nothing malformed reaches the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { payments, networks } from 'bitcoinjs-lib';
import { bip32 } from '../../src/core/ecc.ts';
import { contract, type MethodDef, type MethodName } from '../../src/shared/contract.ts';
import { validateAddress } from '../../src/core/wallet/address.ts';
import { createIpcHandlers } from '../../src/node/ipc.ts';
import { ipcChannel } from '../../src/shared/ipc.ts';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import type { App } from '../../src/node/app.ts';

const root = bip32.fromSeed(new Uint8Array(32).fill(9), networks.regtest);
const regtestAddr = (i: number): string =>
  payments.p2wpkh({ pubkey: root.derivePath(`m/84'/1'/0'/0/${i}`).publicKey, network: networks.regtest }).address!;
const mainnetAddr = payments.p2wpkh({ pubkey: root.derivePath("m/84'/0'/0'/0/0").publicKey, network: networks.bitcoin }).address!;
const PRIVATE = [
  root.toBase58(), // tprv
  bip32.fromSeed(new Uint8Array(32).fill(3)).toBase58(), // xprv
  'cVt4o7BGAig1UXywgGSmARhxMdzP5qvQsxKkSsc1XEkw3tDTQFpy', // testnet WIF
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
];

// Values that attack the usual weak spots: types, sizes, unicode, numbers at and past the edges.
const nasty = fc.oneof(
  fc.constantFrom(
    -1, 0, 0.5, -0.0, 1e308, Number.MAX_SAFE_INTEGER + 2, 2_100_000_000_000_001, '1e8', '0x10', 'NaN', 'Infinity',
    '', ' ', '\u0000', '\u202e', '😀'.repeat(100), 'x'.repeat(70_000), null, true, [], {}, mainnetAddr, ...PRIVATE,
    '../../etc/passwd', "'; DROP TABLE invoices; --", '__proto__', '0.123456789', '-0.001', '21000001',
  ),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 3 }),
);

function bodyFor(def: MethodDef): fc.Arbitrary<unknown> {
  const keys = ['amount_sats', 'amount_btc', 'amount_fiat', 'currency', 'label', 'userdata', 'expires_in_s', 'confirmations',
    'tolerance_pct', 'xpub', 'addresses', 'status', 'note', 'sats', 'txid', 'invoice', 'fiat', 'api', 'name', 'url', 'token',
    'thresholds', 'format', 'retry', 'enabled', '__proto__', 'constructor'];
  void def;
  return fc.oneof(
    fc.dictionary(fc.constantFrom(...keys), nasty, { maxKeys: 4 }),
    nasty,
    fc.record({ addresses: fc.array(fc.oneof(nasty, fc.constant(mainnetAddr)), { maxLength: 5 }) }),
    fc.record({ xpub: fc.oneof(fc.constantFrom(...PRIVATE), nasty) }),
  );
}

const routes = Object.entries(contract) as [MethodName, MethodDef][];

let app: App;
let api: ApiClient;
beforeAll(async () => {
  const r = await startTestApp();
  app = r.app;
  api = r.api;
  await api.post('/addresses', { addresses: [regtestAddr(0), regtestAddr(1)] });
});
afterAll(async () => app.close());

function checkDatabaseInvariants(): void {
  const db = app.db;
  const bad = db
    .prepare(
      `SELECT COUNT(*) AS n FROM invoices WHERE amount_sats <= 0 OR amount_sats > 2100000000000000 OR typeof(amount_sats) <> 'integer'
         OR length(userdata) > 256 OR length(label) > 256 OR confirmations_required NOT BETWEEN 0 AND 100`,
    )
    .get() as { n: number };
  expect(bad.n).toBe(0);
  for (const { address } of db.prepare("SELECT address FROM addresses WHERE origin = 'static'").all() as { address: string }[]) {
    expect(() => validateAddress(address, 'regtest')).not.toThrow();
  }
  expect(db.prepare('SELECT COUNT(*) AS n FROM refunds WHERE sats <= 0').get()).toEqual({ n: 0 });
  expect(db.prepare('SELECT COUNT(*) AS n FROM wallet_source').get()).toEqual({ n: 0 });
  const text = JSON.stringify(db.prepare('SELECT * FROM settings').all());
  for (const k of PRIVATE) expect(text).not.toContain(k);
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
}

describe('malformed requests at every HTTP route', () => {
  it('always answer 4xx with a clear error (or a documented 200/201/503), and the server stays up', async () => {
    let requests = 0;
    for (const [name, def] of routes) {
      if (name === 'backup') continue; // writes a file per call; covered by its own test
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(...PRIVATE)),
          fc.dictionary(fc.constantFrom('status', 'limit', 'cursor', 'q', 'state', 'agent', 'x'), fc.string({ maxLength: 30 }), { maxKeys: 3 }),
          bodyFor(def),
          async (param, query, body) => {
            let p = def.http.path.replace(/:(\w+)/g, () => encodeURIComponent(param) || 'x');
            const qs = new URLSearchParams(query).toString();
            if (qs) p += `?${qs}`;
            const hasBody = def.http.method !== 'GET' && def.http.method !== 'DELETE';
            const res = await api.call(def.http.method, p, hasBody ? (body === undefined ? null : body) : undefined);
            requests++;
            expect(res.status).toBeLessThan(500);
            if (res.status >= 400) {
              const err = (res.body as { error?: { code: string; message: string } }).error;
              expect(err?.code).toMatch(/^[a-z_]+$/);
              expect(err?.message.length).toBeGreaterThan(5);
              for (const k of PRIVATE) expect(err?.message).not.toContain(k);
            }
          },
        ),
        { numRuns: 60 },
      );
    }
    expect(requests).toBeGreaterThan(1000);
    expect((await api.get('/health')).status).toBe(200);
    checkDatabaseInvariants();
  }, 180_000);

  it('wrong-network addresses and private keys are refused with their specific codes', async () => {
    expect((await api.call('PUT', '/wallet', { xpub: PRIVATE[0] })).body.error.code).toBe('private_key_refused');
    expect((await api.call('PUT', '/wallet', { xpub: PRIVATE[2] })).body.error.code).toBe('private_key_refused');
    const r = await api.post('/addresses', { addresses: [mainnetAddr, PRIVATE[1]] });
    expect(r.body.results.map((x: { result: string }) => x.result)).toEqual(['invalid', 'invalid']);
    expect(JSON.stringify(r.body)).not.toContain(PRIVATE[1]);
    checkDatabaseInvariants();
  });
});

describe('malformed payloads at every IPC method', () => {
  it('answer {ok:false, error} with a clear message and change nothing malformed', async () => {
    const own = { frameUrl: 'file:///app/out/renderer/index.html' };
    const handlers = createIpcHandlers(app.service, (u) => u === own.frameUrl);
    let calls = 0;
    for (const [name, def] of routes) {
      if (name === 'backup') continue;
      const h = handlers.get(ipcChannel(name))!;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            nasty,
            fc.record({ params: fc.dictionary(fc.string({ maxLength: 8 }), nasty, { maxKeys: 2 }), body: bodyFor(def) }, { requiredKeys: [] }),
            fc.record({ query: fc.dictionary(fc.string({ maxLength: 8 }), nasty, { maxKeys: 2 }), headers: fc.dictionary(fc.constant('idempotency-key'), nasty) }, { requiredKeys: [] }),
          ),
          async (payload) => {
            const r = await h(own, payload);
            calls++;
            if (!r.ok) {
              expect(r.error.code).not.toBe('internal');
              expect(r.error.message.length).toBeGreaterThan(5);
            }
          },
        ),
        { numRuns: 80 },
      );
    }
    expect(calls).toBeGreaterThan(1000);
    checkDatabaseInvariants();
  }, 120_000);
});
