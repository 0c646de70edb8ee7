/** docs/spec/api.md#the-console: without a token the browser console asks for one; a wrong one is refused; a right one opens it. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp } from '../helpers/api.ts';
import type { App } from '../../src/node/app.ts';
import { jsErrors, launch, newPage, shot } from './helpers.ts';

let app: App;
let browser: Browser;

beforeAll(async () => {
  [{ app }, browser] = await Promise.all([startTestApp(), launch()]);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

test('the paste-token screen', async () => {
  const page = await newPage(browser, { dark: true });
  await page.goto(app.api!.url + '/');
  await page.getByText('Paste your API token').waitFor();
  await shot(page, 'token-screen-dark');
  await page.getByLabel('API token').fill('not-the-token');
  await page.getByRole('button', { name: 'Open console' }).click();
  await page.getByRole('alert').getByText('not accepted').waitFor();
  expect(await page.evaluate<string | null>("sessionStorage.getItem('satdesk.token')")).toBeNull();
  await page.getByLabel('API token').fill(app.token);
  await page.getByRole('button', { name: 'Open console' }).click();
  await page.getByRole('heading', { name: 'New sale' }).waitFor();
  // A fresh data dir: the console says what to do first.
  await page.getByText('Add addresses or an xpub to start selling').waitFor();
  await shot(page, 'sell-empty-dark');
  // The token survives a reload of the tab (sessionStorage), and never sits in the address bar.
  await page.reload();
  await page.getByRole('heading', { name: 'New sale' }).waitFor();
  expect(page.url()).not.toContain('token');
  expect(jsErrors(page)).toEqual([]);
});
