import { afterAll, beforeAll, expect } from 'vitest';
import { startTestApp } from './api.ts';
import { freshTpub } from './keys.ts';
import { startTestSandbox, type TestSandbox } from './sandbox.ts';

/** An app watching the sandbox with a fresh xpub wallet, synced; short backoff so reconnects are quick. */
export async function startWatchedApp(sandbox: TestSandbox) {
  const t = await startTestApp({
    electrum: [sandbox.sb.electrumTcpUrl],
    watcher: { connection: { backoff: { baseMs: 100, capMs: 1000 }, badServerCooldownMs: 1000 } },
  });
  expect((await t.api.call('PUT', '/wallet', { xpub: freshTpub() })).status).toBe(200);
  await t.app.watcher!.waitSynced(15_000);
  return t;
}

/**
 * A sandbox and a watched app for the whole file (started before its tests, closed after them): read the fields
 * inside tests, once `beforeAll` has run.
 */
export function watchedShop(): { sandbox: TestSandbox; app: Awaited<ReturnType<typeof startWatchedApp>>['app']; api: Awaited<ReturnType<typeof startWatchedApp>>['api'] } {
  const shop = {} as ReturnType<typeof watchedShop>;
  beforeAll(async () => {
    shop.sandbox = await startTestSandbox();
    Object.assign(shop, await startWatchedApp(shop.sandbox));
  });
  afterAll(async () => {
    await shop.app?.close();
    await shop.sandbox?.close();
  });
  return shop;
}
