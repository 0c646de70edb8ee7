/**
 * The books in Chromium (docs/books.md): an overpaid invoice offers its refund as the next step; the merchant records
 * it with the customer's address and gets a BIP21 link; the sandbox pays that address and the console fills in the
 * transaction and its confirmation by itself. The Today screen's totals match the payments CSV it downloads, and the
 * invoices list shows order references, fiat amounts and the totals of its filter.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { networks, payments as btcPayments } from 'bitcoinjs-lib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { bip32 } from '../../src/core/ecc.ts';
import type { App } from '../../src/node/app.ts';
import type { ApiClient } from '../helpers/api.ts';
import { parseCsv, sumColumn } from '../helpers/csv.ts';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/wait.ts';
import { startWatchedApp } from '../helpers/watched.ts';
import { axeViolations, horizontalOverflow, jsErrors, launch, openConsole, shot } from './helpers.ts';

let sandbox: TestSandbox;
let app: App;
let api: ApiClient;
let browser: Browser;
let page: Page;
const customer = btcPayments.p2wpkh({ pubkey: bip32.fromSeed(crypto.randomBytes(32), networks.testnet).derivePath('m/0/0').publicKey, network: networks.regtest }).address!;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  [{ app, api }, browser] = await Promise.all([startWatchedApp(sandbox), launch()]);
  await api.call('PATCH', '/settings', { fiat: { currency: 'EUR', rates: { EUR: '60000' } } });
  page = await openConsole(browser, app.consoleUrl!);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await sandbox?.close();
});

test('an overpaid invoice: record the refund, pay it from the sandbox, see the txid filled in', async () => {
  const inv = (await api.post('/invoices', { amount_sats: 10_000, userdata: 'order-77' })).body;
  await sandbox.control('POST', '/pay', { address: inv.address, sats: 15_000 });
  await waitFor(async () => (await api.get(`/invoices/${inv.id}`)).body, (i) => i.overpaid_sats === 5_000, 'overpaid');
  await page.goto(`${app.consoleUrl!.split('#')[0]}#/invoices/${inv.id}`);
  await page.getByTestId('refund-step').getByText('Overpaid by 5,000 sats').waitFor();
  await page.getByTestId('refund-step').getByRole('button', { name: 'Refund…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Refund' });
  expect(await dialog.getByLabel('Amount (sats)').inputValue()).toBe('5000');
  await dialog.getByLabel("Customer's refund address").fill(customer);
  await dialog.getByRole('button', { name: 'Record refund' }).click();
  const link = page.getByTestId('refund-bip21');
  await link.waitFor();
  expect(await link.getAttribute('href')).toBe(`bitcoin:${customer}?amount=0.00005&label=Refund%20for%20${inv.id}`);
  await shot(page, 'refund-recorded');
  await page.getByRole('button', { name: 'Done' }).click();
  const row = page.getByTestId('refund-row');
  await expect.poll(() => row.getAttribute('data-state')).toBe('recorded');
  const { txid } = (await sandbox.control<{ txid: string }>('POST', '/pay', { address: customer, sats: 5_000 })).body;
  await expect.poll(() => row.getAttribute('data-state')).toBe('sent');
  expect(await row.getByTestId('refund-txid').getAttribute('title')).toBe(txid);
  await sandbox.control('POST', '/mine', { blocks: 1 });
  await expect.poll(() => row.getAttribute('data-state')).toBe('confirmed');
  await expect.poll(() => row.getByTestId('refund-confirmations').textContent()).toBe('1');
  await shot(page, 'refund-confirmed');
  expect(await axeViolations(page)).toEqual([]);
  expect(jsErrors(page)).toEqual([]);
});

test('the Today screen matches the payments CSV it downloads', async () => {
  const fiat = (await api.post('/invoices', { amount_fiat: '3', userdata: 'order-78' })).body;
  await sandbox.control('POST', '/pay', { address: fiat.address, sats: fiat.amount_sats });
  await waitFor(async () => (await api.get(`/invoices/${fiat.id}`)).body, (i) => i.status === 'paid', 'paid');
  await page.getByRole('link', { name: 'Today', exact: true }).click();
  await page.getByTestId('today-net').waitFor();
  await expect.poll(() => page.getByTestId('today-received').textContent()).toContain('2 payments');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Payments CSV' }).click()]);
  const csv = parseCsv(fs.readFileSync((await download.path())!, 'utf8'));
  const net = sumColumn(csv.rows, 'sats');
  expect(net).toBe(15_000 + fiat.amount_sats - 5_000);
  expect(await page.getByTestId('today-net').textContent()).toContain(`${net.toLocaleString('en-US')} sats`);
  // In euros too: the fiat invoice at its locked rate, the sats one at the manual rate in force (€9.00 + €3.00).
  const euros = csv.rows.filter((r) => r.type === 'payment').reduce((s, r) => s + Math.round(Number(r.fiat_amount) * 100), 0) / 100;
  expect(euros).toBe(12);
  expect(await page.getByTestId('today-received').textContent()).toContain('€12.00');
  await shot(page, 'today');
  expect(await axeViolations(page)).toEqual([]);
  // On a phone the figures stack and nothing scrolls sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await horizontalOverflow(page)).toEqual([]);
  await shot(page, 'today-phone');
  await page.setViewportSize({ width: 1280, height: 820 });
});

test('the invoices list shows order references, fiat amounts and the totals of its filter', async () => {
  await page.getByRole('link', { name: 'Invoices', exact: true }).click();
  await page.locator('.inv-row', { hasText: 'order-78' }).getByText('€3.00').waitFor();
  await page.locator('.inv-row', { hasText: 'order-77' }).waitFor();
  await expect.poll(() => page.getByTestId('invoice-totals').textContent()).toContain('2 invoices');
  expect(await page.getByTestId('invoice-totals').textContent()).toContain('refunded 5,000 sats');
  await page.getByLabel('Search invoices').fill('order-77');
  await expect.poll(() => page.getByTestId('invoice-totals').textContent()).toContain('1 invoice');
  await shot(page, 'invoices-totals');
  expect(await axeViolations(page)).toEqual([]);
});
