/**
 * The long-lived API token never lands in the browser's history (docs/security.md): the console link `serve`
 * prints carries a one-time code, traded for the token once. Checked in a real Chromium profile on disk, by
 * reading its History database after the browser closed, as another program on the machine could.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { chromium } from 'playwright-core';
import Database from 'better-sqlite3';
import { startTestApp, tempDir } from '../helpers/api.ts';
import { assertChromium, CHROMIUM } from './helpers.ts';
import type { App } from '../../src/node/app.ts';

let app: App;
beforeAll(async () => {
  ({ app } = await startTestApp());
});
afterAll(async () => app?.close());

test('opening the printed console link leaves no token in the History database; replaying the link gets nothing', async () => {
  assertChromium();
  const profile = tempDir('satdesk-chromium-');
  const link = app.consoleUrl!;
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(link);
    await page.getByRole('heading', { name: 'New sale' }).waitFor({ timeout: 15_000 });
    expect(page.url()).not.toContain('login=');
    expect(await page.evaluate<string | null>("sessionStorage.getItem('satdesk.token')")).toBe(app.token);
    // The same link again (history, a shoulder-surfed terminal): the code is spent, the console asks for a token.
    const again = await ctx.newPage();
    await again.goto(link);
    await again.getByText('Paste your API token').waitFor({ timeout: 15_000 });
    expect(await again.evaluate<string | null>("sessionStorage.getItem('satdesk.token')")).toBeNull();
  } finally {
    await ctx.close();
  }
  const history = path.join(profile, 'Default', 'History');
  expect(fs.existsSync(history)).toBe(true);
  const db = new Database(history, { readonly: true });
  try {
    const urls = (db.prepare('SELECT url FROM urls').all() as { url: string }[]).map((r) => r.url);
    expect(urls.some((u) => u.startsWith(app.api!.url))).toBe(true);
    for (const u of urls) expect(u).not.toContain(app.token);
  } finally {
    db.close();
  }
  expect(fs.readFileSync(history).includes(Buffer.from(app.token))).toBe(false);
});
