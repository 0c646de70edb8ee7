/**
 * The planner looks at the payments still climbing only after a write that changed what planning them depends on
 * (src/node/callbacks/planner.ts, `planningInputs`): payments, agents, the evaluated tip, the number of servers.
 * Whatever path makes such a change, and whatever a rolled-back write saw, no threshold is ever left unplanned.
 */
import { describe, expect, it } from 'vitest';
import { addPayment, callbackFixtures, setTip } from '../helpers/callbacks.ts';
import { plannedThresholds } from '../helpers/outbox.ts';

const { setup } = callbackFixtures();
const DEAD_URL = 'http://127.0.0.1:9/callback';

/** An agent with `thresholds` and a payment mined at 100 with the tip at 100: threshold 0 planned, the next climbing. */
async function climbing(thresholds: number[]) {
  const t = await setup();
  const agent = (await t.api.post('/agents', { name: 'shop', url: DEAD_URL, thresholds })).body;
  const inv = (await t.api.post('/invoices', { amount_sats: 5_000 })).body;
  const p = addPayment(t.app.service, { address: inv.address, sats: 5_000, height: 100, tip: 100 });
  expect(plannedThresholds(t.app.db, agent.id, p.id)).toEqual([0]);
  return { t, agent, p };
}

describe('planning inputs', () => {
  it('a change written straight into the payments table is planned at the next write', async () => {
    const { t, agent, p } = await climbing([0, 3]);
    // Outside any write (no planner runs): the payment is now buried three deep.
    t.app.db.prepare('UPDATE payments SET height = 98 WHERE id = ?').run(p.id);
    expect(plannedThresholds(t.app.db, agent.id, p.id)).toEqual([0]);
    // The next write of any kind, an invoice, plans it.
    expect((await t.api.post('/invoices', { amount_sats: 6_000 })).status).toBe(201);
    expect(plannedThresholds(t.app.db, agent.id, p.id)).toEqual([0, 3]);
  });

  it('what a rolled-back write planned is planned again when the same tip comes back', async () => {
    const { t, agent, p } = await climbing([0, 2]);
    // A planner after ours fails: the write that reached threshold 2 rolls back, ours had already looked.
    const stop = t.app.service.uow.addPlanner(() => {
      throw new Error('a later planner failed');
    });
    expect(() => setTip(t.app.service, 101)).toThrow('a later planner failed');
    stop();
    expect(plannedThresholds(t.app.db, agent.id, p.id)).toEqual([0]);
    // The same tip again, nothing else changed: threshold 2 is planned.
    setTip(t.app.service, 101);
    expect(plannedThresholds(t.app.db, agent.id, p.id)).toEqual([0, 2]);
  });
});
