/**
 * Every screen at every viewport (360×640 … 1920×1080) in both themes (docs/counter.md): a screenshot of each in
 * test-results/, no horizontal scroll, every payable QR fully on screen and at least 240 px — re-fitted as the
 * viewport changes under the same page, as a rotation does — and axe-core finding no critical or serious
 * violation. One demo, one browser, one page per theme.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type Demo } from '../../src/node/demo.ts';
import { dispatch } from '../../src/node/dispatch.ts';
import type { Invoice } from '../../src/shared/contract.ts';
import { waitFor } from '../helpers/wait.ts';
import { axeViolations, clippedAtEdge, horizontalOverflow, jsErrors, keypadTakes, launch, newPage, pageWithToken, qrOnScreen, shot, VIEWPORTS } from './helpers.ts';

let demo: Demo;
let browser: Browser;
let base: string;
const inv: Record<string, Invoice> = {};
let receiptKey = '';
const call = <T = any>(name: Parameters<typeof dispatch>[1], raw: Parameters<typeof dispatch>[2] = {}): Promise<T> => dispatch(demo.app.service, name, raw) as Promise<T>;

async function sale(name: string, body: object): Promise<Invoice> {
  const till = await call<{ id: string }>('createTill', { body: { name } });
  return (inv[name] = await call<Invoice>('createInvoice', { body: { ...body, till_id: till.id }, headers: {} }));
}

async function until(id: string, status: string): Promise<void> {
  await waitFor(() => call<Invoice>('getInvoice', { params: { id } }), (v) => v.status === status, `${id} ${status}`);
}

beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo({ port: 0 }), launch()]);
  base = demo.app.api!.url;
  await call('patchSettings', {
    body: { counter: { shop_name: 'Café Satoshi', tips: { enabled: true, presets_pct: [10, 15, 20] }, quick_items: [{ name: 'Espresso', price: '2.80' }] } },
  });
  await sale('unpaid', { amount_fiat: '12.50', tip_fiat: '1.25', label: 'Flat white' });
  await sale('partial', { amount_sats: 40_000, label: 'Mug' });
  await sale('paid', { amount_fiat: '8.00', items: [{ name: 'Espresso', qty: 2, price: '2.80' }, { name: 'Bun', qty: 1, price: '2.40' }] });
  await sale('confirmed', { amount_fiat: '3.60', label: 'Cappuccino' });
  await sale('cancelled', { amount_sats: 9000 });
  await sale('over', { amount_sats: 10_000, label: 'Tea' });
  await sale('dialog', { amount_sats: 7_000, label: 'Scone' });
  await call('createTill', { body: { name: 'cashier' } });
  const tip = await call<{ id: string }>('createTill', { body: { name: 'tip' } });
  await call('setTillSale', { params: { id: tip.id }, body: { invoice_id: null, prompt: { amount_sats: 19_231, amount_fiat: '12.50', currency: 'USD' } } });
  await call('createTill', { body: { name: 'idle' } });
  demo.sandbox.pay({ address: inv.confirmed!.address, sats: inv.confirmed!.amount_sats });
  await until(inv.confirmed!.id, 'paid');
  demo.sandbox.mine(1);
  // After the block: these stay in the mempool (partly paid; paid, waiting for a confirmation).
  demo.sandbox.pay({ address: inv.partial!.address, sats: 15_000 });
  demo.sandbox.pay({ address: inv.paid!.address, sats: inv.paid!.amount_sats });
  demo.sandbox.pay({ address: inv.over!.address, sats: 15_000 });
  await call('cancelInvoice', { params: { id: inv.cancelled!.id } });
  await Promise.all([until(inv.partial!.id, 'partial'), until(inv.confirmed!.id, 'confirmed'), until(inv.paid!.id, 'paid'), until(inv.over!.id, 'paid')]);
  receiptKey = (await call<{ key: string }>('createReceipt', { params: { id: inv.confirmed!.id } })).key;
});
afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

/** A modal's box fits the viewport: its buttons can be reached without scrolling the page sideways. */
async function dialogOnScreen(page: Page, dialog: ReturnType<Page['getByRole']>): Promise<boolean> {
  const box = await dialog.boundingBox();
  const vp = page.viewportSize()!;
  return Boolean(box) && box!.x >= 0 && box!.x + box!.width <= vp.width + 0.5;
}

const tillOf = (name: string): string => inv[name]?.till_id ?? (demo.app.service.db.prepare('SELECT id FROM tills WHERE name = ?').get(name) as { id: string }).id;

interface Screen {
  name: string;
  /** Where to go, and what shows the screen is ready. */
  open: (page: Page) => Promise<void>;
  /** The payable QR on this screen, if any. */
  qr?: string;
  /** Opened without a token (the paste-token screen, pairing, a customer's receipt link). */
  anonymous?: boolean;
  /** Opened on a cashier's paired phone instead of the owner's console. */
  cashier?: boolean;
  /** A modal dialog the screen opens: closed with Esc after the checks. */
  dialog?: string;
}

const go = (hash: string, ready: (p: Page) => Promise<unknown>) => async (p: Page) => {
  await p.goto(`${base}/${hash}`);
  await ready(p);
};

const SCREENS: Screen[] = [
  { name: 'token', anonymous: true, open: go('#/sell', (p) => p.getByText('Paste your API token').waitFor()) },
  { name: 'pair', anonymous: true, open: go('#/pair', (p) => p.getByRole('heading', { name: 'Pair this device' }).waitFor()) },
  { name: 'receipt-public', anonymous: true, open: async (p) => go(`#/r/${receiptKey}`, (q) => q.getByTestId('receipt').waitFor())(p) },
  { name: 'keypad', open: go('#/sell', (p) => p.getByRole('heading', { name: 'New sale' }).waitFor()) },
  {
    name: 'tip',
    open: async (p) => {
      await go('#/sell', (q) => keypadTakes(q, 'USD'))(p);
      await p.getByTestId('amount-entry').focus();
      await p.keyboard.type('12.50');
      await p.keyboard.press('Enter');
      await p.getByTestId('tip-step').waitFor();
    },
  },
  ...(['unpaid', 'partial', 'paid', 'confirmed', 'cancelled'] as const).map(
    (s): Screen => ({
      name: `charge-${s}`,
      qr: s === 'unpaid' || s === 'partial' ? '.charge-qr img.qr' : undefined,
      open: async (p) => go(`#/sell/${inv[s]!.id}`, (q) => q.locator(`.charge-view[data-status="${s}"]`).waitFor())(p),
    }),
  ),
  ...(['idle', 'tip', 'unpaid', 'partial', 'paid'] as const).map(
    (s): Screen => ({
      name: `customer-${s}`,
      qr: s === 'unpaid' || s === 'partial' ? 'main.customer img.qr' : undefined,
      open: async (p) => go(`#/customer/${tillOf(s)}`, (q) => q.locator(`main.customer[data-state="${s}"]`).waitFor())(p),
    }),
  ),
  { name: 'invoices', open: go('#/invoices', (p) => p.locator('.inv-row').first().waitFor()) },
  { name: 'invoice-detail', open: async (p) => go(`#/invoices/${inv.partial!.id}`, (q) => q.getByTestId('detail-status').waitFor())(p) },
  { name: 'notifications', open: go('#/notifications', (p) => p.getByRole('heading', { name: 'Notifications' }).waitFor()) },
  { name: 'addresses', open: go('#/addresses', (p) => p.getByTestId('first-addresses').waitFor()) },
  { name: 'settings', open: go('#/settings', (p) => p.getByRole('heading', { name: 'Devices' }).waitFor()) },
  { name: 'receipt', open: async (p) => go(`#/receipt/${inv.confirmed!.id}`, (q) => q.getByTestId('receipt').waitFor())(p) },
  { name: 'today', open: go('#/today', (p) => p.getByTestId('today-net').waitFor()) },
  // The confirmations and the refund form: each a modal over its screen.
  {
    name: 'dialog-cancel',
    dialog: 'Cancel this invoice?',
    open: async (p) => {
      await go(`#/sell/${inv.dialog!.id}`, (q) => q.locator('.charge-view[data-status="unpaid"]').waitFor())(p);
      await p.getByRole('button', { name: 'Cancel invoice' }).click();
    },
  },
  {
    name: 'dialog-mark',
    dialog: 'Mark confirmed?',
    open: async (p) => {
      await go(`#/invoices/${inv.cancelled!.id}`, (q) => q.getByTestId('detail-status').getByText('Cancelled').waitFor())(p);
      await p.getByRole('button', { name: 'Apply…' }).click();
    },
  },
  {
    name: 'dialog-refund',
    dialog: 'Refund',
    open: async (p) => {
      await go(`#/invoices/${inv.over!.id}`, (q) => q.getByTestId('refund-step').waitFor())(p);
      await p.getByTestId('refund-step').getByRole('button', { name: 'Refund…' }).click();
    },
  },
  // What a cashier's phone shows: the keypad, today's sales and the day's figures, and the owner's screens refused.
  { name: 'cashier-keypad', cashier: true, open: go('#/sell', (p) => p.getByRole('heading', { name: 'New sale' }).waitFor()) },
  { name: 'cashier-sales', cashier: true, open: go('#/invoices', (p) => p.locator('.inv-row').first().waitFor()) },
  { name: 'cashier-today', cashier: true, open: go('#/today', (p) => p.getByTestId('today-net').waitFor()) },
  { name: 'cashier-owner-only', cashier: true, open: go('#/settings', (p) => p.getByRole('heading', { name: 'Owner only' }).waitFor()) },
];

/** A cashier's token for one till, paired the way a phone pairs (a one-time code). */
async function cashierToken(name: string): Promise<string> {
  const made = await call<{ pairing: { code: string } }>('createToken', { body: { name, role: 'cashier', till_id: tillOf('cashier') } });
  return (await call<{ token: string }>('pair', { body: { code: made.pairing.code } })).token;
}

describe.each([
  ['light', false],
  ['dark', true],
])('%s theme', (theme, dark) => {
  let owner: Page;
  let anon: Page;
  let cashier: Page;
  beforeAll(async () => {
    owner = await pageWithToken(browser, demo.app.token, { dark, width: 1280, height: 800 });
    anon = await newPage(browser, { dark, width: 1280, height: 800 });
    cashier = await pageWithToken(browser, await cashierToken(`Counter phone (${theme})`), { dark, width: 1280, height: 800, device: true });
  });

  test.each(SCREENS.map((s) => [s.name, s] as const))('%s', async (_name, screen) => {
    const page = screen.anonymous ? anon : screen.cashier ? cashier : owner;
    await page.setViewportSize({ width: 1280, height: 800 });
    await screen.open(page);
    const dialog = screen.dialog ? page.getByRole('dialog', { name: screen.dialog }) : null;
    await dialog?.waitFor();
    const found = await axeViolations(page);
    expect(found, `${screen.name} (${theme}, 1280×800)`).toEqual([]);
    // Layout does not depend on the theme: the dark theme is checked at a phone and a laptop size.
    for (const [width, height] of dark ? VIEWPORTS.filter(([w]) => w === 390 || w === 1280) : VIEWPORTS) {
      await page.setViewportSize({ width, height });
      // One frame for the layout to follow the new size (the QR is sized by CSS alone).
      await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
      await shot(page, `screen-${screen.name}-${theme}-${width}x${height}`);
      expect(await horizontalOverflow(page), `${screen.name} at ${width}×${height}`).toEqual([]);
      expect(await clippedAtEdge(page), `${screen.name}: cut off at ${width}×${height}`).toEqual([]);
      if (screen.qr) {
        const qr = await qrOnScreen(page, screen.qr);
        expect(qr.inside, `${screen.name}: QR on screen at ${width}×${height}`).toBe(true);
        expect(qr.size, `${screen.name}: QR size at ${width}×${height}`).toBeGreaterThanOrEqual(240);
      }
      if (width === 390 && !dark) expect(await axeViolations(page), `${screen.name} (${theme}, 390×844)`).toEqual([]);
      if (dialog) expect(await dialogOnScreen(page, dialog), `${screen.name}: dialog on screen at ${width}×${height}`).toBe(true);
    }
    if (dialog) {
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
    }
    expect(jsErrors(page)).toEqual([]);
  });
});
