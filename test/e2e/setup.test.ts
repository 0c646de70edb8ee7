/**
 * Setting up a shop from a fresh data dir whose Electrum server cannot be reached (docs/counter.md): the wallet
 * wizard (a refused private key leaves the field, a plain tpub asks its address type, the first address is an
 * explicit step), settings that speak in words (minutes, no silent 0, field messages, the --electrum note, Copy
 * buttons), and the loud "not connected" banner: on the keypad, the charge view and the customer display, with a
 * confirmation before an invoice nobody can watch.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import crypto from 'node:crypto';
import { networks } from 'bitcoinjs-lib';
import type { Browser, Page } from 'playwright-core';
import { bip32 } from '../../src/core/ecc.ts';
import { startTestApp } from '../helpers/api.ts';
import type { App } from '../../src/node/app.ts';
import { dispatch } from '../../src/node/dispatch.ts';
import { axeBothThemes, jsErrors, keypadTakes, launch, pageWithToken, shot } from './helpers.ts';

let app: App;
let browser: Browser;
let page: Page;
const account = bip32.fromSeed(crypto.randomBytes(32), networks.testnet).derivePath("m/84'/1'/0'");
const TPUB = account.neutered().toBase58();
const TPRV = account.toBase58();

beforeAll(async () => {
  // Port 1 on loopback: nothing listens, so the chain is never connected.
  [{ app }, browser] = await Promise.all([startTestApp({ electrum: ['tcp://127.0.0.1:1'] }), launch()]);
  page = await pageWithToken(browser, app.token, { width: 1280, height: 800 });
  await page.goto(`${app.api!.url}/#/addresses`);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

test('wallet setup: a private key is refused and cleared; a tpub asks its address type; the first address is a step', async () => {
  const field = page.getByLabel(/Paste your wallet/);
  await field.fill(TPRV);
  expect(await field.inputValue()).toBe('');
  await page.getByTestId('wallet-error').getByText(/private key material.*cleared from the field/).waitFor();
  await field.fill(TPUB);
  await page.getByRole('radiogroup', { name: 'Address type' }).waitFor();
  expect(await page.getByRole('button', { name: 'Show the first addresses' }).isDisabled()).toBe(true);
  await page.getByRole('radio', { name: 'Native SegWit' }).click();
  const preview = page.getByTestId('wallet-preview');
  await preview.waitFor();
  expect(await page.getByTestId('preview-addresses').locator('li').first().textContent()).toMatch(/^bcrt1q/);
  const use = page.getByRole('button', { name: 'Use this wallet' });
  expect(await use.isDisabled()).toBe(true);
  await shot(page, 'wallet-setup-1280x800');
  expect(await axeBothThemes(page)).toEqual([]);
  await page.getByRole('radio', { name: 'Taproot' }).click();
  await expect.poll(() => page.getByTestId('preview-addresses').locator('li').first().textContent()).toMatch(/^bcrt1p/);
  await page.getByRole('radio', { name: 'Native SegWit' }).click();
  await expect.poll(() => page.getByTestId('preview-addresses').locator('li').first().textContent()).toMatch(/^bcrt1q/);
  await page.getByLabel(/first address matches/).check();
  await use.click();
  await expect.poll(() => page.getByTestId('first-addresses').locator('li').count()).toBe(10);
  const wallet = (await dispatch(app.service, 'getWallet', {})) as { script: string; first_addresses: string[] };
  expect(wallet.script).toBe('p2wpkh');
  expect(wallet.first_addresses[0]).toMatch(/^bcrt1q/);
});

test('a key origin preselects the address type', async () => {
  // A fresh page for a fresh field: the owner replaces the (unused) wallet with the origin-tagged key.
  await page.reload();
  const field = page.getByLabel(/Paste your wallet/);
  await field.fill(`[d34db33f/86'/1'/0']${TPUB}`);
  expect(await page.getByRole('radio', { name: 'Taproot' }).getAttribute('aria-checked')).toBe('true');
  await page.getByText('(preselected from the key origin)').waitFor();
});

test('settings speak in words: minutes, no silent 0, a message under the field, the --electrum note, copyable tokens', async () => {
  await page.getByRole('link', { name: 'Settings' }).click();
  const defaults = page.getByRole('region', { name: 'Invoice defaults' });
  const expires = defaults.getByRole('textbox', { name: 'Expires after' });
  expect(await expires.inputValue()).toBe('15');
  expect(await defaults.getByRole('combobox', { name: 'Expires after: unit' }).inputValue()).toBe('minutes');
  await expires.fill('');
  await defaults.getByRole('button', { name: 'Save' }).click();
  await defaults.getByText('Enter a duration: an empty field is not zero.').waitFor();
  expect(app.service.settings.invoice.expires_in_s).toBe(900);
  await expires.fill('0.5');
  await defaults.getByText('At least 1 minute.').waitFor();
  await defaults.getByRole('textbox', { name: 'Confirmations required' }).fill('101');
  await defaults.getByText('At most 100.').waitFor();
  await shot(page, 'settings-field-errors-1280x800');
  expect(await axeBothThemes(page)).toEqual([]);
  await defaults.getByRole('textbox', { name: 'Confirmations required' }).fill('0');
  await expires.fill('2');
  await defaults.getByRole('combobox', { name: 'Expires after: unit' }).selectOption('hours');
  await defaults.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').getByText('Invoice defaults saved').waitFor();
  expect(app.service.settings.invoice).toMatchObject({ expires_in_s: 7200, confirmations: 0 });
  await page.getByTestId('override-note').getByText('--electrum tcp://127.0.0.1:1').waitFor();

  // A new device's pairing link has a Copy button, and so does a new agent token.
  const devices = page.getByRole('region', { name: 'Devices' });
  await devices.getByLabel('Device name').fill('Front screen');
  await devices.getByRole('button', { name: 'Add device and show its code' }).click();
  await devices.getByTestId('pairing-code').waitFor();
  await devices.getByRole('button', { name: 'Copy link' }).waitFor();
  await shot(page, 'settings-devices-1280x800');
});

test('not connected: a loud banner, a confirmation before the invoice, and the banner on the charge view and display', async () => {
  await dispatch(app.service, 'patchSettings', { body: { fiat: { currency: 'EUR', rates: { EUR: '60000' } } } });
  await page.goto(`${app.api!.url}/#/sell`);
  await page.getByTestId('chain-banner').getByText('Bitcoin network: not connected').waitFor();
  expect(await page.getByTestId('chain').textContent()).toMatch(/^Bitcoin network: not connected/);
  expect(await page.getByTestId('live').textContent()).toBe('Console connected');
  await keypadTakes(page, 'EUR');
  await page.getByTestId('amount-entry').focus();
  await page.keyboard.type('4.20');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'The Bitcoin network is not connected' });
  await dialog.waitFor();
  await shot(page, 'offline-confirm-1280x800');
  expect(await axeBothThemes(page)).toEqual([]);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  expect((app.service.db.prepare('SELECT COUNT(*) AS n FROM invoices').get() as { n: number }).n).toBe(0);
  await page.getByTestId('amount-entry').focus();
  await page.keyboard.press('Enter');
  await dialog.getByRole('button', { name: 'Create anyway' }).click();
  await page.locator('.charge-view[data-status="unpaid"]').waitFor();
  await page.getByTestId('chain-banner').waitFor();
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('€4.20');
  await shot(page, 'offline-charge-1280x800');
  expect(await axeBothThemes(page)).toEqual([]);
  const display = await pageWithToken(browser, app.token, { width: 1024, height: 768 });
  await display.goto(`${app.api!.url}/#/customer/till1`);
  await display.locator('main.customer[data-state="unpaid"]').waitFor();
  await display.getByTestId('chain-banner').getByText('Please wait before paying').waitFor();
  await shot(display, 'offline-display-1024x768');
  expect(await axeBothThemes(display)).toEqual([]);
  expect(jsErrors(page)).toEqual([]);
  expect(jsErrors(display)).toEqual([]);
});
