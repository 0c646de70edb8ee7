import { expect } from 'vitest';
import { startTestApp } from './api.ts';
import { freshTpub } from './keys.ts';
import type { TestSandbox } from './sandbox.ts';

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
