/**
 * Work follows what is live, never the shop's history (docs/decisions/0080-maintained-state.md): creating an
 * invoice, a new block and a payment's status notification run no full scan of a history table and read as many
 * rows with 3,000 settled invoices behind them as with none — shown by the statements SQLite runs and their query
 * plans, against the real sandbox over real sockets. Never by timing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import { startWatchedApp } from '../helpers/watched.ts';
import { waitFor } from '../helpers/wait.ts';
import { addHistory } from '../helpers/history.ts';
import { fullScans, recordStatements, type Executed } from '../helpers/statements.ts';
import type { App } from '../../src/node/app.ts';
import { pruneAll } from '../../src/node/retention.ts';
import { INVOICE_COLUMNS } from '../../src/node/store/chain-sql.ts';

const HISTORY = 3_000;
/** Partial indexes that hold only what is live: walking one of them is proportional to what is live. */
const LIVE_INDEXES = ['payments_unverified', 'payments_plan', 'deliveries_due', 'deliveries_agent_due', 'deliveries_order'];
/** Statements that walk from a high-water mark: the addresses added since the watcher last looked. */
const WATERMARKS = [/a\.id > @after/];

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

const mine = async (blocks = 1): Promise<number> => (await sandbox.control<{ height: number }>('POST', '/mine', { blocks })).body.height;
const pay = async (address: string, sats: number): Promise<string> => (await sandbox.control<{ txid: string }>('POST', '/pay', { address, sats })).body.txid;

/** A watched app with an xpub wallet and `history` settled invoices behind it. */
async function shop(history: number): Promise<{ app: App; api: ApiClient }> {
  const t = await startWatchedApp(sandbox);
  if (history) addHistory(t.app.db, history, { height: sandbox.sb.status().height });
  // One write publishes what was added behind the app's back, so the recording below sees only the path itself.
  t.app.service.write(() => {});
  return t;
}

async function synced(app: App, height: number): Promise<void> {
  await waitFor(() => app.service.tipHeight() === height && app.watcher!.isSynced(), Boolean, `tip ${height} recorded and synced`);
}

const rowsRead = (executed: Executed[]): number => executed.reduce((a, e) => a + e.rows, 0);

describe('hot paths do not grow with history', () => {
  it('creating an invoice runs no full scan and reads as many rows with 3,000 settled or 150 open invoices as with none', async () => {
    const reads: number[] = [];
    for (const [history, open] of [[0, 3], [HISTORY, 3], [0, 150]] as const) {
      const { app, api } = await shop(history);
      try {
        for (let i = 0; i < open; i++) expect((await api.post('/invoices', { amount_sats: 5_000 + i })).status).toBe(201);
        await app.watcher!.waitSynced(10_000);
        const rec = recordStatements(app.db);
        const r = await api.post('/invoices', { amount_sats: 12_345, label: 'Espresso', userdata: 'order-1' });
        // The watcher subscribes the new address after the commit: wait for that before stopping the recording.
        await app.watcher!.waitSynced(10_000);
        const executed = rec.stop();
        expect(r.status).toBe(201);
        expect(fullScans(app.db, executed, LIVE_INDEXES, WATERMARKS)).toEqual([]);
        expect(executed.some((e) => /MAX\(confirmations_required\)/.test(e.sql) && e.rows > 1)).toBe(false);
        reads.push(rowsRead(executed));
      } finally {
        await app.close();
      }
    }
    expect(reads).toEqual([reads[0], reads[0], reads[0]]);
    expect(reads[0]).toBeLessThan(40);
  });

  it('an invoice row is inserted with no reference to it pending, from a derived or a static address', async () => {
    // While an address names an invoice whose row does not exist yet (a deferred foreign key, migration 011), SQLite
    // checks each invoice insert against every address — a full scan the query plans never show (90 ms at 1M).
    const dangling = 'SELECT 1 FROM addresses a WHERE a.invoice_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.id = a.invoice_id)';
    const guard = (app: App): void => {
      app.db.exec(`CREATE TEMP TRIGGER no_pending_reference BEFORE INSERT ON main.invoices WHEN EXISTS (${dangling})
        BEGIN SELECT RAISE(ABORT, 'an address names an invoice that does not exist yet'); END`);
    };
    const derived = await shop(0);
    try {
      guard(derived.app);
      for (let i = 0; i < 2; i++) expect((await derived.api.post('/invoices', { amount_sats: 5_000 + i })).status).toBe(201);
      const held = derived.app.db.prepare('SELECT COUNT(*) AS n FROM addresses a JOIN invoices i ON i.id = a.invoice_id AND i.address_id = a.id').get() as { n: number };
      expect(held.n).toBe(2);
    } finally {
      await derived.app.close();
    }
    const { app, api } = await startTestApp();
    try {
      guard(app);
      const address = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
      expect((await api.post('/addresses', { addresses: [address] })).body.results[0].result).toBe('added');
      const first = (await api.post('/invoices', { amount_sats: 5_000 })).body;
      expect((await api.post(`/invoices/${first.id}/cancel`)).status).toBe(200);
      // The released address is taken again: it named the first invoice until the second one's row existed.
      const second = await api.post('/invoices', { amount_sats: 6_000 });
      expect(second.status).toBe(201);
      expect(second.body.address).toBe(address);
      expect(app.db.prepare('SELECT invoice_id FROM addresses WHERE address = ?').get(address)).toEqual({ invoice_id: second.body.id });
    } finally {
      await app.close();
    }
  });

  it('creating an invoice prepares no statement: each one it runs was prepared once per connection', async () => {
    const { app, api } = await shop(0);
    try {
      for (let i = 0; i < 3; i++) expect((await api.post('/invoices', { amount_sats: 5_000 + i })).status).toBe(201);
      await app.watcher!.waitSynced(10_000);
      const prepare = app.db.prepare.bind(app.db);
      const preparedNow: string[] = [];
      app.db.prepare = ((sql: string) => {
        preparedNow.push(sql.replace(/\s+/g, ' ').slice(0, 120));
        return prepare(sql);
      }) as typeof app.db.prepare;
      expect((await api.post('/invoices', { amount_sats: 12_345, label: 'Espresso', userdata: 'order-1' })).status).toBe(201);
      await app.watcher!.waitSynced(10_000);
      app.db.prepare = prepare;
      expect(preparedNow).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('a new block re-reads only the invoices still confirming, not the settled ones', async () => {
    const { app, api } = await shop(HISTORY);
    try {
      const confirming = (await api.post('/invoices', { amount_sats: 20_000, confirmations: 3 })).body;
      const done = (await api.post('/invoices', { amount_sats: 21_000, confirmations: 1 })).body;
      await pay(confirming.address, 20_000);
      await pay(done.address, 21_000);
      await waitFor(async () => (await api.get(`/invoices/${done.id}`)).body.status, (s) => s === 'paid', 'paid');
      await synced(app, await mine(1));
      expect((await api.get(`/invoices/${done.id}`)).body.status).toBe('confirmed');

      const rec = recordStatements(app.db);
      const height = await mine(1);
      await synced(app, height);
      const executed = rec.stop();
      expect(fullScans(app.db, executed, LIVE_INDEXES, WATERMARKS)).toEqual([]);
      // The invoices re-evaluated at this tip, by the rows read back for them.
      const reread = new Set(executed.filter((e) => e.sql.trim() === `SELECT ${INVOICE_COLUMNS} FROM invoices i WHERE i.id = ?`).map((e) => e.args[0]));
      expect([...reread]).toEqual([confirming.id]);
      // What it reads beyond that is the watched set (held addresses included: money may still arrive there).
      const watched = app.watcher!.status().watch!.subscribed;
      expect(watched).toBeLessThan(HISTORY / 10);
      expect(rowsRead(executed)).toBeLessThan(watched + 60);
      expect((await api.get(`/invoices/${confirming.id}`)).body.payments[0].confirmations).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('a payment announced by the server is recorded without a full scan', async () => {
    const { app, api } = await shop(HISTORY);
    try {
      const inv = (await api.post('/invoices', { amount_sats: 30_000 })).body;
      await app.watcher!.waitSynced(10_000);
      const rec = recordStatements(app.db);
      await pay(inv.address, 30_000);
      await waitFor(() => (app.db.prepare('SELECT status FROM invoices WHERE id = ?').get(inv.id) as { status: string }).status, (s) => s === 'paid', 'paid');
      await app.watcher!.waitSynced(10_000);
      const executed = rec.stop();
      expect(fullScans(app.db, executed, LIVE_INDEXES, WATERMARKS)).toEqual([]);
      expect(rowsRead(executed)).toBeLessThan(100);
    } finally {
      await app.close();
    }
  });

  it('sysinfo and the wallet screen answer from maintained state', async () => {
    const { app, api } = await shop(HISTORY);
    try {
      await api.post('/invoices', { amount_sats: 30_000 });
      const rec = recordStatements(app.db);
      const info = (await api.get('/sysinfo')).body;
      const wallet = (await api.get('/wallet')).body;
      const executed = rec.stop();
      expect(fullScans(app.db, executed, LIVE_INDEXES, WATERMARKS)).toEqual([]);
      expect(info.addresses).toEqual({ total: HISTORY + 1, in_use: HISTORY / 20 + 1, free: 0, gap: 1 });
      expect(wallet.gap).toBe(1);
    } finally {
      await app.close();
    }
  });
});

describe('agents', () => {
  it('a new URL re-plans no payment; a new threshold only those still below it — no full scan either way', async () => {
    const { app, api } = await startWatchedApp(sandbox);
    try {
      const agent = (await api.post('/agents', { name: 'shop', url: 'http://127.0.0.1:9/callback', thresholds: [0, 6] })).body;
      // Settled payments first seen after the agent was made: every one of them concerns it, and is fully planned.
      addHistory(app.db, HISTORY, { height: sandbox.sb.status().height, at: Date.now() + 1_000 });
      app.service.write(() => {});
      const rec = recordStatements(app.db);
      expect((await api.call('PATCH', `/agents/${agent.id}`, { url: 'http://127.0.0.1:9/elsewhere' })).status).toBe(200);
      expect((await api.call('PATCH', `/agents/${agent.id}`, { thresholds: [0, 3, 6] })).status).toBe(200);
      const executed = rec.stop();
      expect(fullScans(app.db, executed, LIVE_INDEXES, WATERMARKS)).toEqual([]);
      // The planner read back no settled payment as a candidate.
      expect(executed.filter((e) => /WHERE p\.plan_done = 0/.test(e.sql)).map((e) => e.rows)).toEqual([0, 0]);
      expect(rowsRead(executed)).toBeLessThan(60);
    } finally {
      await app.close();
    }
  });
});

describe('the planner', () => {
  it('looks at a climbing payment again only after a write that changed what planning it depends on', async () => {
    const { app, api } = await shop(0);
    try {
      await api.post('/agents', { name: 'shop', url: 'http://127.0.0.1:9/callback', thresholds: [0, 6] });
      const inv = (await api.post('/invoices', { amount_sats: 30_000 })).body;
      await app.watcher!.waitSynced(10_000);
      await pay(inv.address, 30_000);
      const planned = (): number => (app.db.prepare('SELECT COUNT(*) AS n FROM notifications').get() as { n: number }).n;
      await waitFor(planned, (n) => n === 1, 'threshold 0 planned');
      // An invoice created changes no payment, agent, tip or server count: the climbing payment is not read.
      let rec = recordStatements(app.db);
      expect((await api.post('/invoices', { amount_sats: 31_000 })).status).toBe(201);
      let executed = rec.stop();
      expect(executed.filter((e) => /WHERE p\.plan_done = 0/.test(e.sql))).toEqual([]);
      expect(executed.filter((e) => /FROM notifications WHERE agent_id/.test(e.sql))).toEqual([]);
      // A block does: the payment is read again, its reached threshold looked up, not re-inserted.
      rec = recordStatements(app.db);
      const height = await mine();
      await synced(app, height);
      executed = rec.stop();
      expect(executed.filter((e) => /WHERE p\.plan_done = 0/.test(e.sql)).map((e) => e.rows)).toContain(1);
      expect(executed.filter((e) => /INSERT OR IGNORE INTO notifications/.test(e.sql))).toEqual([]);
      const lookups = executed.filter((e) => /FROM notifications WHERE agent_id/.test(e.sql)).map((e) => e.rows);
      expect(lookups.length).toBeGreaterThan(0);
      expect(lookups.every((found) => found === 1)).toBe(true);
      expect(planned()).toBe(1);
    } finally {
      await app.close();
    }
  });
});

describe('hourly maintenance', () => {
  it('costs what it removes: neither the delivery log nor every notification ever planned is walked', async () => {
    const { app, api } = await shop(HISTORY);
    try {
      // A delivery log within delivery_log_days: every history payment told to an agent, one attempt each.
      const agent = (await api.post('/agents', { name: 'shop', url: 'http://127.0.0.1:9/cb' })).body.id as string;
      const ended = Date.now() - 86_400_000;
      app.service.write(() => {
        app.db.prepare(`INSERT INTO notifications (agent_id, payment_id, threshold, body, created_at, public_id)
          SELECT ?, id, 1, '{"payment":' || id || '}', time, 'ntf_' || id FROM payments`).run(agent);
        app.db.prepare(`INSERT INTO deliveries (id, notification_id, state, attempts, created_at, ended_at, agent_id)
          SELECT 'dlv_' || id, id, 'SUCCESS', 1, created_at, ?, agent_id FROM notifications`).run(ended);
        app.db.exec(`INSERT INTO sent_bodies (id, sha256, body) SELECT id, unhex(printf('%064x', id)), body FROM notifications`);
        app.db.prepare(`INSERT INTO attempts (delivery_id, at, duration_ms, http_status, body_id)
          SELECT 'dlv_' || id, ?, 5, 200, id FROM notifications`).run(ended);
      });
      const logged = (app.db.prepare('SELECT COUNT(*) AS n FROM deliveries').get() as { n: number }).n;
      expect(logged).toBeGreaterThan(HISTORY / 2);
      const rec = recordStatements(app.db);
      await pruneAll(app.service, Date.now());
      const executed = rec.stop();
      expect(executed.some((e) => /FROM deliveries WHERE ended_at IS NOT NULL/.test(e.sql))).toBe(true);
      expect((app.db.prepare('SELECT COUNT(*) AS n FROM deliveries').get() as { n: number }).n).toBe(logged);
      expect(fullScans(app.db, executed, [...LIVE_INDEXES, 'notifications_marker'], WATERMARKS)).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

describe('time-driven re-evaluation', () => {
  it('an abandoned invoice is looked at once more after the grace, then never again', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const { app, api } = await startTestApp({ clock: { now: () => now } });
    try {
      await api.call('PATCH', '/settings', { pool_release_grace_s: 600 });
      await api.call('PUT', '/wallet', { xpub: 'vpub5SLqN2bLY4WeZJ9SmNJHsyzqVKreTXD4ZnPC22MugDNcjhKX5xNX9QiQWcE4SSRzVWyHWUihpKRT7hckDGNzVc69wSX2JPcfGeNiT5c2XZy' });
      const inv = (await api.post('/invoices', { amount_sats: 1000, expires_in_s: 60 })).body;
      now += 61_000;
      expect(app.service.tick()).toBe(1); // expired; the address is held for the grace
      now += 600_000;
      expect(app.service.tick()).toBe(1); // the grace ended: the address is released
      const row = app.db.prepare('SELECT next_check_at FROM invoices WHERE id = ?').get(inv.id) as { next_check_at: number | null };
      expect(row.next_check_at).toBeNull();
      now += 3_600_000;
      expect(app.service.tick()).toBe(0);
      expect(app.service.nextTickAt()).toBeNull();
    } finally {
      await app.close();
    }
  });
});
