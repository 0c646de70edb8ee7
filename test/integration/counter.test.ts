/**
 * The counter's server side (docs/counter.md) on a real data dir: tips kept apart on the invoice and in the export,
 * quick-item lines that must add up, the dust limit of the wallet's address type, tills and their customer
 * display (long poll), what a cashier and a display may see, pairing codes, receipts, the typed note a
 * "confirmed" mark of an unpaid invoice needs, and the address type chosen for a plain tpub.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import path from 'node:path';
import { networks } from 'bitcoinjs-lib';
import { bip32 } from '../../src/core/ecc.ts';
import { startTestApp, tempDir } from '../helpers/api.ts';
import type { App } from '../../src/node/app.ts';
import { dispatch } from '../../src/node/dispatch.ts';
import { TokenAuth } from '../../src/node/counter/tokens.ts';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { migrate, openDatabase } from '../../src/node/store/sqlite.ts';
import type { Principal } from '../../src/shared/contract-counter.ts';
import type { MethodName } from '../../src/shared/contract.ts';
import { demoVpub } from '../../src/node/demo.ts';

const apps: App[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
});

const account = bip32.fromSeed(new Uint8Array(32).fill(9), networks.testnet).derivePath("m/84'/1'/0'");
const TPUB = account.neutered().toBase58();

class TestClock {
  t = Date.now();
  now = (): number => this.t;
}

async function start(clock?: TestClock) {
  const r = await startTestApp(clock ? { clock } : {});
  apps.push(r.app);
  const call = (name: MethodName, raw: { params?: unknown; query?: unknown; body?: unknown; headers?: Record<string, string> } = {}, auth?: Principal): Promise<any> =>
    dispatch(r.app.service, name, raw, auth);
  const fails = async (p: Promise<unknown>): Promise<{ code: string; message: string }> => {
    try {
      await p;
    } catch (e) {
      return e as { code: string; message: string };
    }
    throw new Error('expected a refusal');
  };
  return { ...r, call, fails };
}

const cashier = (tillId: string | null = null): Principal => ({ role: 'cashier', tokenId: 'c', name: 'cashier', tillId });
const display = (tillId: string): Principal => ({ role: 'display', tokenId: 'd', name: 'display', tillId });

describe('tips, items and the dust limit', () => {
  it('a fiat tip is part of the amount and kept apart on the invoice and in the export', async () => {
    const { call } = await start();
    await call('putWallet', { body: { xpub: TPUB, script: 'p2wpkh' } });
    await call('patchSettings', { body: { fiat: { currency: 'USD', rates: { USD: '50000' } } } });
    const inv = await call('createInvoice', { body: { amount_fiat: '12.50', currency: 'USD', tip_fiat: '1.88' }, headers: {} });
    // 14.38 USD at 50,000 → 28,760 sats; 12.50 alone is 25,000, so the tip's share is 3,760.
    expect(inv).toMatchObject({ amount_sats: 28_760, fiat: { amount: '14.38', currency: 'USD' }, tip: { sats: 3760, fiat: '1.88' } });
    const csv: string = await call('exportInvoices');
    const [head, row] = csv.trim().split('\r\n').map((l) => l.split(','));
    expect(row![head!.indexOf('tip_sats')]).toBe('3760');
    expect(row![head!.indexOf('tip_fiat')]).toBe('1.88');
    const sats = await call('createInvoice', { body: { amount_sats: 10_000, tip_sats: 1500 }, headers: {} });
    expect(sats).toMatchObject({ amount_sats: 11_500, tip: { sats: 1500, fiat: null } });
  });

  it('refuses a tip of the wrong kind, items that do not add up, and amounts below the dust limit, burning no address', async () => {
    const { call, fails, app } = await start();
    await call('putWallet', { body: { xpub: TPUB, script: 'p2wpkh' } });
    await call('patchSettings', { body: { fiat: { currency: 'EUR', rates: { EUR: '60000' } } } });
    expect(await fails(call('createInvoice', { body: { amount_sats: 5000, tip_fiat: '1.00' }, headers: {} }))).toMatchObject({ code: 'invalid_request' });
    expect(await fails(call('createInvoice', { body: { amount_fiat: '5', tip_sats: 10 }, headers: {} }))).toMatchObject({ code: 'invalid_request' });
    const items = [
      { name: 'Coffee', qty: 2, price: '3.20' },
      { name: 'Cake', qty: 1, price: '4.10' },
    ];
    expect(await fails(call('createInvoice', { body: { amount_fiat: '10.00', items }, headers: {} }))).toMatchObject({
      code: 'invalid_amount',
      message: 'The items add up to 10.50 EUR, not 10.00.',
    });
    // P2WPKH: 294 sats is the least a wallet will send.
    expect(await fails(call('createInvoice', { body: { amount_sats: 293 }, headers: {} }))).toMatchObject({ code: 'invalid_amount', message: expect.stringContaining('dust limit') });
    expect((await call('getWallet')).next_index).toBe(0);
    expect(app.service.db.prepare('SELECT COUNT(*) AS n FROM invoices').get()).toEqual({ n: 0 });
    const ok = await call('createInvoice', { body: { amount_fiat: '10.50', items }, headers: {} });
    expect(ok.items).toEqual(items);
    expect((await call('createInvoice', { body: { amount_sats: 294 }, headers: {} })).amount_sats).toBe(294);
    expect((await call('counterConfig')).min_sats).toBe(294);
  });
});

describe('tills and the customer display', () => {
  it('a display follows its own till: long poll answers when the sale changes, never another till', async () => {
    const { call, fails } = await start();
    await call('putWallet', { body: { xpub: TPUB, script: 'p2wpkh' } });
    const [t1] = (await call('listTills')).tills;
    const t2 = await call('createTill', { body: { name: 'Terrace' } });
    expect((await fails(call('createTill', { body: { name: 'Terrace' } }))).code).toBe('invalid_request');

    const idle = await call('displayState', { query: {} }, display(t1.id));
    expect(idle).toMatchObject({ stage: 'idle', sale: null, till: { id: t1.id }, chain: { ok: false } });
    expect(idle.chain.message).toMatch(/Not connected to the Bitcoin network/);

    let answered = false;
    const waiting = call('displayState', { query: { after: idle.version } }, display(t1.id)).then((s) => {
      answered = true;
      return s;
    });
    // A sale on the other till changes nothing this display shows… but it may wake it; what it answers is idle.
    const other = await call('createInvoice', { body: { amount_sats: 2000, till_id: t2.id }, headers: {} });
    const inv = await call('createInvoice', { body: { amount_sats: 3000, till_id: t1.id, label: 'Espresso' }, headers: {} });
    const next = await waiting;
    expect(answered).toBe(true);
    const shown = next.stage === 'sale' ? next : await call('displayState', { query: { after: next.version } }, display(t1.id));
    expect(shown).toMatchObject({ stage: 'sale', sale: { id: inv.id, label: 'Espresso', amount_sats: 3000 } });
    expect(shown.sale).not.toHaveProperty('userdata');
    expect((await call('displayState', { query: {} }, display(t2.id))).sale.id).toBe(other.id);

    // A display sees only its own till, and nothing else of the API.
    expect((await fails(call('displayState', { query: { till: t2.id } }, display(t1.id)))).code).toBe('forbidden');
    expect((await fails(call('getInvoice', { params: { id: inv.id } }, display(t1.id)))).code).toBe('forbidden');
    expect((await fails(call('listInvoices', {}, display(t1.id)))).code).toBe('forbidden');

    // A tip prompt before the QR, then "new sale" brings the display back to idle.
    await call('setTillSale', { params: { id: t1.id }, body: { invoice_id: null, prompt: { amount_sats: 25_000, amount_fiat: '12.50', currency: 'USD' } } }, cashier());
    expect(await call('displayState', { query: {} }, display(t1.id))).toMatchObject({ stage: 'tip', prompt: { amount_fiat: '12.50', presets_pct: [10, 15, 20] } });
    await call('setTillSale', { params: { id: t1.id }, body: { invoice_id: null } }, cashier());
    expect((await call('displayState', { query: {} }, display(t1.id))).stage).toBe('idle');
    // A cashier bound to a till sells there only.
    expect((await fails(call('createInvoice', { body: { amount_sats: 2000, till_id: t2.id }, headers: {} }, cashier(t1.id)))).code).toBe('forbidden');
    const bound = await call('createInvoice', { body: { amount_sats: 2000 }, headers: {} }, cashier(t1.id));
    expect(bound.till_id).toBe(t1.id);
  });

  it('a cashier sees today\u2019s sales only; receipts open by their key; a desk note is kept', async () => {
    const clock = new TestClock();
    clock.t = Date.now() - 3 * 86_400_000;
    const { call, fails } = await start(clock);
    await call('putWallet', { body: { xpub: TPUB, script: 'p2wpkh' } });
    const old = await call('createInvoice', { body: { amount_sats: 5000, label: 'old' }, headers: {} });
    clock.t = Date.now();
    const today = await call('createInvoice', { body: { amount_sats: 6000, label: 'today' }, headers: {} });
    const list = await call('listInvoices', { query: {} }, cashier());
    expect(list.invoices.map((i: { id: string }) => i.id)).toEqual([today.id]);
    expect(list.next_cursor).toBeNull();
    expect((await call('listInvoices', { query: {} })).invoices).toHaveLength(2);
    expect((await fails(call('getInvoice', { params: { id: old.id } }, cashier()))).code).toBe('forbidden');
    expect((await fails(call('cancelInvoice', { params: { id: old.id } }, cashier()))).code).toBe('forbidden');
    expect((await fails(call('markInvoice', { params: { id: today.id }, body: { status: 'confirmed', note: 'x' } }, cashier()))).code).toBe('forbidden');
    expect((await fails(call('exportInvoices', {}, cashier()))).code).toBe('forbidden');

    await call('setDeskNote', { params: { id: today.id }, body: { note: 'paid 2 € in cash' } }, cashier());
    expect((await call('getInvoice', { params: { id: today.id } })).desk_note).toBe('paid 2 € in cash');
    const r = await call('createReceipt', { params: { id: today.id } }, cashier());
    expect(r.path).toBe(`/#/r/${r.key}`);
    expect(r.key).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((await call('createReceipt', { params: { id: today.id } })).key).toBe(r.key);
    const receipt = await call('getReceipt', { params: { key: r.key } });
    expect(receipt).toMatchObject({ id: today.id, amount_sats: 6000, label: 'today', status: 'unpaid', payments: [] });
    expect(receipt).not.toHaveProperty('userdata');
    expect((await fails(call('getReceipt', { params: { key: 'x'.repeat(22) } }))).code).toBe('not_found');
  });

  it('marking an invoice that received nothing as confirmed needs a typed note', async () => {
    const { call, fails } = await start();
    await call('putWallet', { body: { xpub: TPUB } });
    const inv = await call('createInvoice', { body: { amount_sats: 5000 }, headers: {} });
    await call('cancelInvoice', { params: { id: inv.id } });
    const refused = await fails(call('markInvoice', { params: { id: inv.id }, body: { status: 'confirmed', note: '  ' } }));
    expect(refused).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('received nothing') });
    expect((await call('getInvoice', { params: { id: inv.id } })).status).toBe('cancelled');
    const marked = await call('markInvoice', { params: { id: inv.id }, body: { status: 'confirmed', note: 'paid in cash' } });
    expect(marked).toMatchObject({ status: 'confirmed', note: 'paid in cash' });
  });
});

describe('device tokens and pairing', () => {
  it('a code pairs one device once; the token authenticates as its role until revoked; wrong codes are rate-limited', async () => {
    const { call, fails, app } = await start();
    const [till] = (await call('listTills')).tills;
    expect((await fails(call('createToken', { body: { name: 'Screen', role: 'display' } }))).message).toMatch(/choose its till/);
    const made = await call('createToken', { body: { name: 'Front screen', role: 'display', till_id: till.id } });
    expect(made.token).toMatchObject({ name: 'Front screen', role: 'display', till_id: till.id, paired: false, revoked: false });
    expect(made.pairing.code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(made.pairing.path).toBe(`/#/pair/${made.pairing.code}`);
    // Nothing usable rests in the database before pairing.
    expect(app.service.db.prepare('SELECT token_hash FROM api_tokens').get()).toEqual({ token_hash: null });

    const paired = await call('pair', { body: { code: made.pairing.code.toLowerCase().replace('-', '') } });
    expect(paired).toMatchObject({ role: 'display', name: 'Front screen', till: { id: till.id } });
    expect((await fails(call('pair', { body: { code: made.pairing.code } }))).code).toBe('not_found');
    const auth = new TokenAuth(app.service.db, () => app.token, () => Date.now());
    expect(auth.authenticate(paired.token)).toEqual({ role: 'display', tokenId: made.token.id, name: 'Front screen', tillId: till.id });
    expect(auth.authenticate(app.token)?.role).toBe('owner');
    expect(auth.authenticate('nope')).toBeNull();
    expect((await call('listTokens')).tokens[0]).toMatchObject({ paired: true, last_used_at: expect.any(String) });

    await call('revokeToken', { params: { id: made.token.id } });
    expect(auth.authenticate(paired.token)).toBeNull();
    expect((await fails(call('pairToken', { params: { id: made.token.id } }))).message).toMatch(/revoked/);

    // The reused code above was the first wrong one this minute.
    for (let i = 0; i < 9; i++) expect((await fails(call('pair', { body: { code: `WXYZ-${2000 + i}` } }))).code).toBe('not_found');
    expect((await fails(call('pair', { body: { code: 'WXYZ-9999' } }))).code).toBe('rate_limited');
  });
});

describe('wallet setup: the address type of a plain tpub', () => {
  it('previews without saving, derives the chosen type, takes a hint from a key origin and refuses a contradiction', async () => {
    const { call, fails } = await start();
    const legacy = await call('previewWallet', { body: { xpub: TPUB } });
    expect(legacy).toMatchObject({ kind: 'xpub', script: 'p2pkh', script_choice: true });
    expect(legacy.first_addresses[0]).toMatch(/^[mn]/);
    const segwit = await call('previewWallet', { body: { xpub: TPUB, script: 'p2wpkh' } });
    expect(segwit).toMatchObject({ kind: 'descriptor', script: 'p2wpkh' });
    expect(segwit.first_addresses[0]).toMatch(/^bcrt1q/);
    const taproot = await call('previewWallet', { body: { xpub: TPUB, script: 'p2tr' } });
    expect(taproot.first_addresses[0]).toMatch(/^bcrt1p/);
    expect((await call('getWallet')).kind).toBe('static');
    const hinted = await call('previewWallet', { body: { xpub: `[d34db33f/84'/1'/0']${TPUB}` } });
    expect(hinted.first_addresses).toEqual(segwit.first_addresses);
    expect((await call('previewWallet', { body: { xpub: demoVpub() } })).script_choice).toBe(false);
    expect((await fails(call('previewWallet', { body: { xpub: demoVpub(), script: 'p2tr' } }))).message).toMatch(/vpub key is for Native SegWit/);

    const set = await call('putWallet', { body: { xpub: TPUB, script: 'p2wpkh' } });
    expect(set.first_addresses).toEqual(segwit.first_addresses);
    const inv = await call('createInvoice', { body: { amount_sats: 1000 }, headers: {} });
    expect(inv.address).toBe(segwit.first_addresses[0]);
  });
});

describe('migration 003', () => {
  it('upgrades a version-2 database and keeps its rows', () => {
    const file = path.join(tempDir(), 'satdesk.sqlite');
    const raw = new Database(file);
    migrate(raw, 2);
    raw.prepare("INSERT INTO settings (key, value) VALUES ('network', '\"regtest\"')").run();
    raw.close();
    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
    expect(db.prepare('SELECT value FROM settings WHERE key = ?').get('network')).toEqual({ value: '"regtest"' });
    expect(db.prepare('SELECT id, name FROM tills').all()).toEqual([{ id: 'till1', name: 'Till 1' }]);
    expect(migrate(db)).toBe(MIGRATIONS.at(-1)!.version);
    db.close();
  });
});
