/**
 * The delivery log after a receiver that fails once and then answers: the console shows the delivery SUCCESS
 * with both attempts (HTTP status, latency, response excerpt) and the signed request body; resend and the test
 * callback reach the receiver. Real demo: sandbox chain, watcher, sender, loopback receiver.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type Demo } from '../../src/node/demo.ts';
import { dispatch } from '../../src/node/dispatch.ts';
import { axeBothThemes, jsErrors, launch, openConsole, shot } from './helpers.ts';

let demo: Demo;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo({ port: 0, agentDelays: [1, 1] }), launch()]);
  page = await openConsole(browser, demo.consoleUrl);
});
afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

test('a failing-then-succeeding receiver: one delivery, SUCCESS after a 503 and a 200', async () => {
  expect(demo.agentId).not.toBeNull();
  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { name: 'Notifications' }).waitFor();
  demo.receiver.failNext(1);
  const inv = (await dispatch(demo.app.service, 'createInvoice', { body: { amount_sats: 120_000, userdata: 'order-1001' }, headers: {} })) as {
    address: string;
  };
  demo.sandbox.pay({ address: inv.address, sats: 120_000 });
  const row = page.locator('.delivery[data-state="SUCCESS"]').first();
  await row.waitFor();
  await row.getByRole('button').first().click();
  await expect.poll(() => row.getByTestId('attempt-status').allTextContents()).toEqual(['503', '200']);
  await row.getByText('failing on purpose').waitFor();
  await row.getByText('"userdata": "order-1001"').waitFor();
  expect(demo.receiver.log.map((c) => c.answered)).toEqual([503, 200]);
  // The demo shows what the receiver itself got, beside Satdesk's log.
  await expect.poll(() => page.locator('.demo-receiver tbody tr').count()).toBe(2);
  await shot(page, 'notifications');

  await row.getByRole('button', { name: 'Resend' }).click();
  await expect.poll(() => demo.receiver.log.length).toBe(3);
  await page.getByRole('button', { name: 'Test demo-shop' }).click();
  await expect.poll(() => demo.receiver.log.filter((c) => c.test).length).toBe(1);
  await expect.poll(() => page.locator('.delivery[data-state="SUCCESS"]').count()).toBeGreaterThanOrEqual(3);
  await shot(page, 'notifications-after-resend');
  expect(jsErrors(page)).toEqual([]);
});

test('the agents panel in settings', async () => {
  await page.getByRole('link', { name: 'Settings' }).click();
  const agent = page.locator('.agent[data-agent="demo-shop"]');
  await agent.waitFor();
  await agent.getByRole('button', { name: 'Rotate token' }).click();
  await page.getByRole('dialog', { name: 'Rotate the token of demo-shop?' }).getByRole('button', { name: 'Rotate token' }).click();
  await agent.getByText('shown once').waitFor();
  await agent.getByRole('button', { name: 'Copy token' }).waitFor();
  await agent.getByRole('button', { name: 'Edit' }).click();
  await agent.getByLabel('Thresholds').fill('0, 2, 6');
  await agent.getByRole('button', { name: 'Save agent' }).click();
  await agent.getByText('thresholds 0, 2, 6').waitFor();
  await shot(page, 'settings-agents');
});

test('deleting an agent asks first: "Keep it" changes nothing, "Delete agent" removes it', async () => {
  const agents = async () => ((await dispatch(demo.app.service, 'listAgents', {})) as { agents: { name: string }[] }).agents.map((a) => a.name);
  const agent = page.locator('.agent[data-agent="demo-shop"]');
  await agent.getByRole('button', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete the agent demo-shop?' });
  await dialog.waitFor();
  expect(await axeBothThemes(page)).toEqual([]);
  await shot(page, 'settings-agent-delete-confirm');
  await dialog.getByRole('button', { name: 'Keep it' }).click();
  await dialog.waitFor({ state: 'hidden' });
  expect(await agents()).toContain('demo-shop');
  await agent.getByRole('button', { name: 'Delete' }).click();
  await dialog.getByRole('button', { name: 'Delete agent' }).click();
  await agent.waitFor({ state: 'detached' });
  expect(await agents()).not.toContain('demo-shop');
  expect(jsErrors(page)).toEqual([]);
});
