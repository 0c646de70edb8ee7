/**
 * docs/trust.md "Old payments never pay new orders" in the console (real Chromium, the sandbox chain): the merchant
 * sets up an xpub whose first address their wallet already paid; the Addresses screen says so, and the wallet
 * continues past it.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { parseWalletSource } from '../../src/core/wallet/source.ts';
import { dispatch } from '../../src/node/dispatch.ts';
import { startTestApp } from '../helpers/api.ts';
import { freshTpub } from '../helpers/keys.ts';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import type { App } from '../../src/node/app.ts';
import { jsErrors, launch, pageWithToken, shot } from './helpers.ts';

let sandbox: TestSandbox;
let app: App;
let browser: Browser;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  [{ app }, browser] = await Promise.all([startTestApp({ electrum: [sandbox.sb.electrumTcpUrl] }), launch()]);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await sandbox?.close();
});

test('an xpub whose first address was already paid: the Addresses screen warns and the wallet starts past it', async () => {
  const tpub = freshTpub();
  await sandbox.control('POST', '/pay', { address: parseWalletSource(tpub, 'regtest').addressAt(0).address, sats: 25_000 });
  await sandbox.control('POST', '/mine', { blocks: 1 });
  await app.watcher!.waitSynced(15_000);
  const page = await pageWithToken(browser, app.token, { width: 1280, height: 800 });
  await page.goto(`${app.api!.url}/#/addresses`);
  await page.getByRole('heading', { name: 'Addresses', exact: true }).waitFor();
  await page.locator('[data-testid="live"][data-live="true"]').waitFor(); // the event stream is open
  await dispatch(app.service, 'putWallet', { body: { xpub: tpub } });
  await page.getByTestId('history-found').getByText(/first addresses of this wallet already have history/).waitFor();
  await page.getByText(/next index 1 /).waitFor();
  await shot(page, 'trust-history-found');
  expect(jsErrors(page)).toEqual([]);
});
