/**
 * Settled planning markers (docs/decisions/0090-settled-planning-markers.md, src/node/callbacks/markers.ts):
 * retention drops a payment notification's row once its delivery log went and its payment is settled, and no change
 * to an agent, no reorg and no re-enable plans such a payment again — while recent payments still get every
 * callback exactly once. Shown by what the outbox holds after each write (test/helpers/outbox.ts), never by sleeping.
 */
import { describe, expect, it } from 'vitest';
import { addPayment, callbackFixtures, until } from '../helpers/callbacks.ts';
import { notificationCount, openDeliveries, plannedThresholds } from '../helpers/outbox.ts';
import { FLOOR_KEY, markerFloor, settleDepth } from '../../src/node/callbacks/markers.ts';
import { getInvoiceRow, refreshInvoice } from '../../src/node/invoices.ts';
import { invoiceIdOf } from '../../src/node/store/chain-sql.ts';

const DAY = 86_400_000;
const { setup, receiver } = callbackFixtures();

describe('settled planning markers', () => {
  it('go with the delivery log; re-planning never reaches their payments; recent payments get every callback once', async () => {
    const t = await setup();
    const db = t.app.db;
    const ok = await receiver();
    const invoice = async (): Promise<string> => (await t.api.post('/invoices', { amount_sats: 1000 })).body.address as string;
    const [addrA, addrB, addrC, addrD] = [await invoice(), await invoice(), await invoice(), await invoice()];
    const shop = (await t.api.post('/agents', { name: 'shop', url: ok.url, thresholds: [0, 6] })).body;
    const list = (await t.api.post('/agents', { name: 'list', url: ok.url, thresholds: [0, 6], addresses: [addrA, addrC] })).body;
    // A and B settled long ago (151 and 201 confirmations), D six blocks deep (done, recent), C in the last block (climbing).
    const A = addPayment(t.app.service, { address: addrA, sats: 1000, height: 150, tip: 300 }).id;
    const B = addPayment(t.app.service, { address: addrB, sats: 1000, height: 100 }).id;
    const D = addPayment(t.app.service, { address: addrD, sats: 1000, height: 295 }).id;
    const C = addPayment(t.app.service, { address: addrC, sats: 1000, height: 300 }).id;
    // shop: A 0 6, B 0 6, D 0 6, C 0; list: A 0 6, C 0.
    await ok.waitFor(10);
    await until(() => openDeliveries(db) === 0, 'all delivered');
    const total = (): number => (db.prepare('SELECT COUNT(*) AS n FROM notifications').get() as { n: number }).n;
    expect(total()).toBe(10);
    expect(settleDepth(db)).toBe(106);

    // 200 days on the delivery log is gone: A's and B's markers with it; D's (too shallow) and C's (climbing) stay.
    await t.app.maintenance.runNow(Date.now() + 200 * DAY);
    expect(db.prepare('SELECT COUNT(*) AS n FROM deliveries').get()).toEqual({ n: 0 });
    expect(plannedThresholds(db, shop.id, A)).toEqual([]);
    expect(plannedThresholds(db, list.id, A)).toEqual([]);
    expect(plannedThresholds(db, shop.id, B)).toEqual([]);
    expect(plannedThresholds(db, shop.id, D)).toEqual([0, 6]);
    expect(plannedThresholds(db, shop.id, C)).toEqual([0]);
    expect(plannedThresholds(db, list.id, C)).toEqual([0]);
    expect(total()).toBe(4);
    expect(markerFloor(db)).toBe(Math.max(A, B));
    const nothingNew = (n: number): void => {
      expect(total()).toBe(n);
      expect(openDeliveries(db)).toBe(0);
    };
    const patch = async (id: string, body: Record<string, unknown>): Promise<void> => {
      expect((await t.api.call('PATCH', `/agents/${id}`, body)).status).toBe(200);
    };

    // A new URL and name plan nothing.
    await patch(shop.id, { url: `${ok.url}?v=2`, name: 'shop2' });
    nothingNew(4);
    // A new threshold reaches payments below it (A's 151 confirmations are below 200) but never a settled one.
    await patch(shop.id, { thresholds: [0, 3, 6, 200] });
    nothingNew(4);
    // Narrowed, then widened back to A's address: A is not told again.
    await patch(list.id, { addresses: [addrC] });
    await patch(list.id, { addresses: [addrC, addrA] });
    nothingNew(4);
    // Lifted: payments to addresses the old list did not cover. D is recent and new to `list`: it gets D's 0 and 6
    // once; A (covered before) and B (settled) get nothing.
    await patch(list.id, { addresses: [addrC] });
    await patch(list.id, { addresses: null });
    expect(plannedThresholds(db, list.id, D)).toEqual([0, 6]);
    expect(plannedThresholds(db, list.id, A)).toEqual([]);
    expect(plannedThresholds(db, list.id, B)).toEqual([]);
    expect(total()).toBe(6);
    await ok.waitFor(12);
    await until(() => openDeliveries(db) === 0, 'D delivered to list');

    // A reorg takes D (recent) and A (settled, an extreme depth) back to the mempool: nothing is planned again,
    // not even when a new threshold then resets the unverified payments.
    t.app.service.write(() => {
      db.prepare('UPDATE payments SET height = 0, verified = 0 WHERE id IN (?, ?)').run(A, D);
      for (const id of [A, D]) {
        const inv = (db.prepare(`SELECT ${invoiceIdOf('p')} AS invoice_id FROM payments p WHERE p.id = ?`).get(id) as { invoice_id: string }).invoice_id;
        refreshInvoice(db, getInvoiceRow(db, inv)!, t.app.service.refreshContext());
      }
    });
    nothingNew(6);
    await patch(shop.id, { thresholds: [0, 3, 6, 12, 200] });
    nothingNew(6);
    // D is mined again at 310, 12 blocks deep: it gets the thresholds it had not reached at that height when they were
    // added (3 and 12: src/node/callbacks/planner.ts), never 0 or 6 again; A stays quiet.
    t.app.service.write(() => {
      db.prepare('UPDATE payments SET height = 310, verified = 1 WHERE id = ?').run(D);
      db.prepare("UPDATE chain_state SET value = '321' WHERE key = 'tip_height'").run();
    });
    expect(plannedThresholds(db, shop.id, D)).toEqual([0, 3, 6, 12]);
    expect(plannedThresholds(db, list.id, D)).toEqual([0, 6]);
    expect(plannedThresholds(db, shop.id, A)).toEqual([]);
    expect(plannedThresholds(db, shop.id, C)).toEqual([0, 3, 6, 12]);
    await ok.waitFor(17);
    await until(() => openDeliveries(db) === 0, 'D 3 12 and C 3 6 12 delivered');
    const sent = ok.requests.map((r) => JSON.parse(r.body).signed_data as { txhash: string; confirmations: number; agent: string });
    const key = (s: { txhash: string; confirmations: number; agent: string }): string => `${s.agent}:${s.txhash}:${s.confirmations}`;
    // Every callback a receiver got, it got once (the agent's name is part of what is signed: shop, then shop2).
    expect(new Set(sent.map(key)).size).toBe(sent.length);
    const renamed = sent.filter((s) => s.agent !== 'list').map((s) => ({ ...s, agent: 'shop' }));
    expect(new Set(renamed.map(key)).size).toBe(renamed.length);

    // Disabled and enabled again: it starts afresh, nothing old is planned.
    await patch(shop.id, { enabled: false });
    await patch(shop.id, { enabled: true });
    nothingNew(total());

    // A deleted agent's markers go once its log went, however recent their payments.
    expect((await t.api.call('DELETE', `/agents/${list.id}`)).status).toBe(200);
    const floor = markerFloor(db);
    await t.app.maintenance.runNow(Date.now() + 400 * DAY);
    expect(notificationCount(db, list.id)).toBe(0);
    expect(markerFloor(db)).toBe(floor);
    expect(plannedThresholds(db, shop.id, D)).toEqual([0, 3, 6, 12]);
    expect(db.prepare('SELECT value FROM outbox_state WHERE key = ?').get(FLOOR_KEY)).toEqual({ value: Math.max(A, B) });
  });
});
