import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { payments, networks } from 'bitcoinjs-lib';
import Database from 'better-sqlite3';
import { bip32 } from '../../src/core/ecc.ts';
import { startTestApp, tempDir, ApiClient } from '../helpers/api.ts';
import type { App } from '../../src/node/app.ts';

// Regtest P2WPKH addresses from a throwaway seed: the static pool's contents in these tests.
const root = bip32.fromSeed(new Uint8Array(32).fill(7), networks.regtest);
const addr = (i: number): string => payments.p2wpkh({ pubkey: root.derivePath(`m/84'/1'/0'/0/${i}`).publicKey, network: networks.regtest }).address!;
const mainnetAddr = payments.p2wpkh({ pubkey: root.derivePath("m/84'/0'/0'/0/0").publicKey, network: networks.bitcoin }).address!;

// BIP84's published account key and its first receive addresses.
const BIP84_ZPUB = 'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs';
const BIP84_ADDRS = ['bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', 'bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g'];

const apps: App[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
});

async function start(opts: Parameters<typeof startTestApp>[0] = {}) {
  const r = await startTestApp(opts);
  apps.push(r.app);
  return r;
}

describe('static pool (docs/spec/wallet.md, the seed model)', () => {
  it('3 addresses → 3 invoices, the 4th is refused with pool_exhausted, a cancel releases one', async () => {
    const { api } = await start();
    const added = await api.post('/addresses', { addresses: [addr(0), addr(1), addr(2)] });
    expect(added.status).toBe(200);
    expect(added.body.results.map((r: { result: string }) => r.result)).toEqual(['added', 'added', 'added']);

    const invoices = [];
    for (let i = 0; i < 3; i++) {
      const r = await api.post('/invoices', { amount_sats: 10_000 + i, userdata: `order-${i}` });
      expect(r.status).toBe(201);
      expect(r.body.status).toBe('unpaid');
      invoices.push(r.body);
    }
    expect(new Set(invoices.map((i) => i.address)).size).toBe(3);
    let info = (await api.get('/sysinfo')).body;
    expect(info.addresses).toMatchObject({ total: 3, in_use: 3, free: 0 });
    expect(info.accepting_orders).toBe(false);

    const fourth = await api.post('/invoices', { amount_sats: 5000 });
    expect(fourth.status).toBe(503);
    expect(fourth.body.error.code).toBe('pool_exhausted');

    const cancelled = await api.post(`/invoices/${invoices[1].id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    info = (await api.get('/sysinfo')).body;
    expect(info.addresses).toMatchObject({ in_use: 2, free: 1 });
    expect(info.accepting_orders).toBe(true);

    const again = await api.post('/invoices', { amount_sats: 5000 });
    expect(again.status).toBe(201);
    expect(again.body.address).toBe(invoices[1].address);
  });

  it('reports each address of a bulk add: added, duplicate, invalid with a reason, wrong network', async () => {
    const { api } = await start();
    await api.post('/addresses', { addresses: [addr(5)] });
    const r = await api.post('/addresses', { addresses: [addr(5), addr(6), addr(6), 'nonsense', mainnetAddr, 42] });
    expect(r.status).toBe(200);
    const results = r.body.results;
    expect(results.map((x: { result: string }) => x.result)).toEqual(['duplicate', 'added', 'duplicate', 'invalid', 'invalid', 'invalid']);
    expect(results[4].reason).toMatch(/mainnet/);
    expect(results[3].reason).toBeTruthy();
    expect((await api.get('/addresses?state=free')).body.addresses).toHaveLength(2);
  });

  it('refuses to remove an address in use (409) and removes a free one', async () => {
    const { api } = await start();
    await api.post('/addresses', { addresses: [addr(0), addr(1)] });
    const inv = (await api.post('/invoices', { amount_sats: 1000 })).body;
    const busy = await api.call('DELETE', `/addresses/${inv.address}`);
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('address_in_use');
    const other = inv.address === addr(0) ? addr(1) : addr(0);
    expect((await api.call('DELETE', `/addresses/${other}`)).status).toBe(200);
    expect((await api.post('/invoices', { amount_sats: 1000 })).body.error.code).toBe('pool_exhausted');
    expect((await api.call('DELETE', `/addresses/${other}`)).status).toBe(404);
  });

  it('an expired invoice with nothing received frees its address only after the grace', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const clock = { now: () => now };
    const { app, api } = await start({ clock });
    await api.call('PATCH', '/settings', { pool_release_grace_s: 600 });
    await api.post('/addresses', { addresses: [addr(0)] });
    const inv = (await api.post('/invoices', { amount_sats: 1000, expires_in_s: 60 })).body;
    now += 61_000;
    app.service.tick();
    expect((await api.get(`/invoices/${inv.id}`)).body.status).toBe('expired');
    expect((await api.post('/invoices', { amount_sats: 1000 })).status).toBe(503);
    now += 600_000;
    app.service.tick();
    expect((await api.post('/invoices', { amount_sats: 1000 })).status).toBe(201);
  });

  it('refuses an xpub while the static pool has addresses, and static addresses while an xpub is set', async () => {
    const { api } = await start();
    await api.post('/addresses', { addresses: [addr(0)] });
    const r = await api.call('PUT', '/wallet', { xpub: 'vpub5SLqN2bLY4WeZJ9SmNJHsyzqVKreTXD4ZnPC22MugDNcjhKX5xNX9QiQWcE4SSRzVWyHWUihpKRT7hckDGNzVc69wSX2JPcfGeNiT5c2XZy' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('source_conflict');

    const { api: api2 } = await start();
    const set = await api2.call('PUT', '/wallet', { xpub: 'vpub5SLqN2bLY4WeZJ9SmNJHsyzqVKreTXD4ZnPC22MugDNcjhKX5xNX9QiQWcE4SSRzVWyHWUihpKRT7hckDGNzVc69wSX2JPcfGeNiT5c2XZy' });
    expect(set.status).toBe(200);
    expect(set.body.first_addresses).toHaveLength(10);
    const add = await api2.post('/addresses', { addresses: [addr(0)] });
    expect(add.status).toBe(409);
    expect(add.body.error.code).toBe('source_conflict');
  });
});

describe('xpub source', () => {
  it('hands out the BIP84 vector addresses in order, never twice, across restarts', async () => {
    const dataDir = tempDir();
    const first = await start({ dataDir, network: 'mainnet' });
    const w = await first.api.call('PUT', '/wallet', { xpub: BIP84_ZPUB });
    expect(w.status).toBe(200);
    expect(w.body).toMatchObject({ kind: 'xpub', network: 'mainnet', script: 'p2wpkh' });
    expect(w.body.first_addresses.slice(0, 2)).toEqual(BIP84_ADDRS);
    const a = (await first.api.post('/invoices', { amount_btc: '0.001' })).body;
    expect(a.address).toBe(BIP84_ADDRS[0]);
    expect(a.bip21).toBe(`bitcoin:${BIP84_ADDRS[0]}?amount=0.001`);
    await first.app.close();
    apps.pop();

    const second = await start({ dataDir, network: 'mainnet' });
    const b = (await second.api.post('/invoices', { amount_sats: 1000 })).body;
    expect(b.address).toBe(BIP84_ADDRS[1]);
    // Cancelling does not put a derived address back: the next invoice gets a fresh one.
    await second.api.post(`/invoices/${b.id}/cancel`);
    const c = (await second.api.post('/invoices', { amount_sats: 1000 })).body;
    expect([BIP84_ADDRS[0], BIP84_ADDRS[1]]).not.toContain(c.address);
    const wallet = (await second.api.get('/wallet')).body;
    expect(wallet.next_index).toBe(3);
    expect(wallet.gap).toBe(3);
  });

  it('warns from a gap of 20', async () => {
    const { api, app } = await start({ network: 'mainnet' });
    await api.call('PUT', '/wallet', { xpub: BIP84_ZPUB });
    for (let i = 0; i < 20; i++) await api.post('/invoices', { amount_sats: 1000 });
    const w = (await api.get('/wallet')).body;
    expect(w.gap).toBe(20);
    expect(w.gap_warning).toMatch(/gap limit/);
    expect((await api.get('/sysinfo')).body.addresses.gap).toBe(20);
    // The merchant is alerted once when the gap reaches 20 (an event; a native notification in the app).
    const alerts = app.db.prepare("SELECT event_json(data) AS data FROM events WHERE type = 'wallet.gap_warning'").all() as { data: string }[];
    expect(alerts.map((a) => JSON.parse(a.data).gap)).toEqual([20]);
    await api.post('/invoices', { amount_sats: 1000 });
    expect(app.db.prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'wallet.gap_warning'").get()).toEqual({ n: 1 });
  });

  it('refuses private keys and wrong-network keys with specific codes, storing nothing', async () => {
    const { api } = await start();
    const xprv = root.toBase58();
    const r = await api.call('PUT', '/wallet', { xpub: xprv });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('private_key_refused');
    expect(JSON.stringify(r.body)).not.toContain(xprv);
    const wrong = await api.call('PUT', '/wallet', { xpub: BIP84_ZPUB });
    expect(wrong.body.error.code).toBe('wrong_network');
    expect((await api.get('/wallet')).body.kind).toBe('static');
  });
});

describe('invoices', () => {
  it('creates from sats, BTC or fiat with the stored rate (rounding up), with BIP21', async () => {
    const { api } = await start();
    await api.post('/addresses', { addresses: [addr(0), addr(1), addr(2), addr(3)] });
    await api.call('PATCH', '/settings', { fiat: { currency: 'EUR', rates: { EUR: '30000' } }, refund_policy: 'Refunds in BTC within 14 days.' });
    const f = (await api.post('/invoices', { amount_fiat: '10.00', currency: 'EUR', label: 'Coffee & cake' })).body;
    expect(f.amount_sats).toBe(33_334); // 10 / 30000 BTC = 33,333.33 sats → rounds up
    expect(f.fiat).toMatchObject({ amount: '10.00', currency: 'EUR', rate: '30000', rate_kind: 'manual', rate_sources: ['manual'], market_rate: '30000', spread_pct: 0 });
    expect(Date.parse(f.fiat.rate_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(f.bip21).toBe(`bitcoin:${f.address}?amount=0.00033334&label=Coffee%20%26%20cake`);
    expect(f.refund_policy).toBe('Refunds in BTC within 14 days.');
    const b = (await api.post('/invoices', { amount_btc: '1.5' })).body;
    expect(b.amount_sats).toBe(150_000_000);
    expect(b.amount_btc).toBe('1.50000000');
    expect(b.missing_sats).toBe(150_000_000);
    const d = (await api.post('/invoices', { amount_sats: 1000, confirmations: 6, tolerance_pct: 1.5, expires_in_s: 120 })).body;
    expect(d).toMatchObject({ confirmations_required: 6, tolerance_pct: 1.5, userdata: '', label: '' });
    expect(Date.parse(d.expires_at) - Date.parse(d.created_at)).toBe(120_000);
  });

  it.each([
    [{ amount_sats: -1 }],
    [{ amount_sats: 0 }],
    [{ amount_sats: 1.5 }],
    [{ amount_sats: '1000' }],
    [{ amount_sats: 2_100_000_000_000_001 }],
    [{ amount_btc: '0.000000001' }],
    [{ amount_btc: 'NaN' }],
    [{ amount_btc: '21000000.00000001' }],
    [{ amount_btc: 0.1 }],
    [{ amount_btc: '-1' }],
    [{ amount_sats: 1000, amount_btc: '0.00001' }],
    [{}],
  ])('refuses %j with invalid_amount and stores nothing', async (body) => {
    const { api, app } = await start();
    await api.post('/addresses', { addresses: [addr(0)] });
    const r = await api.post('/invoices', body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_amount');
    expect(r.body.error.message.length).toBeGreaterThan(10);
    expect(app.db.prepare('SELECT COUNT(*) AS n FROM invoices').get()).toEqual({ n: 0 });
    expect((await api.get('/addresses?state=free')).body.addresses).toHaveLength(1);
  });

  it('an Idempotency-Key returns the same invoice and does not burn an address', async () => {
    const { api } = await start();
    await api.post('/addresses', { addresses: [addr(0), addr(1)] });
    const h = { 'Idempotency-Key': 'order-77' };
    const a = await api.post('/invoices', { amount_sats: 777, userdata: 'order-77' }, h);
    const b = await api.post('/invoices', { amount_sats: 777, userdata: 'order-77' }, h);
    expect(a.status).toBe(201);
    expect(b.body.id).toBe(a.body.id);
    expect((await api.get('/sysinfo')).body.addresses.in_use).toBe(1);
    const c = await api.post('/invoices', { amount_sats: 778 }, h);
    expect(c.status).toBe(409);
    expect(c.body.error.code).toBe('idempotency_conflict');
  });

  it('lists with status filter, search and cursor paging; mark, refunds, note', async () => {
    const { api } = await start();
    await api.post('/addresses', { addresses: Array.from({ length: 7 }, (_, i) => addr(i)) });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await api.post('/invoices', { amount_sats: 1000 + i, label: `item ${i}`, userdata: `ord-${i}` })).body.id);
    await api.post(`/invoices/${ids[2]}/cancel`);
    const page1 = (await api.get('/invoices?status=unpaid&limit=4')).body;
    expect(page1.invoices.map((i: { id: string }) => i.id)).toEqual([ids[6], ids[5], ids[4], ids[3]]);
    const page2 = (await api.get(`/invoices?status=unpaid&limit=4&cursor=${page1.next_cursor}`)).body;
    expect(page2.invoices.map((i: { id: string }) => i.id)).toEqual([ids[1], ids[0]]);
    expect(page2.next_cursor).toBeNull();
    expect((await api.get('/invoices?status=cancelled')).body.invoices.map((i: { id: string }) => i.id)).toEqual([ids[2]]);
    expect((await api.get('/invoices?q=ord-5')).body.invoices.map((i: { id: string }) => i.id)).toEqual([ids[5]]);
    expect((await api.get('/invoices?q=item%204')).body.invoices.map((i: { id: string }) => i.id)).toEqual([ids[4]]);
    expect((await api.get(`/invoices?q=${ids[3]}`)).body.invoices).toHaveLength(1);

    const marked = await api.post(`/invoices/${ids[0]}/mark`, { status: 'confirmed', note: 'paid in cash' });
    expect(marked.body.status).toBe('confirmed');
    expect(marked.body.flags).toContain('manual');
    expect(marked.body.note).toBe('paid in cash');
    // Nothing was received on chain: there is nothing to refund (docs/spec/invoices.md#refunds; refunds of paid
    // invoices: test/integration/books-refunds.test.ts).
    const refund = await api.post(`/invoices/${ids[0]}/refunds`, { sats: 500, note: 'half back' });
    expect(refund.status).toBe(409);
    expect(refund.body.error).toEqual({ code: 'refund_exceeds_received', message: 'This invoice received nothing (0 sats): there is nothing to refund.' });
    expect((await api.get(`/invoices/${ids[0]}`)).body.refunds).toEqual([]);
    expect((await api.post(`/invoices/${ids[0]}/refunds`, { sats: -5 })).body.error.code).toBe('invalid_amount');
    expect((await api.get('/invoices/nope')).status).toBe(404);
  });

  it('exports CSV with formula injection defused, and backs up the database', async () => {
    const { api } = await start();
    await api.post('/addresses', { addresses: [addr(0)] });
    await api.post('/invoices', { amount_sats: 1234, label: '=HYPERLINK("x")', userdata: 'a,b' });
    const csv = await api.get('/export/invoices.csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (csv.body as string).trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`"'=HYPERLINK(""x"")"`);
    expect(lines[1]).toContain('"a,b"');
    expect((await api.get('/export/payments.csv')).body).toMatch(/^time,type,state,sats,/);
    const backup = await api.post('/backup');
    expect(backup.status).toBe(200);
    expect(backup.body.warning).toMatch(/token/);
    const copy = new Database(backup.body.path, { readonly: true });
    expect(copy.prepare('SELECT COUNT(*) AS n FROM invoices').get()).toEqual({ n: 1 });
    copy.close();
    expect(fs.statSync(backup.body.path).mode & 0o077).toBe(0);
  });
});

describe('the API surface', () => {
  it('needs the bearer token everywhere but /health', async () => {
    const { api, dataDir } = await start();
    const anon = new ApiClient(api.base, null);
    expect((await anon.get('/health')).body).toMatchObject({ ok: true });
    const r = await anon.get('/sysinfo');
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
    expect((await new ApiClient(api.base, 'wrong-token-wrong-token').get('/invoices')).status).toBe(401);
    const tokenFile = path.join(dataDir, 'api-token');
    expect(fs.statSync(tokenFile).mode & 0o077).toBe(0);
    expect(fs.readFileSync(tokenFile, 'utf8').trim()).toBe(api.token);
  });

  it('answers malformed requests with 4xx and a clear message', async () => {
    const { api } = await start();
    const bad = await api.call('POST', '/invoices', '{"amount_sats": 1', { 'Content-Type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({ code: 'invalid_request', message: 'The body is not valid JSON.' });
    const unknown = await api.post('/invoices', { amount_sats: 1000, colour: 'red' });
    expect(unknown.body.error.code).toBe('invalid_request');
    expect(unknown.body.error.message).toContain('"colour"');
    const longUserdata = await api.post('/invoices', { amount_sats: 1000, userdata: 'x'.repeat(257) });
    expect(longUserdata.body.error.code).toBe('invalid_request');
    const huge = await api.call('POST', '/addresses', JSON.stringify({ addresses: ['x'.repeat(2 * 1024 * 1024)] }));
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    expect((await api.get('/invoices?limit=0')).status).toBe(400);
    expect((await api.get('/invoices?limit=501')).status).toBe(400);
    expect((await api.get('/invoices?cursor=%%%')).status).toBe(400);
    expect((await api.get('/nothing-here')).status).toBe(404);
    expect((await api.call('PATCH', '/settings', { fiat: { rates: { usd: 'abc' } } })).status).toBe(400);
    expect((await api.call('DELETE', '/invoices')).status).toBe(405);
  });

  it('settings: defaults, patch, xmpp password write-only', async () => {
    const { api } = await start();
    const s = (await api.get('/settings')).body;
    expect(s.invoice).toEqual({ expires_in_s: 900, confirmations: 1, tolerance_pct: 0, monitoring_s: 86_400, zero_conf_limit_sats: 0, zero_conf_risk: 'refuse' });
    expect(s.pool_release_grace_s).toBe(3600);
    expect(s.delivery_log_days).toBe(90);
    const p = await api.call('PATCH', '/settings', { invoice: { confirmations: 3 }, xmpp: { jid: 'shop@localhost', password: 'hunter22' } });
    expect(p.status).toBe(200);
    expect(p.body.invoice.confirmations).toBe(3);
    expect(p.body.invoice.expires_in_s).toBe(900);
    expect(p.body.xmpp).toEqual({ jid: 'shop@localhost', service: null, password_set: true, plaintext_loopback: false });
    expect(JSON.stringify(p.body)).not.toContain('hunter22');
  });

  it('one process per data dir; a stale lock from a killed process is taken over', async () => {
    const dataDir = tempDir();
    await start({ dataDir });
    await expect(startTestApp({ dataDir })).rejects.toThrow(/Another Satdesk.*using the data dir/);
    const other = tempDir();
    fs.writeFileSync(path.join(other, 'satdesk.lock'), '999999\n');
    const { app } = await start({ dataDir: other });
    expect(app.service.network).toBe('regtest');
  });

  it('--ip-family picks the listener family (the one-address gotcha of the first seed)', async () => {
    const v6 = await start({ ipFamily: 'ipv6' });
    expect(v6.app.api!.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect((await v6.api.get('/health')).status).toBe(200);
    const v4 = await start({ ipFamily: 'ipv4' });
    expect(v4.app.api!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('the desktop mode follows the api setting: a taken port leaves the app running without its local API', async () => {
    const net = await import('node:net');
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as import('node:net').AddressInfo).port;
    const dataDir = tempDir();
    const first = await start({ dataDir });
    await first.api.call('PATCH', '/settings', { api: { port } });
    await first.app.close();
    apps.pop();
    const lines: string[] = [];
    const { startApp } = await import('../../src/node/app.ts');
    const app = await startApp({ dataDir, network: 'regtest', log: (l) => lines.push(l) });
    apps.push(app);
    busy.close();
    expect(app.api).toBeNull();
    expect(lines.join('\n')).toContain(`local API not started: port ${port} on 127.0.0.1 is in use`);
    expect(app.service.sysinfo().network).toBe('regtest');
    await first.app.close();
  });

  it('refuses to open a data dir with another network', async () => {
    const dataDir = tempDir();
    const a = await start({ dataDir });
    await a.app.close();
    apps.pop();
    await expect(startTestApp({ dataDir, network: 'mainnet' })).rejects.toThrow(/regtest/);
  });
});
