/**
 * The counter end to end (docs/counter.md), as a shop runs it: a cashier's phone and a customer display, each
 * paired with its own token from a one-time code; a sale typed in dollars with a 15 % tip, paid from the sandbox,
 * shown on the display, confirmed, the receipt printed to PDF and read back; then a second till whose display
 * follows only its own sales. Real `satdesk demo` (sandbox chain, watcher, API) and Debian's Chromium.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { extractText, getDocumentProxy } from 'unpdf';
import { startDemo, type Demo } from '../../src/node/demo.ts';
import { dispatch } from '../../src/node/dispatch.ts';
import type { Invoice } from '../../src/shared/contract.ts';
import { jsErrors, launch, pageWithToken, qrOnScreen, shot } from './helpers.ts';

let demo: Demo;
let browser: Browser;
let base: string;
const owner = <T = any>(name: Parameters<typeof dispatch>[1], raw: Parameters<typeof dispatch>[2] = {}): Promise<T> => dispatch(demo.app.service, name, raw) as Promise<T>;

beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo({ port: 0 }), launch()]);
  base = demo.app.api!.url;
  await owner('patchSettings', {
    body: {
      fiat: { currency: 'USD', rates: { USD: '65000.00' } },
      counter: {
        shop_name: 'Café Satoshi',
        tips: { enabled: true, presets_pct: [10, 15, 20] },
        quick_items: [
          { name: 'Espresso', price: '2.80' },
          { name: 'Cappuccino', price: '3.60' },
        ],
        // Long enough for the checks and screenshots of the paid screen on a loaded machine (3 s was not).
        paid_screen_s: 8,
      },
    },
  });
});
afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

/** A device paired the way a shop pairs one: the owner makes a code, the device opens the pairing link. */
async function pairDevice(role: 'cashier' | 'display', tillId: string, size: [number, number], name: string): Promise<Page> {
  const made = await owner<{ pairing: { code: string; path: string } }>('createToken', { body: { name, role, till_id: tillId } });
  const ctx = await browser.newContext({ viewport: { width: size[0], height: size[1] } });
  ctx.setDefaultTimeout(15_000);
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as Page & { jsErrors: string[] }).jsErrors = errors;
  await page.goto(`${base}${made.pairing.path}`);
  return page;
}

const current = async (id: string): Promise<Invoice> => owner<Invoice>('getInvoice', { params: { id } });

describe('a phone-sized till and a paired customer display', () => {
  let till: Page;
  let display: Page;
  let inv: Invoice;

  test('pairing: each device gets its own token and opens its own screen', async () => {
    [till, display] = await Promise.all([pairDevice('cashier', 'till1', [390, 844], 'Counter phone'), pairDevice('display', 'till1', [1024, 768], 'Front screen')]);
    await till.getByRole('heading', { name: 'New sale' }).waitFor();
    await display.locator('main.customer[data-state="idle"][data-till="till1"]').waitFor();
    await display.getByRole('heading', { name: 'Café Satoshi' }).waitFor();
    expect(await till.evaluate<string | null>("localStorage.getItem('satdesk.device-token')")).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // The cashier sees the selling screens only.
    expect(await till.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts()).toEqual(['Sell', 'Today']);
    await shot(till, 'counter-till-keypad-390x844');
    await shot(display, 'counter-display-idle-1024x768');
  });

  test('a sale typed in dollars: the fiat amount is the hero, Charge $12.50, then a 15 % tip before the QR', async () => {
    await till.getByLabel('Label').fill('Flat white');
    await till.getByTestId('amount-entry').click();
    await till.keyboard.type('12.50');
    expect(await till.getByTestId('amount-entry').inputValue()).toBe('$12.50');
    expect(await till.getByTestId('charge').textContent()).toBe('Charge $12.50');
    // Keys after the amount: Enter (tip step), 2 (15 %) → the QR.
    await till.keyboard.press('Enter');
    await till.getByTestId('tip-step').waitFor();
    await till.getByRole('button', { name: /15 %/ }).getByText('+$1.88').waitFor();
    await display.locator('main.customer[data-state="tip"]').waitFor();
    await display.getByText('15 % · +$1.88').waitFor();
    await shot(till, 'counter-till-tip-390x844');
    await shot(display, 'counter-display-tip-1024x768');
    await till.keyboard.press('2');
    await till.locator('.charge-view[data-status="unpaid"] img.qr').waitFor();
    expect(await till.getByRole('heading', { level: 1 }).textContent()).toBe('$14.38');
    await till.getByTestId('sub-amount').getByText('includes a tip of $1.88').waitFor();
    const id = (await till.locator('[data-invoice]').getAttribute('data-invoice'))!;
    inv = await current(id);
    expect(inv).toMatchObject({ fiat: { amount: '14.38', currency: 'USD' }, tip: { fiat: '1.88' }, label: 'Flat white', till_id: 'till1' });
    const qr = await qrOnScreen(till, '.charge-qr img.qr');
    expect(qr.inside).toBe(true);
    expect(qr.size).toBeGreaterThanOrEqual(240);
    await shot(till, 'counter-till-charge-390x844');
  });

  test('the display shows the sale: fiat first, BTC and sats, the label, a countdown, the refund policy, a QR', async () => {
    await display.locator(`main.customer[data-invoice="${inv.id}"][data-state="unpaid"]`).waitFor();
    expect(await display.getByTestId('customer-hero').textContent()).toBe('$14.38');
    expect(await display.getByTestId('customer-sub').textContent()).toBe(`${inv.amount_btc} BTC · ${inv.amount_sats.toLocaleString('en-US')} sats`);
    await display.getByText('Flat white').waitFor();
    await display.getByText('Includes a tip of $1.88').waitFor();
    await display.getByTestId('customer-countdown').getByText(/1[45]:\d\d/).waitFor();
    await display.getByText(/refunds within 14 days/).waitFor();
    expect(await display.locator('img.qr').getAttribute('data-bip21')).toBe(inv.bip21);
    const qr = await qrOnScreen(display, 'main.customer img.qr');
    expect(qr.inside).toBe(true);
    expect(qr.size).toBeGreaterThanOrEqual(240);
    await shot(display, 'counter-display-sale-1024x768');
  });

  test('paid from the sandbox: "waiting for confirmation", then "Paid and confirmed", in two different looks', async () => {
    demo.sandbox.pay({ address: inv.address, sats: inv.amount_sats });
    await till.locator('.charge-view[data-status="paid"]').waitFor();
    expect(await till.getByTestId('invoice-status').textContent()).toContain('Paid — waiting for confirmation');
    const pendingLook = await till.getByTestId('invoice-status').evaluate((el) => [el.className, (globalThis as any).getComputedStyle(el).backgroundColor]);
    await expect.poll(() => till.evaluate<string>("document.documentElement.dataset.lastTone ?? ''")).not.toBe('');
    await display.locator('main.customer[data-state="paid"]').waitFor();
    await display.getByRole('heading', { name: 'Paid — thank you!' }).waitFor();
    expect(await display.getByTestId('customer-paid-amount').textContent()).toBe('$14.38');
    await shot(till, 'counter-till-paid-390x844');
    await shot(display, 'counter-display-paid-1024x768');
    demo.sandbox.mine(1);
    await till.locator('.charge-view[data-status="confirmed"]').waitFor();
    expect(await till.getByTestId('invoice-status').textContent()).toContain('Paid and confirmed');
    const doneLook = await till.getByTestId('invoice-status').evaluate((el) => [el.className, (globalThis as any).getComputedStyle(el).backgroundColor]);
    expect(doneLook[0]).not.toBe(pendingLook[0]);
    expect(doneLook[1]).not.toBe(pendingLook[1]);
    await shot(till, 'counter-till-confirmed-390x844');
    // "Paid — thank you" stays up for paid_screen_s (8 s here), then the display is idle for the next customer.
    await display.locator('main.customer[data-state="idle"]').waitFor();
  });

  test('the receipt prints to a PDF that says what was sold, the tip, the total and the transaction', async () => {
    await till.getByRole('link', { name: 'Receipt' }).click();
    await till.getByTestId('receipt').waitFor();
    expect(await till.getByTestId('receipt-total').textContent()).toBe('$14.38');
    await shot(till, 'counter-receipt-390x844');
    const pdf = await till.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const { totalPages, text } = await extractText(await getDocumentProxy(new Uint8Array(pdf)), { mergePages: true });
    expect(totalPages).toBe(1);
    const txid = (await current(inv.id)).payments[0]!.txid;
    for (const s of ['Café Satoshi', inv.id, 'Flat white', 'Tip', '$1.88', 'Total', '$14.38', inv.amount_btc, 'Paid and confirmed', txid, 'refunds within 14 days']) {
      expect(text, s).toContain(s);
    }
    // Only the receipt is printed: no navigation, status bar or buttons.
    for (const s of ['Console connected', 'Print receipt', 'New sale']) expect(text).not.toContain(s);
  });

  test('a cashier cannot open owner screens', async () => {
    await till.goto(`${base}/#/settings`);
    await till.getByRole('heading', { name: 'Owner only' }).waitFor();
    await till.goto(`${base}/#/invoices`);
    await till.getByRole('heading', { name: 'Today\u2019s sales' }).waitFor();
    await till.locator('.inv-row', { hasText: 'Flat white' }).waitFor();
    expect(await till.getByRole('button', { name: 'Export CSV' }).count()).toBe(0);
    expect(jsErrors(till)).toEqual([]);
    expect(jsErrors(display)).toEqual([]);
  });

  test('two tills: each display follows its own till, and thanks only its own customer', async () => {
    const terrace = await owner<{ id: string }>('createTill', { body: { name: 'Terrace' } });
    const display2 = await pairDevice('display', terrace.id, [768, 1024], 'Terrace screen');
    await display2.locator(`main.customer[data-state="idle"][data-till="${terrace.id}"]`).waitFor();
    const desk = await pageWithToken(browser, demo.app.token, { width: 1280, height: 800 });
    await desk.goto(`${base}/#/sell`);
    await desk.getByLabel('Till').selectOption({ label: 'Terrace' });
    // The last test mined a block: a sale while the page still shows the chain catching up asks "Create anyway?"
    // first (Keypad's chain warning), which is right, but not what this test is about. Each page sells once synced.
    const synced = (p: Page): Promise<void> => p.locator('[data-testid="chain"][data-chain-ok="true"]').waitFor();
    await synced(desk);
    await desk.getByRole('radio', { name: 'sats' }).click();
    await desk.getByTestId('amount-entry').click();
    await desk.keyboard.type('5000');
    await desk.keyboard.press('Enter');
    await desk.getByTestId('tip-step').waitFor();
    await desk.keyboard.press('0');
    await desk.locator('.charge-view[data-status="unpaid"]').waitFor();
    const terraceInv = await current((await desk.locator('[data-invoice]').getAttribute('data-invoice'))!);
    expect(terraceInv.till_id).toBe(terrace.id);

    // Meanwhile the phone at till 1 sells a cappuccino from the quick items.
    await till.goto(`${base}/#/sell`);
    await till.getByRole('button', { name: /Cappuccino/ }).click();
    expect(await till.getByTestId('charge').textContent()).toBe('Charge $3.60');
    await synced(till);
    await till.getByTestId('charge').click();
    await till.getByRole('button', { name: /No tip/ }).click();
    await till.locator('.charge-view[data-status="unpaid"]').waitFor();
    const tillInv = await current((await till.locator('[data-invoice]').getAttribute('data-invoice'))!);

    await display2.locator(`main.customer[data-invoice="${terraceInv.id}"]`).waitFor();
    expect(await display2.getByTestId('customer-hero').textContent()).toBe('0.00005000 BTC');
    await display.locator(`main.customer[data-invoice="${tillInv.id}"]`).waitFor();
    expect(await display.getByTestId('customer-hero').textContent()).toBe('$3.60');
    await display.getByText('1× Cappuccino').waitFor();
    await shot(display2, 'counter-display2-sale-768x1024');

    demo.sandbox.pay({ address: terraceInv.address, sats: terraceInv.amount_sats });
    await display2.locator('main.customer[data-state="paid"]').waitFor();
    // Till 1's customer is still asked to pay their own sale.
    await desk.locator('.charge-view[data-status="paid"]').waitFor();
    expect(await display.locator('main.customer').getAttribute('data-state')).toBe('unpaid');
    expect(await display.locator('main.customer').getAttribute('data-invoice')).toBe(tillInv.id);
    await shot(display, 'counter-display-other-till-still-unpaid-1024x768');
    expect(jsErrors(display2)).toEqual([]);
    expect(jsErrors(desk)).toEqual([]);
  });
});
