/**
 * The notification planner (docs/spec/notifications.md#planning). Registered with the unit of work (src/node/service/unit-of-work.ts), it runs inside every write transaction,
 * after the facts were written, so a planned notification commits together with the chain facts that caused it.
 *
 * Cheap by construction: payments are read only while `plan_done = 0` (a partial index holds just the ones still
 * climbing towards a threshold), and only after a write that changed what planning them depends on (a payment, an
 * agent, the evaluated tip, the number of servers: `planningInputs`); events only past a stored watermark.
 */
import crypto from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { DB } from '../store/sqlite.ts';
import { evaluatedTipHeight } from '../store/evaluated-tip.ts';
import { formatBtc } from '../../core/money.ts';
import { confirmations } from '../../core/ledger.ts';
import { mempoolAgreed } from '../../core/zeroconf.ts';
import { CALLBACK_EVENT_TYPES } from '../../core/vocabulary.ts';
import { formatCreated, type SignedData } from '../../core/signature.ts';
import { paymentTime, type PaymentRow } from '../invoices.ts';
import type { AgentRow, ThresholdMeta } from './agents.ts';
import { addressOf, invoiceIdOf, PAYMENT_COLUMNS } from '../store/chain-sql.ts';

/** The event types `events` agents receive (docs/spec/callbacks.md#format-events). */
const CALLBACK_EVENTS: ReadonlySet<string> = new Set(CALLBACK_EVENT_TYPES);

// Delivery ids come from a pooled random buffer: one randomFillSync per 4,096 ids instead of one per id (a
// synchronous call per notification was the planner's largest cost when a payment burst plans thousands).
const ID_BYTES = 12;
const idPool = Buffer.alloc(ID_BYTES * 4096);
let idPos = idPool.length;

function randomId(): number {
  if (idPos === idPool.length) {
    crypto.randomFillSync(idPool);
    idPos = 0;
  }
  idPos += ID_BYTES;
  return idPos - ID_BYTES;
}

/** A delivery's id (`X-Satdesk-Delivery`): new for every delivery, a resend included. */
export const newDeliveryId = (): string => {
  const at = randomId();
  return `dlv_${idPool.toString('hex', at, at + ID_BYTES)}`;
};

/**
 * A notification's id (`X-Satdesk-Notification`): the same for all its deliveries; receivers deduplicate on it.
 * Stored as its 12 bytes (migration 014), sent as `ntf_` + hex (wire.ts, `publicId`).
 */
export const newNotificationId = (): Buffer => {
  const at = randomId();
  return Buffer.from(idPool.subarray(at, at + ID_BYTES));
};

interface PlanAgent {
  row: AgentRow;
  thresholds: number[];
  meta: ThresholdMeta;
  addresses: Set<string> | null;
}

/**
 * How often the rows payment planning reads (payments, agents) changed on this connection: temporary triggers count
 * every insert, update and delete, whichever code path made it. What a payment's thresholds give is a function of
 * those rows, the evaluated tip and the number of servers only; an invoice created or a setting changed leaves it as
 * it was, and such a write need not look at the payments still climbing again.
 */
const inputs = new WeakMap<DB, { payments: number; agents: number }>();

function planningInputs(db: DB): { payments: number; agents: number } {
  let n = inputs.get(db);
  if (!n) {
    const counts = { payments: 0, agents: 0 };
    db.function('satdesk_planning_input', { deterministic: false }, (table: unknown) => {
      if (table === 'payments') counts.payments++;
      else counts.agents++;
      return null;
    });
    for (const table of ['payments', 'agents']) {
      for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
        db.exec(`CREATE TEMP TRIGGER IF NOT EXISTS planning_${table}_${op.toLowerCase()} AFTER ${op} ON main.${table}
                 BEGIN SELECT satdesk_planning_input('${table}'); END`);
      }
    }
    inputs.set(db, (n = counts));
  }
  return n;
}

function planAgents(stmt: Statement): PlanAgent[] {
  const rows = stmt.all() as AgentRow[];
  return rows.map((row) => ({
    row,
    thresholds: (JSON.parse(row.thresholds) as number[]).sort((a, b) => a - b),
    meta: JSON.parse(row.threshold_meta) as ThresholdMeta,
    addresses: row.addresses === null ? null : new Set(JSON.parse(row.addresses) as string[]),
  }));
}

export function signedDataFor(p: PaymentRow, userdata: string, threshold: number, agentName: string): SignedData {
  return {
    amount: p.sats,
    userdata,
    confirmations: threshold,
    amount_btc: formatBtc(p.sats),
    address: p.address,
    created: formatCreated(paymentTime(p)),
    txhash: p.txid,
    agent: agentName,
  };
}

export interface Planner {
  (now: number): void;
  /** The write it ran in rolled back: what it last looked at may never have been committed. */
  forget(): void;
}

/** `chain.servers`: Electrum servers configured; with two or more, a 0-confirmation callback waits for two mempools. */
export function createPlanner(db: DB, chain: { servers: () => number } = { servers: () => 1 }): Planner {
  const agentsStmt = db.prepare('SELECT * FROM agents WHERE enabled = 1 AND deleted_at IS NULL');
  const insertNotification = db.prepare(
    `INSERT OR IGNORE INTO notifications (agent_id, payment_id, threshold, event_id, body, created_at, public_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertDelivery = db.prepare(
    `INSERT INTO deliveries (id, notification_id, state, attempts, next_attempt_at, created_at, agent_id, order_key)
     VALUES (?, ?, 'PENDING', 0, ?, ?, ?, ?)`,
  );
  const candidates = db.prepare(
    `SELECT ${PAYMENT_COLUMNS}, i.userdata AS userdata FROM payments p LEFT JOIN invoices i ON i.seq = p.invoice_seq
     WHERE p.plan_done = 0 AND p.state = 'active' ORDER BY p.id`,
  );
  const markDone = db.prepare('UPDATE payments SET plan_done = 1 WHERE id = ?');
  // A payment still climbing is looked at in every write: one probe of the unique index says a threshold it reached
  // was planned already, before its body is built and an insert tried (an ignored insert probes every index).
  const planned = db.prepare('SELECT 1 FROM notifications WHERE agent_id = ? AND payment_id = ? AND threshold = ?');
  // Named: since the state is read from its code (migration 029), SQLite would walk every active payment instead.
  const markAllDone = db.prepare("UPDATE payments INDEXED BY payments_plan SET plan_done = 1 WHERE plan_done = 0 AND state = 'active'");
  const watermarkStmt = db.prepare("SELECT value FROM outbox_state WHERE key = 'events_watermark'");
  const setWatermark = db.prepare("UPDATE outbox_state SET value = ? WHERE key = 'events_watermark'");
  const newEvents = db.prepare(`SELECT id, type, ${invoiceIdOf('events')} AS invoice_id, payment_id FROM events WHERE id > ? ORDER BY id LIMIT 5000`);
  const invoiceAddress = db.prepare(`SELECT ${addressOf('i')} AS address FROM invoices i WHERE i.id = ?`);
  const paymentAddress = db.prepare(`SELECT ${addressOf('p')} AS address, p.below_anchor FROM payments p WHERE p.id = ?`);

  const plan = (agentId: string, paymentId: number | null, threshold: number | null, eventId: number | null, body: string | null, orderKey: string, now: number): void => {
    const r = insertNotification.run(agentId, paymentId, threshold, eventId, body, now, newNotificationId()); // text: packed later (body-packing.ts)
    if (r.changes === 0) return; // planned before: exactly one notification per (agent, payment, threshold) / event
    insertDelivery.run(newDeliveryId(), Number(r.lastInsertRowid), now, now, agentId, orderKey);
  };

  const changes = planningInputs(db);
  let seen = { payments: -1, agents: -1, tip: -1, servers: -1 };
  let agents: PlanAgent[] = [];

  const planner = (now: number): void => {
    if (changes.agents !== seen.agents) agents = planAgents(agentsStmt);
    const paymentAgents = agents.filter((a) => a.row.format !== 'events');
    const eventAgents = agents.filter((a) => a.row.format === 'events');
    const inputsNow = { payments: changes.payments, agents: changes.agents, tip: evaluatedTipHeight(db), servers: chain.servers() };
    const same = inputsNow.payments === seen.payments && inputsNow.agents === seen.agents && inputsNow.tip === seen.tip && inputsNow.servers === seen.servers;

    // Payments × thresholds.
    if (same) {
      // Nothing planning reads has changed since the last look: it would plan nothing new.
    } else if (!paymentAgents.length) {
      // Nobody to tell; a later agent only hears of payments first seen after it, so these are done for good.
      markAllDone.run();
    } else {
      const rows = candidates.all() as (PaymentRow & { userdata: string | null })[];
      if (rows.length) {
        const { tip, servers } = inputsNow;
        for (const p of rows) {
          // Mined below our checkpoint: never verifiable, never counted, older than the install — nobody is told.
          if (p.below_anchor) {
            markDone.run(p.id);
            continue;
          }
          const conf = confirmations(p.height, tip, p.verified === 1);
          // Not yet seen by enough mempools (src/core/zeroconf.ts): no threshold is reached, not even 0.
          if (p.height === 0 && !mempoolAgreed(p.mempool_servers, servers)) continue;
          let done = true;
          for (const a of paymentAgents) {
            if (p.first_seen < a.row.enabled_at) continue;
            if (a.addresses && !a.addresses.has(p.address)) continue;
            for (const t of a.thresholds) {
              const m = a.meta[String(t)];
              if (m && p.first_seen < m.at) {
                // Added later: applies only if the payment had not reached it when it was added.
                const confThen = p.height > 0 && p.verified ? m.tip - p.height + 1 : 0;
                if (confThen >= t) continue;
              }
              if (conf >= t) {
                if (planned.get(a.row.id, p.id, t)) continue;
                const body = JSON.stringify(signedDataFor(p, p.userdata ?? '', t, a.row.name));
                plan(a.row.id, p.id, t, null, body, `p:${p.id}`, now);
              } else {
                done = false;
              }
            }
          }
          if (done) markDone.run(p.id);
        }
      }
    }
    // Counted after this look's own marks (plan_done), which change nothing it would plan.
    seen = { ...inputsNow, payments: changes.payments, agents: changes.agents };

    // Events, in id order (hence in order per invoice).
    const w0 = (watermarkStmt.get() as { value: number }).value;
    let w = w0;
    for (;;) {
      const evs = newEvents.all(w) as { id: number; type: string; invoice_id: string | null; payment_id: number | null }[];
      if (!evs.length) break;
      for (const e of evs) {
        w = e.id;
        if (!eventAgents.length || !CALLBACK_EVENTS.has(e.type)) continue;
        let address: string | null = null;
        if (e.invoice_id) address = (invoiceAddress.get(e.invoice_id) as { address: string } | undefined)?.address ?? null;
        else if (e.payment_id) {
          const p = paymentAddress.get(e.payment_id) as { address: string; below_anchor: number } | undefined;
          if (p?.below_anchor) continue; // as for payment callbacks above: history below the checkpoint is not announced
          address = p?.address ?? null;
        }
        for (const a of eventAgents) {
          if (e.id <= a.row.event_floor) continue;
          if (a.addresses && (address === null || !a.addresses.has(address))) continue;
          // No copy of the event's invoice snapshot: the body is built from the event row when sent (wire.ts).
          plan(a.row.id, null, null, e.id, null, e.invoice_id ? `i:${e.invoice_id}` : `e:${e.id}`, now);
        }
      }
      if (evs.length < 5000) break;
    }
    if (w !== w0) setWatermark.run(w);
  };
  return Object.assign(planner, {
    forget: (): void => {
      seen = { payments: -1, agents: -1, tip: -1, servers: -1 };
    },
  });
}
