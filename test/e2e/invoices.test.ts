/**
 * The invoices screen with a few thousand invoices: windowed rows, cursor paging while scrolling, the status
 * filter, search, live updates and CSV export; plus the addresses and settings screens on the same data.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestApp } from '../helpers/api.ts';
import type { App } from '../../src/node/app.ts';
import { dispatch } from '../../src/node/dispatch.ts';
import { demoVpub } from '../../src/node/demo.ts';
import { jsErrors, launch, openConsole, shot } from './helpers.ts';

const N = 2500;
let app: App;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [{ app }, browser] = await Promise.all([startTestApp(), launch()]);
  const svc = app.service;
  await dispatch(svc, 'putWallet', { body: { xpub: demoVpub() } });
  await dispatch(svc, 'patchSettings', { body: { fiat: { currency: 'EUR', rates: { EUR: '60000' } }, refund_policy: 'Refunds within 30 days.' } });
  // One write for all of them: 2,500 commits of their own took most of the hook's minute on a loaded machine.
  svc.write(() => {
    for (let i = 0; i < N; i++) {
      const inv = svc.invoices.create({
        body: { amount_sats: 1000 + i, label: i === 1234 ? 'special blue mug' : `item ${i % 50}`, userdata: `order-${i}` },
        headers: {},
        params: {},
        query: {},
      });
      if (i % 10 === 0) svc.invoices.cancel(inv.id);
    }
  });
  page = await openConsole(browser, app.consoleUrl!);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const loaded = (): Promise<number> => page.locator('.vlist').getAttribute('data-rows').then(Number);

test('only the visible rows are in the DOM, and scrolling pages through the API', async () => {
  await page.getByRole('link', { name: 'Invoices' }).click();
  await page.locator('.inv-row').first().waitFor();
  expect(await loaded()).toBe(200);
  const domRows = await page.locator('.inv-row').count();
  expect(domRows).toBeLessThan(60);
  await shot(page, 'invoices');
  await page.locator('.vlist').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect.poll(loaded).toBeGreaterThan(200);
  await page.locator('.vlist').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect.poll(loaded).toBeGreaterThan(400);
  expect(await page.locator('.inv-row').count()).toBeLessThan(60);
});

test('the status filter and search ask the API', async () => {
  await page.getByRole('radio', { name: 'Cancelled', exact: true }).click();
  await page.locator('.inv-row.status-cancelled').first().waitFor();
  expect(await page.locator('.inv-row:not(.status-cancelled)').count()).toBe(0);
  await page.locator('.vlist').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect.poll(loaded).toBe(N / 10);
  await page.getByRole('radio', { name: 'All', exact: true }).click();
  await page.getByLabel('Search invoices').fill('blue mug');
  await expect.poll(loaded).toBe(1);
  await page.locator('.inv-row', { hasText: 'special blue mug' }).waitFor();
  // Search finds any part of an order reference (docs/spec/api.md#search): a whole one that is no other's prefix.
  await page.getByLabel('Search invoices').fill('order-1777');
  await expect.poll(loaded).toBe(1);
  await page.locator('.inv-row', { hasText: 'item 27' }).waitFor();
  await shot(page, 'invoices-search');
  await page.getByLabel('Search invoices').fill('');
  await expect.poll(loaded).toBe(200);
});

test('a new invoice appears on top live, and the CSV export downloads', async () => {
  await dispatch(app.service, 'createInvoice', { body: { amount_sats: 777, label: 'arrived live' }, headers: {} });
  await page.locator('.inv-row', { hasText: 'arrived live' }).waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toBe('invoices.csv');
});

test('the detail view: cancel and mark', async () => {
  await page.locator('.inv-row', { hasText: 'arrived live' }).click();
  await page.getByTestId('detail-status').getByText('Unpaid').waitFor();
  await page.getByText('Refunds within 30 days.').first().waitFor();
  await page.getByRole('button', { name: 'Cancel invoice' }).click();
  // A confirmation first: "Keep it" changes nothing.
  const dialog = page.getByRole('dialog', { name: 'Cancel this invoice?' });
  await dialog.getByRole('button', { name: 'Keep it' }).click();
  await dialog.waitFor({ state: 'hidden' });
  expect(await page.getByTestId('detail-status').textContent()).toBe('Unpaid');
  await page.getByRole('button', { name: 'Cancel invoice' }).click();
  await dialog.getByRole('button', { name: 'Cancel invoice' }).click();
  await page.getByTestId('detail-status').getByText('Cancelled').waitFor();
  // Marking it confirmed though it received nothing needs a typed note.
  await page.getByRole('button', { name: 'Apply…' }).click();
  const mark = page.getByRole('dialog', { name: 'Mark confirmed?' });
  await mark.getByText('This invoice received nothing on the chain.').waitFor();
  expect(await mark.getByRole('button', { name: 'Mark confirmed' }).isDisabled()).toBe(true);
  await mark.getByLabel('Why (required)').fill('Paid in cash at the till');
  await mark.getByRole('button', { name: 'Mark confirmed' }).click();
  await page.getByTestId('detail-status').getByText('Confirmed').waitFor();
  await page.getByText('note: Paid in cash at the till').waitFor();
  await page.locator('.timeline li').first().waitFor();
  await shot(page, 'invoice-detail-cancelled');
});

test('addresses and settings screens', async () => {
  await page.getByRole('link', { name: 'Addresses' }).click();
  await expect.poll(() => page.getByTestId('first-addresses').locator('li').count()).toBe(10);
  await page.getByRole('cell', { name: 'in use' }).first().waitFor();
  await shot(page, 'addresses');
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Invoice defaults' }).waitFor();
  await page.getByRole('textbox', { name: 'Refund policy' }).fill('No refunds on coffee.');
  await page.locator('section.panel', { has: page.getByRole('heading', { name: 'Refund policy' }) }).getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').getByText('Refund policy saved').waitFor();
  await shot(page, 'settings');
  await page.getByRole('button', { name: 'Back up now' }).click();
  await page.getByText('keep it private').waitFor();
  expect(jsErrors(page)).toEqual([]);
});
