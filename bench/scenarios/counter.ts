/**
 * counter: the charge view on a phone (390×844) with the CPU slowed 4× (Chromium's Emulation.setCPUThrottlingRate,
 * a mid-range phone), against `satdesk demo` (sandbox chain, so no "not connected" confirmation). Figures: from
 * Enter on the keypad to the QR decoded and painted (the seller's wait; target ≤ 1 s), and from opening the charge
 * view's link in a fresh tab to its QR painted (bundle, token check, invoice, QR).
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startDemo } from '../../src/node/demo.ts';
import { rendererIsStale } from '../../test/e2e/build-renderer.ts';
import { result, type ScenarioResult } from '../lib.ts';

const WORK = path.resolve('bench/.work/counter');
const RUNS = 7;
const THROTTLE = 4;

/** In the page: resolves with ms from `start` until an img.qr in the charge view is decoded and a frame painted. */
const QR_PAINTED = `(start) => new Promise((resolve, reject) => {
  const done = (img) => img.decode().then(() => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - start))), reject);
  const find = () => document.querySelector('.charge-view .charge-qr img.qr');
  const now = find();
  if (now) return done(now);
  const mo = new MutationObserver(() => {
    const img = find();
    if (img) {
      mo.disconnect();
      done(img);
    }
  });
  mo.observe(document.body, { childList: true, subtree: true });
})`;

/** A run that never shows its QR fails the scenario instead of hanging the whole bench. */
function within<T>(p: Promise<T>, what: string, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no QR within ${ms / 1000} s`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export const scenario = {
  name: 'counter',
  async run(): Promise<ScenarioResult[]> {
    if (rendererIsStale()) {
      const { buildRenderer } = await import('../../test/e2e/build-renderer.ts');
      await buildRenderer();
    }
    fs.rmSync(WORK, { recursive: true, force: true });
    const demo = await startDemo({ port: 0, dataDir: WORK });
    const browser = await chromium.launch({
      executablePath: process.env.SATDESK_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
    });
    const enterToQr: number[] = [];
    const openToQr: number[] = [];
    const base = demo.app.api!.url;
    try {
      for (let run = 0; run < RUNS; run++) {
        const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
        await ctx.addInitScript(`sessionStorage.setItem('satdesk.token', ${JSON.stringify(demo.app.token)}); sessionStorage.setItem('satdesk.unit', 'sats');`);
        const page = await ctx.newPage();
        const cdp = await ctx.newCDPSession(page);
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
        await page.goto(`${base}/#/sell`);
        await page.locator('[data-testid="chain"][data-chain-ok="true"]').waitFor({ timeout: 30_000 });
        await page.getByTestId('amount-entry').focus();
        await page.keyboard.type(String(10_000 + run));
        // The clock starts in the page, in the keydown that charges: what the seller waits for after Enter. (The
        // expression ends in 0: evaluate would otherwise wait for the promise, which only Enter settles.)
        await page.evaluate(`window.__qr = new Promise((resolve, reject) => {
          addEventListener('keydown', (e) => { if (e.key === 'Enter') (${QR_PAINTED})(performance.now()).then(resolve, reject); }, { capture: true, once: true });
        }); 0`);
        await page.keyboard.press('Enter');
        enterToQr.push(await within(page.evaluate<number>('window.__qr'), 'Enter → QR'));
        const id = await page.locator('[data-invoice]').getAttribute('data-invoice');

        const fresh = await ctx.newPage();
        const cdp2 = await ctx.newCDPSession(fresh);
        await cdp2.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
        await fresh.goto(`${base}/#/sell/${id}`, { waitUntil: 'commit' });
        openToQr.push(await within(fresh.evaluate<number>(`(${QR_PAINTED})(0)`), 'link → QR'));
        await ctx.close();
      }
    } finally {
      await browser.close();
      await demo.close();
    }
    const note = `390×844, deviceScaleFactor 2, CPU ${THROTTLE}× slower; ${RUNS} runs against satdesk demo (sandbox chain)`;
    return [
      result('counter', 'charge view: Enter → QR painted, phone, CPU 4×', 'ms', enterToQr, 1000, 'le', note),
      result('counter', 'charge view link opened → QR painted, phone, CPU 4×', 'ms', openToQr, 2000, 'le', `${note}; from navigation start (bundle, token check, invoice, QR)`),
    ];
  },
};
