/**
 * Live rates in the console (real Chromium): with three local sources answering, the Sell keypad opens in the shop's
 * currency (EUR) with the live rate shown, a sale typed in EUR becomes an invoice at the sources' median, and the
 * status bar shows the rate, its sources and its age; when every source stops answering and the rate goes stale the
 * status bar says so and the keypad refuses the sale with the server's reason; Settings shows each source's last
 * answer or error and the privacy note.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestApp } from '../helpers/api.ts';
import { manualClock, startThreeSources, type ThreeSources } from '../helpers/rate-sources.ts';
import type { App } from '../../src/node/app.ts';
import { dispatch } from '../../src/node/dispatch.ts';
import { demoVpub } from '../../src/node/demo.ts';
import { fiatToSats } from '../../src/core/money.ts';
import { axeBothThemes, jsErrors, launch, openConsole, shot } from './helpers.ts';

const MIN = 60_000;
const clock = manualClock();
let app: App;
let browser: Browser;
let page: Page;
let sources: ThreeSources;
const answer = (k: string | null, b: string | null, c: string | null): void => sources.answer(k, b, c);

beforeAll(async () => {
  [sources, browser] = await Promise.all([startThreeSources(), launch()]);
  answer('40000', '40100', '40200');
  ({ app } = await startTestApp({ clock, rates: { baseUrls: sources.baseUrls } }));
  await dispatch(app.service, 'putWallet', { body: { xpub: demoVpub() } });
  await dispatch(app.service, 'patchSettings', { body: { fiat: { currency: 'EUR' }, rates: { sources: ['kraken', 'bitstamp', 'coinbase'], refresh_s: 3600 } } });
  await app.service.liveRates.refresh();
  page = await openConsole(browser, app.consoleUrl!);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await sources?.close();
});

test('the keypad opens in EUR with the live rate, and the status bar shows rate, sources and age', async () => {
  await page.getByRole('radio', { name: 'EUR' }).and(page.locator('[aria-checked="true"]')).waitFor();
  const status = page.getByTestId('rate-status');
  await expect.poll(() => status.textContent()).toMatch(/^1 BTC = 40,100\.00 EUR · 3 sources · \d+ s$/);
  expect(await status.getAttribute('data-ok')).toBe('true');
  // The age ticks in the browser between reads of the server.
  const age = async (): Promise<number> => Number((await page.getByTestId('rate-age').textContent())!.replace(/ s$/, ''));
  const first = await age();
  await expect.poll(age, { timeout: 5000 }).toBeGreaterThan(first);
  await shot(page, 'rates-keypad-eur');
});

test('a sale typed in EUR on the keypad is invoiced at the median, locked with its sources', async () => {
  await page.getByTestId('amount-entry').focus();
  await page.keyboard.type('12.50');
  await expect.poll(() => page.getByTestId('amount-entry').inputValue()).toBe('€12.50');
  const sats = fiatToSats('12.50', '40100');
  await expect.poll(() => page.locator('.amount-secondary').textContent()).toContain(`${sats.toLocaleString('en-US')} sats`);
  expect(await page.getByTestId('charge').textContent()).toBe('Charge €12.50');
  await page.keyboard.press('Enter');
  // No Electrum server in this test: the console asks before making an invoice nobody watches.
  await page.getByRole('button', { name: 'Create anyway' }).click();
  await page.locator('[data-status="unpaid"]').waitFor();
  const id = (await page.locator('[data-invoice]').first().getAttribute('data-invoice'))!;
  const inv = (await dispatch(app.service, 'getInvoice', { params: { id } })) as { amount_sats: number; fiat: Record<string, unknown> };
  expect(inv.amount_sats).toBe(sats);
  expect(inv.fiat).toMatchObject({ amount: '12.50', currency: 'EUR', rate: '40100', rate_kind: 'live', rate_sources: ['kraken', 'bitstamp', 'coinbase'] });
  await page.getByText('€12.50').first().waitFor();
  await shot(page, 'rates-invoice-eur');
});

test('a stale rate: the status bar says so and the keypad refuses with the reason', async () => {
  answer(null, null, null);
  clock.t += 11 * MIN;
  await app.service.liveRates.refresh();
  await page.getByRole('button', { name: 'New sale' }).click();
  const status = page.getByTestId('rate-status');
  await expect.poll(() => status.getAttribute('data-ok'), { timeout: 20_000 }).toBe('false');
  expect(await status.textContent()).toMatch(/^No EUR rate \(11 min( \d+ s)? old\)$/);
  // Without a usable rate the keypad opens in sats again; a sale typed in EUR says why it cannot be priced.
  await page.getByRole('radio', { name: 'sats' }).and(page.locator('[aria-checked="true"]')).waitFor();
  await page.getByRole('radio', { name: 'EUR' }).click();
  await page.getByRole('button', { name: '5' }).click();
  await expect.poll(() => page.getByTestId('amount-error').textContent()).toMatch(/^The last EUR rate is 11 min old: every EUR quote is older than the 10 min limit/);
  await shot(page, 'rates-stale');
  expect(await axeBothThemes(page)).toEqual([]);
});

test('Settings shows each source\'s last answer or error, and the privacy note', async () => {
  await page.getByRole('link', { name: 'Settings' }).click();
  const panel = page.getByTestId('rates-settings');
  await panel.waitFor();
  await expect.poll(() => page.getByTestId('source-kraken').textContent()).toContain('HTTP 503: maintenance');
  expect(await page.getByTestId('rates-privacy').textContent()).toMatch(/directly from this computer/);
  answer('40500', null, null);
  await panel.getByRole('button', { name: 'Refresh now' }).click();
  await expect.poll(() => page.getByTestId('rate-now').textContent()).toMatch(/1 BTC = 40,500\.00 EUR median of Kraken/);
  await expect.poll(() => page.getByTestId('source-kraken').textContent()).toMatch(/^40,500\.00/);
  await shot(page, 'rates-settings');
  expect(jsErrors(page)).toEqual([]);
});
