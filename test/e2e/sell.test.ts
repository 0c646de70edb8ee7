/**
 * The in-person sale end to end: keypad → invoice with QR → the customer pays part, then the rest, through the
 * sandbox chain → "Paid" → a block → "Confirmed"; the customer display follows. Real Chromium, real `satdesk demo`
 * (sandbox + watcher + API) in this process.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type Demo } from '../../src/node/demo.ts';
import { jsErrors, launch, newPage, shot } from './helpers.ts';

let demo: Demo;
let browser: Browser;

beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo({ port: 0 }), launch()]);
});
afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

describe('sell flow', () => {
  let page: Page;
  let customer: Page;

  test('the console takes the token from the address bar and removes it', async () => {
    page = await newPage(browser);
    await page.goto(demo.consoleUrl);
    await page.getByRole('heading', { name: 'New sale' }).waitFor();
    expect(page.url()).not.toContain('token=');
    expect(await page.evaluate<string | null>("sessionStorage.getItem('satdesk.token')")).toBe(demo.app.token);
    await page.getByTestId('live').and(page.locator('[data-live="true"]')).waitFor();
    await page.locator('[data-testid="tip"]', { hasText: /Tip \d/ }).waitFor();
    await shot(page, 'sell-keypad');
  });

  test('typed digits and Enter create an invoice with a BIP21 QR', async () => {
    await page.getByLabel('Label').fill('2 coffees');
    await page.getByRole('radio', { name: 'sats' }).click();
    await page.evaluate('document.activeElement?.blur()');
    await page.keyboard.type('50000');
    await expect.poll(() => page.getByTestId('amount-entry').inputValue()).toBe('50,000 sats');
    expect(await page.getByTestId('charge').textContent()).toBe('Charge 50,000 sats');
    await page.keyboard.press('Enter');
    await page.locator('[data-status="unpaid"]').waitFor();
    const qr = page.locator('.charge-qr img.qr');
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;/);
    expect(await qr.getAttribute('data-bip21')).toMatch(/^bitcoin:bcrt1q[a-z0-9]+\?amount=0\.0005/);
    await page.getByText('Expires in').waitFor();
    await page.getByText('2 coffees').waitFor();
    await shot(page, 'sell-invoice');
  });

  test('the customer display mirrors the QR in a new tab', async () => {
    const popup = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Customer display' }).click();
    customer = await popup;
    await customer.setViewportSize({ width: 900, height: 700 });
    const id = await page.locator('[data-invoice]').first().getAttribute('data-invoice');
    await customer.locator(`main.customer[data-invoice="${id}"][data-state="unpaid"]`).waitFor();
    await customer.getByTestId('customer-hero').getByText('0.00050000 BTC').waitFor();
    await customer.locator('img.qr').waitFor();
    await shot(customer, 'customer-unpaid');
  });

  test('a partial payment shows received and missing', async () => {
    await page.getByRole('button', { name: 'Simulate: pay part' }).click();
    await page.locator('[data-status="partial"]').waitFor();
    await expect.poll(() => page.getByTestId('received').textContent()).toBe('25,000 sats');
    expect(await page.getByTestId('missing').textContent()).toContain('25,000 sats');
    await customer.locator('main.customer[data-state="partial"]').waitFor();
    await customer.getByText('please send the remaining').waitFor();
    // The remainder is the hero, and the QR asks for it.
    await customer.getByTestId('customer-hero').getByText('0.00025000 BTC left to pay').waitFor();
    expect(await customer.locator('img.qr').getAttribute('data-bip21')).toMatch(/amount=0\.00025(&|$)/);
    await shot(page, 'sell-partial');
  });

  test('paying the rest flips to Paid, then a block to Confirmed', async () => {
    await page.getByRole('button', { name: 'Simulate: pay the rest' }).click();
    await page.locator('[data-status="paid"]').waitFor();
    await page.getByTestId('invoice-status').getByText('Paid — waiting for confirmation').waitFor();
    // The chime played (WebAudio; headless has no speakers but the call is recorded).
    await expect.poll(() => page.evaluate<string>("document.documentElement.dataset.lastTone ?? ''")).not.toBe('');
    await customer.locator('main.customer[data-state="paid"]').waitFor();
    await customer.getByRole('heading', { name: 'Paid — thank you!' }).waitFor();
    await shot(page, 'sell-paid');
    await shot(customer, 'customer-paid');
    await page.getByRole('button', { name: 'Mine a block' }).click();
    await page.locator('[data-status="confirmed"]').waitFor();
    await page.getByTestId('invoice-status').getByText('Paid and confirmed').waitFor();
    await shot(page, 'sell-confirmed');
  });

  test('the invoice detail shows both payments and the timeline', async () => {
    await page.getByRole('link', { name: 'Details' }).click();
    await page.getByTestId('detail-status').getByText('Confirmed').waitFor();
    await expect.poll(() => page.getByTestId('payment-confirmations').count()).toBe(2);
    await page.locator('.timeline li').first().waitFor();
    await shot(page, 'invoice-detail');
    expect(jsErrors(page)).toEqual([]);
    expect(jsErrors(customer)).toEqual([]);
  });
});
