/**
 * Deliveries (docs/spec/notifications.md, docs/callbacks.md): the API views (what each attempt sent, as stored),
 * test callbacks, redelivery and pruning of the log.
 */
import { limit, prepared, type DB } from '../store/sqlite.ts';
import { SatdeskError } from '../../core/errors.ts';
import type { NetworkName } from '../../core/network.ts';
import { testEventBody, testSignedData } from '../../core/test-callback.ts';
import type { Delivery } from '../../shared/contract.ts';
import { newDeliveryId, newNotificationId } from './planner.ts';
import { mustAgent, type AgentRow } from './agents.ts';
import { lastSentBody, publicId, redactBody, sentBody, unpackHeaders, redactHeaders, wireBody, type EventRow, type NotificationContent } from './wire.ts';

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
  body: string | null;
  created_at: number;
  public_id: Buffer | string;
}

/** A notification row with its body as text (stored packed from migration 017: src/node/store/event-data.ts). */
const NOTIFICATION_COLUMNS = 'id, agent_id, payment_id, threshold, event_id, body_text(body) AS body, created_at, public_id';

interface AttemptRow {
  at: number;
  duration_ms: number;
  http_status: number | null;
  error: string | null;
  response_excerpt: string | null;
  request_headers: string | null;
  body: string | null;
}

/** A notification's content: its own body, or the event it refers to (while kept), or what was last sent. */
export function notificationContent(db: DB, n: NotificationRow): NotificationContent {
  const event = n.event_id === null ? null : ((db.prepare('SELECT id, type, event_json(data) AS data, created_at FROM events WHERE id = ?').get(n.event_id) as EventRow | undefined) ?? null);
  return { body: n.body, event, lastSent: () => lastSentBody(db, n.id) };
}

function fieldsOf(body: string | null): Record<string, unknown> {
  try {
    return body ? (JSON.parse(body) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * The API view of a delivery: each attempt with the headers it sent, and the body as sent (the last attempt's bytes;
 * before the first attempt, what will be sent). The HMAC and the md5 are withheld (wire.ts says why).
 */
export function deliveryView(db: DB, d: DeliveryRow, n?: NotificationRow, agent?: AgentRow): Delivery {
  const note = n ?? (db.prepare(`SELECT ${NOTIFICATION_COLUMNS} FROM notifications WHERE id = ?`).get(d.notification_id) as NotificationRow);
  const a = agent ?? (db.prepare('SELECT * FROM agents WHERE id = ?').get(d.agent_id) as AgentRow);
  const attempts = db
    .prepare(
      `SELECT a.at, a.duration_ms, a.http_status, a.error, a.response_excerpt, a.request_headers, body_text(b.body) AS body
       FROM attempts a LEFT JOIN sent_bodies b ON b.id = a.body_id WHERE a.delivery_id = ? ORDER BY a.id`,
    )
    .all(d.id) as AttemptRow[];
  const content = notificationContent(db, note);
  const ids = { notificationId: publicId(note.public_id), deliveryId: d.id, test: d.test === 1 };
  const isEvent = a.format === 'events';
  for (const t of attempts) t.body = sentBody(t.request_headers, t.body, note.body, ids.test);
  let body = [...attempts].reverse().find((t) => t.body !== null)?.body ?? null;
  if (body === null) {
    try {
      body = wireBody(a, content, d.test === 1);
    } catch {
      body = '';
    }
  }
  const fields = isEvent ? fieldsOf(body) : fieldsOf(note.body);
  return {
    id: d.id,
    notification_id: publicId(note.public_id),
    redelivery_of: d.redelivery_of,
    agent_id: d.agent_id,
    test: d.test === 1,
    txid: isEvent ? null : (fields.txhash as string),
    address: isEvent ? null : (fields.address as string),
    threshold: isEvent ? null : (fields.confirmations as number),
    event: isEvent ? (content.event?.type ?? (fields.type as string | undefined) ?? null) : null,
    state: d.state,
    created_at: new Date(d.created_at).toISOString(),
    next_attempt_at: d.state === 'PENDING' || d.state === 'RETRY' ? iso(d.next_attempt_at) : null,
    ended_at: iso(d.ended_at),
    request_body: redactBody(body),
    attempts: attempts.map((t, i) => ({
      at: new Date(t.at).toISOString(),
      duration_ms: t.duration_ms,
      http_status: t.http_status,
      error: t.error,
      response_excerpt: t.response_excerpt,
      state: i < attempts.length - 1 || d.state === 'PENDING' ? 'RETRY' : d.state,
      request_headers: t.request_headers ? redactHeaders(unpackHeaders(t.request_headers, ids, t.at)) : null,
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
    .prepare(`SELECT * FROM deliveries ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC, id DESC ${limit(q.limit + 1)}`)
    .all(...args) as DeliveryRow[];
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    deliveries: page.map((d) => deliveryView(db, d)),
    next_cursor: rows.length > q.limit && last ? encodeCursor(last.created_at, last.id) : null,
  };
}

/**
 * A test callback: an address that cannot be anyone's, amount 0, txhash of zeros, threshold 0, userdata
 * "satdesk-test", `X-Satdesk-Test: 1` (signed), and "test" in the text of every format (core/test-callback.ts).
 */
export function createTestDelivery(db: DB, agentId: string, network: NetworkName, now: number): DeliveryRow {
  const a = mustAgent(db, agentId);
  const body = JSON.stringify(a.format === 'events' ? testEventBody(network, now) : testSignedData(a.name, network, now));
  const r = db
    .prepare('INSERT INTO notifications (agent_id, payment_id, threshold, event_id, body, created_at, public_id) VALUES (?, NULL, NULL, NULL, ?, ?, ?)')
    .run(a.id, body, now, newNotificationId()); // text: packed later (body-packing.ts)
  const id = newDeliveryId();
  db.prepare(
    `INSERT INTO deliveries (id, notification_id, test, state, attempts, next_attempt_at, created_at, agent_id, order_key)
     VALUES (?, ?, 1, 'PENDING', 0, ?, ?, ?, NULL)`,
  ).run(id, Number(r.lastInsertRowid), now, now, a.id);
  return mustDelivery(db, id);
}

/**
 * A resend: a new delivery (new delivery id) of the same notification (same notification id, so a receiver that
 * deduplicates on it does not credit twice), pointing at the original.
 */
export function redeliver(db: DB, id: string, now: number): DeliveryRow {
  const orig = mustDelivery(db, id);
  const agent = db.prepare('SELECT * FROM agents WHERE id = ?').get(orig.agent_id) as AgentRow;
  if (agent.deleted_at !== null) throw new SatdeskError('invalid_request', 'The agent of this delivery was deleted.');
  const n = db.prepare(`SELECT ${NOTIFICATION_COLUMNS} FROM notifications WHERE id = ?`).get(orig.notification_id) as NotificationRow;
  try {
    wireBody(agent, notificationContent(db, n), orig.test === 1);
  } catch {
    throw new SatdeskError('invalid_request', 'This notification is older than what is kept and was never sent: it cannot be resent.');
  }
  const nid = newDeliveryId();
  db.prepare(
    `INSERT INTO deliveries (id, notification_id, redelivery_of, test, state, attempts, next_attempt_at, created_at, agent_id, order_key)
     VALUES (?, ?, ?, ?, 'PENDING', 0, ?, ?, ?, NULL)`,
  ).run(nid, orig.notification_id, orig.id, orig.test, now, now, orig.agent_id);
  return mustDelivery(db, nid);
}

/** What a prune of the delivery log removed, and the rows it may have left without a user. */
export interface PrunedDeliveries {
  deliveries: number;
  /** Notifications of the removed deliveries: a notification without any delivery left loses its copy of the body. */
  notificationIds: number[];
  /** Stored bodies the removed attempts sent: one no other attempt sent goes. */
  bodyIds: number[];
}

/**
 * Drops up to `limit` ended deliveries (and their attempts) older than `days`, oldest end first; never a pending one.
 * A kept resend of a pruned delivery loses only its pointer. Notifications stay: they are what keeps a payment from
 * being planned twice. Walks the ended deliveries by their end time (deliveries_ended), so a run costs what it
 * removes, not the size of the log.
 */
export function pruneDeliveries(db: DB, now: number, days: number, max = -1): PrunedDeliveries {
  const cutoff = now - days * 86_400_000;
  // `+state`: the end time, not the state, picks the rows (every delivery but the few pending ones has ended).
  const doomed = prepared(
    db,
    `SELECT id, notification_id FROM deliveries WHERE ended_at IS NOT NULL AND ended_at < ? AND +state IN ('SUCCESS', 'FAILURE')
     ORDER BY ended_at ${limit(max)}`,
  ).all(cutoff) as { id: string; notification_id: number }[];
  const bodyIds = new Set<number>();
  const dropAttempts = prepared(db, 'DELETE FROM attempts WHERE delivery_id = ? RETURNING body_id');
  const unlink = prepared(db, 'UPDATE deliveries SET redelivery_of = NULL WHERE redelivery_of = ?');
  const drop = prepared(db, 'DELETE FROM deliveries WHERE id = ?');
  for (const d of doomed) {
    for (const a of dropAttempts.all(d.id) as { body_id: number | null }[]) if (a.body_id !== null) bodyIds.add(a.body_id);
    unlink.run(d.id);
    drop.run(d.id);
  }
  return { deliveries: doomed.length, notificationIds: [...new Set(doomed.map((d) => d.notification_id))], bodyIds: [...bodyIds] };
}
