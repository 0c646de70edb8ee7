/** Shared bits of the Playwright tests: Debian's Chromium through playwright-core, screenshots under test-results/. */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SATDESK_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = path.resolve(import.meta.dirname, '../../test-results');

/** Chromium must be installed (.ci/install-system-packages.sh); a missing browser fails loudly, never skips silently. */
export function assertChromium(): void {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run .ci/install-system-packages.sh (apt-get install -y chromium)`);
}

export async function launch(): Promise<Browser> {
  assertChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

export async function newPage(browser: Browser, opts: { dark?: boolean; width?: number; height?: number } = {}): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 820 }, colorScheme: opts.dark ? 'dark' : 'light' });
  // Fail fast: every wait is on a DOM state the app reaches within seconds.
  ctx.setDefaultTimeout(15_000);
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as Page & { jsErrors: string[] }).jsErrors = errors;
  return page;
}

/** A new page on the console at `url` (the one-time login link), once its Sell screen is up. */
export async function openConsole(browser: Browser, url: string): Promise<Page> {
  const page = await newPage(browser);
  await page.goto(url);
  await page.getByRole('heading', { name: 'New sale' }).waitFor();
  return page;
}

/**
 * Waits until the keypad takes amounts in `unit` (its label says "Amount in USD"). It re-reads the counter settings
 * as it opens and takes sats until it knows the shop's rate: "12.50" typed before then would be 1,250 sats.
 */
export async function keypadTakes(page: Page, unit: string): Promise<void> {
  await page.getByLabel(`Amount in ${unit}`, { exact: true }).waitFor();
}

export const jsErrors = (page: Page): string[] => (page as Page & { jsErrors?: string[] }).jsErrors ?? [];

export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** The viewports the counter must work at (docs/counter.md): phones, a tablet both ways, laptops, a big screen. */
export const VIEWPORTS = [
  [360, 640],
  [390, 844],
  [768, 1024],
  [1024, 768],
  [1280, 800],
  [1920, 1080],
] as const;

/** A page signed in as the owner (the token in sessionStorage, as the console keeps it) or a paired device. */
export async function pageWithToken(
  browser: Browser,
  token: string,
  opts: { dark?: boolean; width?: number; height?: number; device?: boolean; bypassCSP?: boolean } = {},
): Promise<Page> {
  const ctx = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
    colorScheme: opts.dark ? 'dark' : 'light',
  });
  ctx.setDefaultTimeout(15_000);
  await ctx.addInitScript(
    ([t, device]) => {
      const g = globalThis as any;
      if (device) g.localStorage.setItem('satdesk.device-token', t);
      else g.sessionStorage.setItem('satdesk.token', t);
    },
    [token, Boolean(opts.device)],
  );
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as Page & { jsErrors: string[] }).jsErrors = errors;
  return page;
}

const AXE_SOURCE = fs.readFileSync(path.resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js'), 'utf8');

export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

/**
 * axe-core on the page as it is now: the critical and serious violations (none is the bar). Injected through the
 * DevTools protocol, which the console's CSP does not govern.
 */
export async function axeViolations(page: Page): Promise<AxeFinding[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  return page.evaluate<AxeFinding[]>(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' :: ' + (n.failureSummary || '').slice(0, 200)) })))`);
}

/**
 * axe-core in the light and then the dark theme (prefers-color-scheme emulated on the same page, so a state reached
 * by clicking is checked in both), each finding tagged with its theme; the page is left in the light theme.
 */
export async function axeBothThemes(page: Page): Promise<(AxeFinding & { theme: string })[]> {
  const out: (AxeFinding & { theme: string })[] = [];
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    for (const f of await axeViolations(page)) out.push({ ...f, theme });
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return out;
}

/** Widths that overflow their box (a horizontal scrollbar): the document, and the console's scrolling panes. */
export function horizontalOverflow(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`[document.documentElement, document.body, ...document.querySelectorAll('.content, main.customer, .receipt-screen')]
    .filter((el) => el.scrollWidth > el.clientWidth + 1)
    .map((el) => (el.className || el.tagName) + ': ' + el.scrollWidth + ' > ' + el.clientWidth)`);
}

/**
 * What is cut off at the right edge: a navigation link or a status bar item that does not end inside the viewport
 * (the navigation scrolls sideways and the status bar hides its overflow, so neither shows up as a scrollbar).
 */
export function clippedAtEdge(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`[...document.querySelectorAll('.nav a, .statusbar > *')]
    .filter((el) => el.getClientRects().length > 0)
    .filter((el) => el.getBoundingClientRect().right > Math.min(innerWidth, (el.closest('.nav, .statusbar') || document.body).getBoundingClientRect().right) + 1)
    .map((el) => (el.textContent || '').trim().slice(0, 40) + ': ends at ' + Math.round(el.getBoundingClientRect().right) + ' of ' + innerWidth)`);
}

/** The QR's box on screen: fully inside the viewport, and how large. */
export async function qrOnScreen(page: Page, selector: string): Promise<{ size: number; inside: boolean }> {
  const box = await page.locator(selector).boundingBox();
  const vp = page.viewportSize()!;
  if (!box) return { size: 0, inside: false };
  // The visible area: the viewport, less what the console's scrolling pane hides (under the bars).
  const pane = await page.evaluate<{ top: number; bottom: number } | null>(
    `(() => { const el = document.querySelector(${JSON.stringify(selector)})?.closest('.content'); if (!el) return null; const r = el.getBoundingClientRect(); return { top: r.top, bottom: r.bottom }; })()`,
  );
  const top = Math.max(0, pane?.top ?? 0);
  const bottom = Math.min(vp.height, pane?.bottom ?? vp.height);
  const inside = box.x >= 0 && box.y >= top - 0.5 && box.x + box.width <= vp.width + 0.5 && box.y + box.height <= bottom + 0.5;
  return { size: Math.min(box.width, box.height), inside };
}
