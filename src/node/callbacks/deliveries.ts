/**
 * Deliveries (docs/spec/notifications.md, docs/spec/api.md): the API views, the request body built for an attempt, test callbacks, redelivery and
 * pruning of the log.
 */
import type { DB } from '../store/sqlite.ts';
import { SatdeskError } from '../../core/errors.ts';
import { bitcoinmonitorBody, formatCreated, xmppText, type SignedData } from '../../core/signature.ts';
import type { Delivery } from '../../shared/contract.ts';
import { newDeliveryId } from './planner.ts';
import { mustAgent, type AgentRow } from './agents.ts';

export interface DeliveryRow {
  id: string;
  notification_id: number;
  redelivery_of: string | null;
  test: number;
  state: 'PENDING' | 'RETRY' | 'SUCCESS' | 'FAILURE';
  attempts: number;
  next_attempt_at: number | null;
  created_at: number;
  ended_at: number | null;
  agent_id: string;
  order_key: string | null;
}

export interface NotificationRow {
  id: number;
  agent_id: string;
  payment_id: number | null;
  threshold: number | null;
  event_id: number | null;
  body: string;
  created_at: number;
}

interface AttemptRow {
  at: number;
  duration_ms: number;
  http_status: number | null;
  error: string | null;
  response_excerpt: string | null;
}

/** What goes on the wire for one attempt, signed with the agent's current token. */
export function requestBody(agent: Pick<AgentRow, 'format' | 'token'>, notificationBody: string): string {
  if (agent.format === 'events') return notificationBody;
  const d = JSON.parse(notificationBody) as SignedData;
  return agent.format === 'xmpp' ? xmppText(d) : bitcoinmonitorBody(d, agent.token);
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function deliveryView(db: DB, d: DeliveryRow, n?: NotificationRow, agent?: AgentRow): Delivery {
  const note = n ?? (db.prepare('SELECT * FROM notifications WHERE id = ?').get(d.notification_id) as NotificationRow);
  const a = agent ?? (db.prepare('SELECT * FROM agents WHERE id = ?').get(d.agent_id) as AgentRow);
  const attempts = db
    .prepare('SELECT at, duration_ms, http_status, error, response_excerpt FROM attempts WHERE delivery_id = ? ORDER BY id')
    .all(d.id) as AttemptRow[];
  const body = JSON.parse(note.body) as Record<string, unknown>;
  const isEvent = a.format === 'events';
  return {
    id: d.id,
    notification_id: d.notification_id,
    redelivery_of: d.redelivery_of,
    agent_id: d.agent_id,
    test: d.test === 1,
    txid: isEvent ? null : (body.txhash as string),
    address: isEvent ? null : (body.address as string),
    threshold: isEvent ? null : (body.confirmations as number),
    event: isEvent ? (body.type as string) : null,
    state: d.state,
    created_at: new Date(d.created_at).toISOString(),
    next_attempt_at: d.state === 'PENDING' || d.state === 'RETRY' ? iso(d.next_attempt_at) : null,
    ended_at: iso(d.ended_at),
    request_body: requestBody(a, note.body),
    attempts: attempts.map((t, i) => ({
      at: new Date(t.at).toISOString(),
      duration_ms: t.duration_ms,
      http_status: t.http_status,
      error: t.error,
      response_excerpt: t.response_excerpt,
      state: i < attempts.length - 1 || d.state === 'PENDING' ? 'RETRY' : d.state,
    })),
  };
}

export function mustDelivery(db: DB, id: string): DeliveryRow {
  const d = db.prepare('SELECT * FROM deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
  if (!d) throw new SatdeskError('not_found', /^dlv_[0-9a-f]{24}$/.test(id) ? `No delivery ${id}.` : 'No such delivery.');
  return d;
}

function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}:${id}`).toString('base64url');
}

function decodeCursor(c: string | undefined): [number, string] | null {
  if (c === undefined) return null;
  const m = /^(\d{1,16}):(dlv_[0-9a-f]{24})$/.exec(/^[A-Za-z0-9_-]{1,200}$/.test(c) ? Buffer.from(c, 'base64url').toString() : '');
  if (!m) throw new SatdeskError('invalid_request', 'cursor is not one this server gave');
  return [Number(m[1]), m[2]!];
}

export function listDeliveries(
  db: DB,
  q: { agent?: string; state?: DeliveryRow['state']; limit: number; cursor?: string },
): { deliveries: Delivery[]; next_cursor: string | null } {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.agent) {
    where.push('agent_id = ?');
    args.push(q.agent);
  }
  if (q.state) {
    where.push('state = ?');
    args.push(q.state);
  }
  const c = decodeCursor(q.cursor);
  if (c) {
    where.push('(created_at < ? OR (created_at = ? AND id < ?))');
    args.push(c[0], c[0], c[1]);
  }
  const rows = db
    .prepare(`SELECT * FROM deliveries ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC, id DESC LIMIT ?`)
    .all(...args, q.limit + 1) as DeliveryRow[];
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    deliveries: page.map((d) => deliveryView(db, d)),
    next_cursor: rows.length > q.limit && last ? encodeCursor(last.created_at, last.id) : null,
  };
}

const ZERO_TX = '0'.repeat(64);

/** A test callback (docs/spec/notifications.md#resend-and-test): txhash of 64 zeros, userdata "satdesk-test", header X-Satdesk-Test: 1. */
export function createTestDelivery(db: DB, agentId: string, now: number): DeliveryRow {
  const a = mustAgent(db, agentId);
  const addresses = a.addresses ? (JSON.parse(a.addresses) as string[]) : [];
  const firstAddress =
    addresses[0] ??
    (db.prepare("SELECT address FROM addresses WHERE state <> 'removed' ORDER BY id LIMIT 1").get() as { address: string } | undefined)?.address ??
    '';
  const thresholds = JSON.parse(a.thresholds) as number[];
  const signed: SignedData = {
    amount: 0,
    userdata: 'satdesk-test',
    confirmations: thresholds[0] ?? 0,
    amount_btc: '0.00000000',
    address: firstAddress,
    created: formatCreated(now),
    txhash: ZERO_TX,
    agent: a.name,
  };
  const body =
    a.format === 'events'
      ? JSON.stringify({
          id: 'evt_test',
          type: 'satdesk.test',
          created_at: new Date(now).toISOString(),
          invoice: { id: 'test', userdata: 'satdesk-test', address: firstAddress },
          payment: { txid: ZERO_TX, sats: 0 },
        })
      : JSON.stringify(signed);
  const r = db
    .prepare('INSERT INTO notifications (agent_id, payment_id, threshold, event_id, body, created_at) VALUES (?, NULL, NULL, NULL, ?, ?)')
    .run(a.id, body, now);
  const id = newDeliveryId();
  db.prepare(
    `INSERT INTO deliveries (id, notification_id, test, state, attempts, next_attempt_at, created_at, agent_id, order_key)
     VALUES (?, ?, 1, 'PENDING', 0, ?, ?, ?, NULL)`,
  ).run(id, Number(r.lastInsertRowid), now, now, a.id);
  return mustDelivery(db, id);
}

/** A resend: a new delivery of the same notification, pointing at the original. */
export function redeliver(db: DB, id: string, now: number): DeliveryRow {
  const orig = mustDelivery(db, id);
  const agent = db.prepare('SELECT * FROM agents WHERE id = ?').get(orig.agent_id) as AgentRow;
  if (agent.deleted_at !== null) throw new SatdeskError('invalid_request', 'The agent of this delivery was deleted.');
  const nid = newDeliveryId();
  db.prepare(
    `INSERT INTO deliveries (id, notification_id, redelivery_of, test, state, attempts, next_attempt_at, created_at, agent_id, order_key)
     VALUES (?, ?, ?, ?, 'PENDING', 0, ?, ?, ?, NULL)`,
  ).run(nid, orig.notification_id, orig.id, orig.test, now, now, orig.agent_id);
  return mustDelivery(db, nid);
}

/**
 * Drops ended deliveries (and their attempts) older than `days`; never a pending one. A kept resend of a pruned
 * delivery loses only its pointer. Notifications stay: they are what keeps a payment from being planned twice.
 */
export function pruneDeliveries(db: DB, now: number, days: number): number {
  const cutoff = now - days * 86_400_000;
  const doomed = `SELECT id FROM deliveries WHERE state IN ('SUCCESS', 'FAILURE') AND ended_at IS NOT NULL AND ended_at < @cutoff`;
  db.prepare(`DELETE FROM attempts WHERE delivery_id IN (${doomed})`).run({ cutoff });
  db.prepare(`UPDATE deliveries SET redelivery_of = NULL WHERE redelivery_of IN (${doomed})`).run({ cutoff });
  return db.prepare(`DELETE FROM deliveries WHERE id IN (${doomed})`).run({ cutoff }).changes;
}
