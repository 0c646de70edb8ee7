/**
 * docs/trust.md in the console (real Chromium): a refused chain and a plaintext mainnet server are banners on every
 * screen, and choosing to accept unconfirmed payments shows the risk before it is saved.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import fx from '../fixtures/chain-headers.json' with { type: 'json' };
import { checkpointFor } from '../../src/core/chain/checkpoints.ts';
import { startTestApp } from '../helpers/api.ts';
import { startHostileElectrum, type HostileServer } from '../helpers/hostile-electrum.ts';
import { waitFor } from '../helpers/wait.ts';
import type { App } from '../../src/node/app.ts';
import { jsErrors, launch, newPage, shot } from './helpers.ts';

let app: App;
let browser: Browser;
let liar: HostileServer;

beforeAll(async () => {
  // A server with the real mainnet genesis and block 1 only, and a plaintext server on a network path.
  const chain = [fx.hostile.mainnetGenesis, fx.hostile.mainnetBlock1];
  liar = await startHostileElectrum({ genesis: checkpointFor('mainnet').genesis, headerAt: (h) => chain[h] ?? null, tip: () => 1 });
  [{ app }, browser] = await Promise.all([
    startTestApp({ network: 'mainnet', electrum: [liar.url, 'tcp://192.0.2.1:50001'], watcher: { connection: { connectTimeoutMs: 2000 } } }),
    launch(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await liar?.close();
});

test('a refused chain and a plaintext server are banners; accepting 0-conf shows the risk', async () => {
  await waitFor(() => app.service.sysinfo().chain.headers?.state, (s) => s === 'refused', 'the short chain refused');
  const page = await newPage(browser);
  await page.goto(app.api!.url + '/');
  await page.getByLabel('API token').fill(app.token);
  await page.getByRole('button', { name: 'Open console' }).click();
  await page.getByTestId('chain-refused').getByText('below the checkpoint at 953567').waitFor();
  await page.getByTestId('transport-warning').getByText('tcp://192.0.2.1:50001').waitFor();
  await shot(page, 'trust-banners');
  await page.goto(app.api!.url + '/#/settings');
  await page.getByTestId('chain-refused').waitFor();
  expect(await page.getByTestId('zero-conf-risk').count()).toBe(0);
  await page.getByLabel('Unconfirmed payments').selectOption('accept');
  await page.getByTestId('zero-conf-risk').getByText('An unconfirmed payment is a promise').waitFor();
  await shot(page, 'trust-zero-conf-risk');
  expect(jsErrors(page)).toEqual([]);
});
