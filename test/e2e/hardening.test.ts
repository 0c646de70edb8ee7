/**
 * What the hardening shows the merchant in the console (docs/security.md): each delivery's stable notification id
 * and the headers each attempt sent, as stored (the HMAC withheld), the same on a resend; and the history Satdesk
 * keeps, with its pruning schedule, the last run and what it removed. Real demo: sandbox chain, watcher, sender,
 * loopback receiver; real Chromium.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type Demo } from '../../src/node/demo.ts';
import { dispatch } from '../../src/node/dispatch.ts';
import { jsErrors, launch, openConsole, shot } from './helpers.ts';

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

const headersOf = (text: string): Record<string, string> =>
  Object.fromEntries(text.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));

test('a delivery shows its notification id and what each attempt sent; a resend keeps the id', async () => {
  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { name: 'Notifications' }).waitFor();
  demo.receiver.failNext(1);
  const inv = (await dispatch(demo.app.service, 'createInvoice', { body: { amount_sats: 50_000, userdata: 'order-h1' }, headers: {} })) as { address: string };
  demo.sandbox.pay({ address: inv.address, sats: 50_000 });
  const row = page.locator('.delivery[data-state="SUCCESS"]').first();
  await row.waitFor();
  await row.getByRole('button').first().click();
  const ntf = (await row.getByTestId('notification-id').locator('.mono').textContent())!;
  expect(ntf).toMatch(/^ntf_[0-9a-f]{24}$/);
  const dlv = (await row.getAttribute('data-delivery'))!;
  // Two attempts (a 503, then a 200), each with its own stored headers; the last is open.
  await expect.poll(() => row.locator('details.sent-headers').count()).toBe(2);
  await row.locator('details.sent-headers summary').first().click();
  const sent = (await row.getByTestId('sent-headers').allTextContents()).map(headersOf);
  for (const h of sent) {
    expect(h['X-Satdesk-Notification']).toBe(ntf);
    expect(h['X-Satdesk-Delivery']).toBe(dlv);
    expect(h['X-Satdesk-Test']).toBe('0');
    expect(h['X-Satdesk-Signature']).toMatch(/^t=\d+,v2=withheld$/);
  }
  // What the receiver got carried the same delivery id both times.
  expect(demo.receiver.log.filter((c) => c.delivery === dlv).map((c) => c.answered)).toEqual([503, 200]);
  await shot(page, 'notifications-sent-headers');

  await row.getByRole('button', { name: 'Resend' }).click();
  await expect.poll(() => demo.receiver.log.length).toBe(3);
  const list = (await dispatch(demo.app.service, 'listDeliveries', { query: {}, headers: {} })) as { deliveries: { id: string; redelivery_of: string | null }[] };
  const resendId = list.deliveries.find((d) => d.redelivery_of === dlv)!.id;
  const resent = page.locator(`.delivery[data-delivery="${resendId}"][data-state="SUCCESS"]`);
  await resent.waitFor();
  await resent.getByRole('button').first().click();
  await resent.getByText(`Resend of ${dlv}`).waitFor();
  expect(await resent.getByTestId('notification-id').locator('.mono').textContent()).toBe(ntf);
  const again = headersOf((await resent.getByTestId('sent-headers').first().textContent())!);
  expect(again['X-Satdesk-Notification']).toBe(ntf);
  expect(again['X-Satdesk-Delivery']).toBe(resendId);
  expect(jsErrors(page)).toEqual([]);
});

test('the history kept and its pruning schedule are in Settings; the periods can be changed there', async () => {
  await page.getByRole('link', { name: 'Settings' }).click();
  const section = page.locator('section', { has: page.getByRole('heading', { name: 'History kept' }) });
  await section.waitFor();
  expect(await section.getByLabel('Event history').inputValue()).toBe('90');
  expect(await section.getByLabel('Delivery log').inputValue()).toBe('90');
  await expect.poll(() => section.getByTestId('maintenance').textContent()).toMatch(/Runs every 60 min · last run .* · next .* · idempotency keys kept 24 h/);
  await section.getByLabel('Event history').fill('0');
  await section.getByRole('button', { name: 'Save' }).click();
  await section.getByText('At least 1.').waitFor();
  expect(demo.app.service.settings.events_days).toBe(90);
  await section.getByLabel('Event history').fill('30');
  await section.getByLabel('Delivery log').fill('14');
  await section.getByRole('button', { name: 'Save' }).click();
  await expect.poll(() => demo.app.service.settings.events_days).toBe(30);
  expect(demo.app.service.settings.delivery_log_days).toBe(14);
  // The hourly run, 40 days on: the events and deliveries of this demo are past both periods. The console shows
  // what that run removed when the merchant comes back to Settings.
  // First the run a few seconds after start (a run asked for while one is going returns that one).
  await expect.poll(() => demo.app.maintenance.info().last_run_at, { timeout: 20_000 }).not.toBeNull();
  const report = await demo.app.maintenance.runNow(Date.now() + 40 * 86_400_000);
  expect(report.events).toBeGreaterThan(0);
  expect(report.deliveries).toBeGreaterThan(0);
  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect
    .poll(() => section.getByTestId('maintenance').textContent())
    .toContain(`(removed ${report.events} events, ${report.deliveries} deliveries, ${report.idempotency_keys} idempotency keys)`);
  await shot(page, 'settings-history-kept');
  expect(jsErrors(page)).toEqual([]);
});
