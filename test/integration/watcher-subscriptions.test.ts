/**
 * Subscriptions tell when subscribing ends. A pass can outlive the watcher's other work (the tip update that starts
 * one for what confirmations changed settles first, and a new invoice's subscription runs on its own), and the
 * watcher says "synced" only when told: unheard, the `chain: synced` line waited for the next tip check, 30 s later
 * (seen against ElectrumX in `npm run bench -- realnode`). Here the sandbox holds subscribe answers until its next
 * notification tick, as ElectrumX and Fulcrum do, so each pass ends well after it started.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ElectrumClient } from '../../src/node/electrum/index.ts';
import { openDatabase, statementCache } from '../../src/node/store/sqlite.ts';
import { Subscriptions } from '../../src/node/watcher/subscriptions.ts';
import type { WatchedRow } from '../../src/node/watcher/watched.ts';
import { TestKey, startTestSandbox, tempDir } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/wait.ts';
import { scripthashOf } from '../../src/node/store/chain-sql.ts';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

describe('subscriptions', () => {
  it('say when a pass or a new address subscription has ended, with subscribing already false', async () => {
    const sb = await startTestSandbox({ profile: { notifyIntervalMs: 300 } });
    open.push(sb);
    const db = openDatabase(path.join(tempDir('satdesk-subs-'), 'satdesk.sqlite'));
    open.push(db);
    const ins = db.prepare(`INSERT INTO addresses (address, script_key, state) VALUES (@address, satdesk_script_key(@address), 'free')`);
    const add = (): void => {
      ins.run({ address: new TestKey('p2wpkh').address });
    };
    for (let i = 0; i < 3; i++) add();
    const rows = (after: number): WatchedRow[] => db.prepare(`SELECT id, ${scripthashOf('addresses')} AS scripthash, electrum_status FROM addresses WHERE id > ? ORDER BY id`).all(after) as WatchedRow[];
    const client = new ElectrumClient({ server: sb.sb.electrumTcpUrl, network: 'regtest', pingIntervalMs: 0, requestTimeoutMs: 5000 });
    open.push({ close: () => client.close('test over') });
    await client.connect();
    const seen: boolean[] = [];
    const subs = new Subscriptions({
      sql: statementCache(db),
      stats: { subscriptions: 0, unsubscriptions: 0 },
      watchedRows: rows,
      changed: () => {},
      isQueued: () => false,
      overflowed: () => {},
      settled: () => seen.push(subs.subscribing),
      sessions: { open: () => Promise.reject(new Error('one session is enough here')) },
    });
    subs.reset(client);
    const pass = subs.subscribeWatched(client, () => true, false);
    expect(subs.subscribing).toBe(true);
    await pass;
    expect(subs.subscribed.size).toBe(3);
    expect(seen).toEqual([false]);

    add(); // a new invoice's address, subscribed on its own after the commit
    subs.checkNew(client, () => true, (e) => { throw e; });
    expect(subs.subscribing).toBe(true);
    await waitFor(() => seen.length, (n) => n === 2, 'the new subscription settled', 5000);
    expect(seen).toEqual([false, false]);
    expect(subs.subscribed.size).toBe(4);
  });
});
