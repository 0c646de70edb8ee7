/**
 * Upgrading a data dir written by the first release (migrations 001–002) to the current schema keeps every row of
 * every table, leaves no broken reference, and the current Satdesk serves it. Migration 011's constraints then refuse
 * what the code never writes (docs/decisions/0017-constraints-and-upgrade-tests.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, type DB } from '../../src/node/store/sqlite.ts';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { CONSTRAINTS } from '../../src/node/store/migrations/011-constraints.ts';
import { INVOICE_STATUSES, MARK_ACTIONS } from '../../src/core/vocabulary.ts';
import { addressOf, blockKey, invoiceIdOf, scripthashOf, shOf } from '../../src/node/store/chain-sql.ts';
import { startTestApp, tempDir } from '../helpers/api.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';
import type { App } from '../../src/node/app.ts';

const T = 1_760_000_000_000;
const CONSTRAINTS_VERSION = MIGRATIONS.find((m) => m.name === 'constraints')!.version;
const TPUB = 'tpubDC5FSnBiZDMmhiuCmWAYsLwgLYrrT9rAqvTySfuCCrgsWz8wxMXUS9Tb9iVMvcRbvFcAHGkMD5Kx8koh4GquNGNTfohfk7pgjhaPCdXpoba';

/** The release's address `i`, with the script hash it stored (the store computes it from the text since migration 020). */
const addr = (i: number): { address: string; scripthash: string } => madeUpAddress('upgrade', i);

/** A first-release data dir: every table of migrations 001–002 with rows like the ones that release wrote. */
function firstRelease(db: DB): void {
  const run = (sql: string, ...args: unknown[]): void => void db.prepare(sql).run(...args);
  run("INSERT INTO settings (key, value) VALUES ('network', '\"regtest\"'), ('invoice', ?), ('refund_policy', '\"Refunds within 14 days\"')",
    JSON.stringify({ expires_in_s: 900, confirmations: 1, tolerance_pct: 0, monitoring_s: 86400, zero_conf_limit_sats: 0 }));
  run("INSERT INTO wallet_source (id, kind, network, script, source, next_index, created_at) VALUES (1, 'xpub', 'regtest', 'p2pkh', ?, 9, ?)", TPUB, T);
  const statuses = ['unpaid', 'partial', 'paid', 'confirmed', 'expired', 'invalid', 'cancelled', 'confirmed', 'expired'];
  statuses.forEach((status, i) => {
    const addressState = status === 'confirmed' ? 'used' : 'in_use';
    run(`INSERT INTO addresses (id, address, scripthash, script_hex, origin, derivation_index, state, invoice_id, electrum_status, created_at)
         VALUES (?, ?, ?, ?, 'derived', ?, ?, ?, ?, ?)`,
      i + 1, addr(i).address, addr(i).scripthash, '0014' + 'ab'.repeat(20), i, addressState, addressState === 'used' ? null : `inv${i}`,
      i % 2 ? 'f'.repeat(64) : null, T + i);
    const paid = ['partial', 'paid', 'confirmed', 'invalid'].includes(status) ? (status === 'partial' ? 400 : 1000) : 0;
    run(`INSERT INTO invoices (seq, id, status, flags, amount_sats, fiat_amount, fiat_currency, fiat_rate, label, userdata, address_id, address,
           created_at, expires_at, confirmations_required, tolerance_bp, monitoring_ms, zero_conf_limit_sats, cancelled_at, manual_status,
           manual_note, manual_at, released_at, note, paid_sats, confirmed_sats, next_check_at, updated_at)
         VALUES (?, ?, ?, ?, 1000, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 86400000, 0, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)`,
      i + 1, `inv${i}`, status, i === 7 ? 'manual' : i === 3 ? 'multiple,overpaid' : '', i === 2 ? '12.50' : null, i === 2 ? 'EUR' : null,
      i === 2 ? '65000' : null, `Order ${i}`, `order-${i}`, i + 1, addr(i).address, T + i, T + i + 900_000, i === 4 ? 0 : 1,
      status === 'cancelled' ? T + 5 : null, i === 7 ? 'confirmed' : null, i === 7 ? 'paid in cash' : null, i === 7 ? T + 7 : null,
      i === 7 ? 'paid in cash' : '', paid, status === 'confirmed' ? paid : 0, ['unpaid', 'partial', 'paid'].includes(status) ? T + 900_000 : null, T + i);
  });
  run("INSERT INTO refunds (invoice_id, sats, txid, note, created_at) VALUES ('inv3', 100, ?, 'overpaid', ?)", 'c'.repeat(64), T + 50);
  run("INSERT INTO idempotency_keys (key, request_hash, invoice_id, created_at) VALUES ('order-0-try', ?, 'inv0', ?)", 'd'.repeat(64), T);
  const pay = db.prepare(`INSERT INTO payments (id, txid, address_id, address, sats, invoice_id, height, block_hash, block_time, first_seen, rbf,
      verified, state, plan_done) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  pay.run(1, 'a'.repeat(64), 2, addr(1).address, 400, 'inv1', 0, null, null, T + 10, 1, 0, 'active', 0);
  pay.run(2, 'b'.repeat(64), 3, addr(2).address, 1000, 'inv2', 0, null, null, T + 11, 0, 0, 'active', 0);
  pay.run(3, 'e'.repeat(64), 4, addr(3).address, 600, 'inv3', 105, 'f'.repeat(64), T + 12, T + 12, 0, 1, 'active', 1);
  pay.run(4, '9'.repeat(64), 4, addr(3).address, 500, 'inv3', 106, '8'.repeat(64), T + 13, T + 13, 0, 1, 'active', 1);
  pay.run(5, '7'.repeat(64), 6, addr(5).address, 1000, 'inv5', 0, null, null, T + 14, 0, 0, 'gone', 1);
  pay.run(6, '6'.repeat(64), 1, addr(0).address, 777, null, 100, '5'.repeat(64), T - 99, T + 15, 0, 1, 'active', 1);
  run("INSERT INTO chain_state (key, value) VALUES ('tip_height', '110'), ('tip_hash', ?), ('header_anchor', '0')", '4'.repeat(64));
  for (let h = 0; h < 3; h++) run('INSERT INTO headers (height, hash, header) VALUES (?, ?, ?)', h, `${h}`.repeat(64), '00'.repeat(80));
  const ev = db.prepare('INSERT INTO events (id, type, invoice_id, payment_id, data, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  ev.run(1, 'invoice.created', 'inv0', null, JSON.stringify({ invoice: { id: 'inv0' } }), T);
  ev.run(2, 'invoice.partially_paid', 'inv1', null, JSON.stringify({ invoice: { id: 'inv1' }, from: 'unpaid', to: 'partial' }), T + 10);
  ev.run(3, 'payment.unattributed', null, 6, JSON.stringify({ payment: { txid: '6'.repeat(64) } }), T + 15);
  ev.run(4, 'payment.reversed', 'inv5', 5, JSON.stringify({ payment: { txid: '7'.repeat(64) }, reason: 'gone' }), T + 16);
  ev.run(5, 'chain.tip', null, null, JSON.stringify({ height: 110, hash: '4'.repeat(64) }), T + 17);
  ev.run(6, 'delivery.failed', null, null, JSON.stringify({ delivery: { id: 'dlv_x' } }), T + 18);
  const agent = db.prepare(`INSERT INTO agents (id, name, url, jid, token, thresholds, format, retry_delays, timeout_s, enabled, addresses,
      enabled_at, created_at, deleted_at, threshold_meta, event_floor) VALUES (?, ?, ?, ?, ?, ?, ?, '[30,30,30,30,30]', 10, ?, ?, ?, ?, ?, ?, ?)`);
  agent.run('agt_shop', 'shop', 'http://127.0.0.1:9/cb', null, 'shop-token-123', '[0,1]', 'bitcoinmonitor', 1, null, T - 1, T - 1, null, '{"1":{"at":1,"tip":100}}', 0);
  agent.run('agt_events', 'events', 'http://127.0.0.1:9/ev', null, 'events-token-123', '[]', 'events', 1, JSON.stringify([addr(0).address]), T - 1, T - 1, null, '{}', 0);
  agent.run('agt_old', 'old\u0000deleted:agt_old', null, 'shop@example.org', 'xmpp-token-123', '[0]', 'xmpp', 0, null, T - 1, T - 1, T + 1, '{}', 0);
  const note = db.prepare('INSERT INTO notifications (id, agent_id, payment_id, threshold, event_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  note.run(1, 'agt_shop', 3, 0, null, JSON.stringify({ amount: 600, confirmations: 0 }), T + 12);
  note.run(2, 'agt_shop', 3, 1, null, JSON.stringify({ amount: 600, confirmations: 1 }), T + 20);
  note.run(3, 'agt_events', null, null, 1, JSON.stringify({ id: 'evt_1', type: 'invoice.created' }), T);
  note.run(4, 'agt_shop', null, null, null, JSON.stringify({ userdata: 'satdesk-test' }), T + 30);
  const dl = db.prepare(`INSERT INTO deliveries (id, notification_id, redelivery_of, test, state, attempts, next_attempt_at, created_at, ended_at,
      agent_id, order_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  dl.run('dlv_' + '1'.repeat(24), 1, null, 0, 'SUCCESS', 1, null, T + 12, T + 13, 'agt_shop', 'p:3');
  dl.run('dlv_' + '2'.repeat(24), 2, null, 0, 'RETRY', 2, T + 99_000, T + 20, null, 'agt_shop', 'p:3');
  dl.run('dlv_' + '3'.repeat(24), 3, null, 0, 'FAILURE', 6, null, T, T + 200, 'agt_events', 'i:inv0');
  dl.run('dlv_' + '4'.repeat(24), 3, 'dlv_' + '3'.repeat(24), 0, 'PENDING', 0, T + 300, T + 300, null, 'agt_events', null);
  dl.run('dlv_' + '5'.repeat(24), 4, null, 1, 'SUCCESS', 1, null, T + 30, T + 31, 'agt_shop', null);
  const at = db.prepare('INSERT INTO attempts (delivery_id, at, duration_ms, http_status, error, response_excerpt) VALUES (?, ?, ?, ?, ?, ?)');
  at.run('dlv_' + '1'.repeat(24), T + 12, 12, 200, null, 'ok');
  at.run('dlv_' + '2'.repeat(24), T + 20, 10_000, null, 'timeout after 10000 ms', null);
  at.run('dlv_' + '2'.repeat(24), T + 60, 3, 503, null, 'busy');
  at.run('dlv_' + '3'.repeat(24), T + 100, 1, null, 'connect ECONNREFUSED 127.0.0.1:9', null);
  at.run('dlv_' + '5'.repeat(24), T + 30, 5, 204, null, '');
  run("UPDATE outbox_state SET value = 6 WHERE key = 'events_watermark'");
}

const TABLES = ['settings', 'wallet_source', 'addresses', 'invoices', 'refunds', 'idempotency_keys', 'payments', 'chain_state', 'headers',
  'events', 'agents', 'notifications', 'deliveries', 'attempts', 'outbox_state'];

/**
 * How the current schema gives back a release column the app still reads (migration 013, docs/decisions/0087-lean-chain-tables.md):
 * hashes and txids stored as bytes are read as hex (and 0088-txid-bytes.md), an invoice's or payment's address through its address_id,
 * a payment's invoice through its row number (0102-payment-invoice-seq.md).
 */
const READ_NOW: Record<string, Record<string, string>> = {
  addresses: { scripthash: scripthashOf('addresses') },
  invoices: { address: addressOf('invoices') },
  payments: { txid: shOf('txid'), address: addressOf('payments'), invoice_id: invoiceIdOf('payments') },
  events: { invoice_id: invoiceIdOf('events') },
};
/**
 * Release columns no longer stored: addresses.script_hex (the address's script, derived from it), addresses.created_at
 * (read by nothing, gone since 025: docs/decisions/0104-address-origin.md) and payments.block_hash (named by its key
 * since 021, docs/decisions/0100-block-key.md: checked apart).
 */
const DROPPED: Record<string, string[]> = { addresses: ['script_hex', 'created_at'], payments: ['block_hash'] };

/** Every row of every release table, as JSON per row, in a stable order (only the columns the release had). */
function snapshot(db: DB, columns: Record<string, string[]>, read: Record<string, Record<string, string>> = {}): Record<string, string[]> {
  const expr = (t: string, c: string): string => (read[t]?.[c] ? `${read[t][c]} AS "${c}"` : `"${c}"`);
  return Object.fromEntries(
    TABLES.map((t) => [t, (db.prepare(`SELECT ${columns[t]!.map((c) => expr(t, c)).join(', ')} FROM ${t}`).all() as object[]).map((r) => JSON.stringify(r)).sort()]),
  );
}

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('upgrading a first-release data dir', () => {
  it('keeps every row of every table, breaks no reference, and serves it', async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'satdesk.sqlite');
    const db = new Database(file);
    expect(migrate(db, 2)).toBe(2);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    expect(tables.sort()).toEqual([...TABLES].sort());
    firstRelease(db);
    for (const t of TABLES) expect((db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n, t).toBeGreaterThan(0);
    const columns = Object.fromEntries(
      TABLES.map((t) => [t, (db.prepare('SELECT name FROM pragma_table_info(?)').all(t) as { name: string }[]).map((c) => c.name).filter((c) => !DROPPED[t]?.includes(c))]),
    );
    const before = snapshot(db, columns);

    expect(migrate(db)).toBe(MIGRATIONS.at(-1)!.version);
    // The one value a later migration rewrites on purpose: an open invoice that asked for 0 confirmations under the
    // old "0 = no cap" meaning needs 1 (migration 005, docs/spec/invoices.md#0-conf). Everything else is as it was.
    const rewritten = (rows: string[]): string[] =>
      rows.map((r) => (r.includes('"id":"inv4"') ? r.replace('"confirmations_required":0', '"confirmations_required":1') : r)).sort();
    expect(snapshot(db, columns, READ_NOW)).toEqual({ ...before, invoices: rewritten(before.invoices!) });
    expect(db.prepare('SELECT block_key FROM payments ORDER BY id').pluck().all()).toEqual(
      [null, null, 'f'.repeat(64), '8'.repeat(64), null, '5'.repeat(64)].map((h) => (h === null ? null : blockKey(h))),
    );
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();

    const t = await startTestApp({ dataDir });
    app = t.app;
    const list = await t.api.get('/invoices?limit=50');
    expect(list.status).toBe(200);
    expect((list.body.invoices as { id: string }[]).map((i) => i.id).sort()).toEqual(['inv0', 'inv1', 'inv2', 'inv3', 'inv4', 'inv5', 'inv6', 'inv7', 'inv8']);
    // The search index (an FTS table over the rebuilt invoices) still finds them.
    expect(((await t.api.get('/invoices?q=Order%203')).body.invoices as { id: string }[]).map((i) => i.id)).toEqual(['inv3']);
    const deliveries = await t.api.get('/deliveries?limit=50');
    expect(deliveries.status).toBe(200);
    // The release's five deliveries are all there; the app has since planned what the release left unplanned
    // (payments with plan_done = 0, the expiry of an old invoice) and tried the ones that were due.
    const ids = (deliveries.body.deliveries as { id: string }[]).map((d) => d.id);
    expect(ids).toEqual(expect.arrayContaining(['1', '2', '3', '4', '5'].map((n) => 'dlv_' + n.repeat(24))));
    expect((await t.api.get('/agents')).body.agents).toHaveLength(2);
    expect((await t.api.get('/wallet')).body.next_index).toBe(9);
  });

  it('the new constraints refuse what the code never writes', () => {
    const db = new Database(path.join(tempDir(), 'c.sqlite'));
    const attached = (): string[] => (db.prepare("SELECT type || ' ' || name AS n FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY n").all() as { n: string }[]).map((r) => r.n);
    migrate(db, CONSTRAINTS_VERSION - 1);
    const before = attached();
    migrate(db, CONSTRAINTS_VERSION);
    // The rebuilt tables keep their indexes and triggers (the counters and the search index of migration 008).
    expect(attached()).toEqual(before);
    migrate(db);
    expect(before.filter((n) => n.startsWith('trigger')).length).toBeGreaterThan(5);
    db.prepare("INSERT INTO addresses (id, address, script_key, state) VALUES (1, 'a', 0, 'free')").run();
    // The status is stored as a code since migration 028 (src/node/store/codes.ts): 2 is 'unpaid'.
    const invoice = (id: string, code: number): void =>
      void db.prepare(`INSERT INTO invoices (id, status_code, amount_sats, address_id, created_at, expires_at, confirmations_required,
        tolerance_bp, monitoring_ms, updated_at) VALUES (?, ?, 1000, 1, 0, 0, 1, 0, 0, 0)`).run(id, code);
    expect(() => invoice('x1', 7)).toThrow(/CHECK constraint failed/);
    invoice('x2', 2);
    expect(() => db.prepare("UPDATE invoices SET manual_status = 'released' WHERE id = 'x2'").run()).toThrow(/CHECK constraint failed/);
    expect(() =>
      db.prepare('INSERT INTO payments (txid, address_id, sats, invoice_seq, first_seen) VALUES (zeroblob(32), 1, 5, 999999, 0)').run(),
    ).toThrow(/FOREIGN KEY constraint failed/);
    expect(() => db.prepare("INSERT INTO idempotency_keys (key, request_hash, invoice_id, created_at) VALUES ('k', 'h', 'nope', 0)").run()).toThrow(/FOREIGN KEY/);
    // An address may point at its invoice before the invoice exists, inside one transaction (pool.take), but not after it.
    expect(() => db.transaction(() => db.prepare("UPDATE addresses SET invoice_id = 'later' WHERE id = 1").run())()).toThrow(/FOREIGN KEY/);
    db.transaction(() => {
      db.prepare("UPDATE addresses SET invoice_id = 'x3', state = 'in_use' WHERE id = 1").run();
      invoice('x3', 2);
    })();
    expect(fs.existsSync(db.name)).toBe(true);
    db.close();
  });

  it('the constraint lists are the vocabulary’s (a new status needs a new migration)', () => {
    const quoted = (xs: readonly string[]): string => xs.map((x) => `'${x}'`).join(', ');
    expect(CONSTRAINTS.invoices).toContain(`CHECK (status IN (${quoted(INVOICE_STATUSES)}))`);
    expect(CONSTRAINTS.invoices).toContain(`CHECK (manual_status IS NULL OR manual_status IN (${quoted(MARK_ACTIONS.filter((m) => m !== 'released'))}))`);
  });
});
