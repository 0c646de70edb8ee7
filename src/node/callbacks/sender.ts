/**
 * The callback sender (docs/spec/notifications.md): reads due deliveries from SQLite and sends them, one queue per agent with bounded
 * concurrency, so a dead endpoint only ever occupies its own agent's slots.
 *
 * - Due = state PENDING/RETRY, next_attempt_at ≤ now, and no earlier unfinished delivery with the same order key
 *   (a payment's lower threshold, or an earlier event of the same invoice) — the query itself enforces the order.
 * - Every attempt is signed at send time with the agent's current token (wire.ts), and what it sent — headers and
 *   the exact body bytes — is stored with the attempt.
 * - Results are committed in small batches (one transaction per event-loop turn or every few ms under load). A
 *   crash between a send and its commit means the same delivery, with the same id, is sent again: delivery is at
 *   least once, and nothing is ever lost because the plan was committed before the first attempt.
 * - A failed attempt schedules the next one at end-of-attempt + delay (stored), so a restart resumes on time.
 */
import http from 'node:http';
import https from 'node:https';
import type { Satdesk } from '../service.ts';
import { nextDeliveryState } from '../../core/delivery.ts';
import type { DeliveryState } from '../../core/vocabulary.ts';
import { insertEvent } from '../events.ts';
import type { AgentRow } from './agents.ts';
import { deliveryView, mustDelivery, type DeliveryRow } from './deliveries.ts';
import { bodyStore, lastSentBody, packAttempt, publicId, wireRequest, type PackedAttempt, type WireIds, type WireRequest } from './wire.ts';
import { postOnce, type PostResult } from './http-post.ts';
import { XmppLink } from './xmpp.ts';
import { unpackText } from '../store/event-data.ts';
import { limit, statementCache } from '../store/sqlite.ts';

export interface SenderOptions {
  /** Requests in flight per agent (default 4). */
  concurrency?: number;
  /** Longest wait before committing finished attempts (default 20 ms): one commit per batch under load. */
  flushMs?: number;
  log?: (line: string) => void;
}

/**
 * A due delivery as read. The body and the event's data stay as stored (packed: src/node/store/event-data.ts) until the
 * attempt: a pump reads every due row again to find the new ones, and unpacking them all there cost more than sending.
 */
interface DueRow extends DeliveryRow {
  body: Buffer | string | null;
  public_id: Buffer | string;
  event_id: number | null;
  event_type: string | null;
  event_data: Buffer | string | null;
  event_created_at: number | null;
}

interface Finished {
  deliveryId: string;
  agentId: string;
  at: number;
  end: number;
  result: PostResult;
  /** What this attempt sent (null when it failed before anything could be built). */
  request: WireRequest | null;
  /** How it is stored (packed before the write that records it: nothing but SQL runs inside that transaction). */
  packed: PackedAttempt | null;
}

/** Due deliveries of one agent, oldest first, each after the earlier ones of its order (docs/spec/notifications.md). */
const DUE =
  `SELECT d.*, n.body AS body, n.public_id AS public_id, n.event_id AS event_id, ev.type AS event_type, ev.data AS event_data,
           ev.created_at AS event_created_at
         FROM deliveries d JOIN notifications n ON n.id = d.notification_id LEFT JOIN events ev ON ev.id = n.event_id
         WHERE d.agent_id = ? AND d.state IN ('PENDING', 'RETRY') AND d.next_attempt_at <= ?
           AND (d.order_key IS NULL OR NOT EXISTS (
                 SELECT 1 FROM deliveries e WHERE e.agent_id = d.agent_id AND e.order_key = d.order_key
                   AND e.state IN ('PENDING', 'RETRY') AND e.notification_id < d.notification_id))
         ORDER BY d.next_attempt_at, d.notification_id`;

interface AgentQueue {
  active: number;
  known: Set<string>;
  queue: DueRow[];
  exhausted: boolean;
  agents: { http: http.Agent; https: https.Agent };
}

export class CallbackSender {
  private readonly queues = new Map<string, AgentQueue>();
  private readonly concurrency: number;
  private readonly flushMs: number;
  private readonly log: (line: string) => void;
  private running = false;
  private pumpQueued = false;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private flushTimer: NodeJS.Timeout | null = null;
  private finished: Finished[] = [];
  private readonly xmpp: XmppLink;
  private readonly unhook: () => void;
  private dirty = true;
  private readonly stmts: ReturnType<CallbackSender['prepare']>;

  constructor(
    private readonly service: Satdesk,
    opts: SenderOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 4;
    this.flushMs = opts.flushMs ?? 20;
    this.log = opts.log ?? (() => {});
    this.xmpp = new XmppLink(() => this.service.settings.xmpp);
    this.stmts = this.prepare();
    // New deliveries only come from writes that change facts; the sender's own bookkeeping wakes it itself.
    this.unhook = service.onCommit((c) => {
      if (c.kind === 'facts') this.wake();
    });
  }

  private prepare() {
    const db = this.service.db;
    const cached = statementCache(db);
    return {
      agents: db.prepare('SELECT * FROM agents WHERE enabled = 1 AND deleted_at IS NULL'),
      agent: db.prepare('SELECT * FROM agents WHERE id = ?'),
      // The limit is part of the text (docs/decisions/0106-literal-limits.md), rounded up to a multiple of 32 so that
      // a handful of statements serve every queue length.
      due: (n: number) => cached(`${DUE} ${limit(Math.ceil(n / 32) * 32)}`),
      nextDue: db.prepare(
        `SELECT next_attempt_at AS t FROM deliveries INDEXED BY deliveries_due
         WHERE state IN ('PENDING', 'RETRY') AND next_attempt_at > ? ORDER BY next_attempt_at LIMIT 1`,
      ),
      insertAttempt: db.prepare(
        `INSERT INTO attempts (delivery_id, at, duration_ms, http_status, error, response_excerpt, request_headers, body_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      storeBody: bodyStore(db),
      current: db.prepare('SELECT attempts, state FROM deliveries WHERE id = ?'),
      step: db.prepare(
        "UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, ended_at = ? WHERE id = ? AND state IN ('PENDING', 'RETRY')",
      ),
      delays: db.prepare('SELECT retry_delays FROM agents WHERE id = ?'),
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unhook();
    if (this.timer) clearTimeout(this.timer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.timer = this.flushTimer = null;
    this.flush();
    for (const q of this.queues.values()) {
      q.agents.http.destroy();
      q.agents.https.destroy();
    }
    await this.xmpp.close();
  }

  /** Something was committed (or a timer fired): look for due deliveries soon. */
  wake(): void {
    this.dirty = true;
    for (const q of this.queues.values()) q.exhausted = false;
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpQueued || !this.running) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      try {
        this.pump();
      } catch (e) {
        this.log(`callback sender: ${(e as Error).message}`);
      }
    });
  }

  private queueOf(agentId: string): AgentQueue {
    let q = this.queues.get(agentId);
    if (!q) {
      q = {
        active: 0,
        known: new Set(),
        queue: [],
        exhausted: false,
        agents: {
          http: new http.Agent({ keepAlive: true, maxSockets: this.concurrency }),
          https: new https.Agent({ keepAlive: true, maxSockets: this.concurrency }),
        },
      };
      this.queues.set(agentId, q);
    }
    return q;
  }

  private pump(): void {
    if (!this.running) return;
    const now = this.service.clock.now();
    const agents = this.stmts.agents.all() as AgentRow[];
    for (const agent of agents) {
      const q = this.queueOf(agent.id);
      if (q.queue.length < this.concurrency && !q.exhausted) {
        const want = 256 + q.known.size;
        const rows = (this.stmts.due(want).all(agent.id, now) as DueRow[]).slice(0, want);
        let added = 0;
        for (const r of rows) {
          if (q.known.has(r.id)) continue;
          q.known.add(r.id);
          q.queue.push(r);
          added++;
        }
        if (!added) q.exhausted = true;
      }
      while (q.active < this.concurrency && q.queue.length) {
        const row = q.queue.shift()!;
        q.active++;
        void this.attempt(agent.id, row).finally(() => {
          q.active--;
          this.schedulePump();
        });
      }
    }
    // Re-arm only after something changed: a completion alone moves no stored due time.
    if (this.dirty) {
      this.dirty = false;
      this.armTimer(now);
    }
  }

  private armTimer(now: number): void {
    const r = this.stmts.nextDue.get(now) as { t: number } | undefined;
    const at = r?.t ?? now + 60_000;
    if (this.timer && at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.wake();
    }, Math.min(60_000, Math.max(0, at - now)));
    this.timer.unref();
  }

  private async attempt(agentId: string, row: DueRow): Promise<void> {
    // The agent as it is now: the current token signs this attempt (docs/spec/notifications.md#attempts-and-retries).
    const agent = this.stmts.agent.get(agentId) as AgentRow;
    const at = this.service.clock.now();
    let result: PostResult;
    let request: WireRequest | null = null;
    const ids: WireIds = { notificationId: publicId(row.public_id), deliveryId: row.id, test: row.test === 1 };
    let note: string | null = null;
    try {
      note = row.body === null ? null : unpackText(row.body);
      const db = this.service.db;
      const event =
        row.event_id !== null && row.event_type !== null
          ? { id: row.event_id, type: row.event_type, data: unpackText(row.event_data!), created_at: row.event_created_at! }
          : null;
      request = wireRequest(
        agent,
        { body: note, event, lastSent: () => lastSentBody(db, row.notification_id) },
        ids,
        Math.floor(Date.now() / 1000),
      );
      if (agent.format === 'xmpp') {
        await this.xmpp.send(agent.jid!, request.body, agent.timeout_s * 1000);
        result = { status: null, error: null, excerpt: null };
      } else {
        result = await postOnce(agent.url!, request.body, Object.fromEntries(request.headers), agent.timeout_s * 1000, this.queueOf(agentId).agents);
      }
    } catch (e) {
      result = { status: null, error: (e as Error).message || String(e), excerpt: null };
    }
    if (!this.running) return;
    const packed = request ? packAttempt(request, ids, note, at) : null;
    this.finished.push({ deliveryId: row.id, agentId, at, end: this.service.clock.now(), result, request, packed });
    if (this.finished.length >= 512) this.flush();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), this.flushMs);
    }
  }

  /** Commits finished attempts in one transaction. */
  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const batch = this.finished;
    if (!batch.length) return;
    this.finished = [];
    const db = this.service.db;
    const { insertAttempt, current, step, storeBody } = this.stmts;
    const delays = new Map<string, number[]>();
    try {
      this.service.record(() => {
        for (const f of batch) {
          insertAttempt.run(
            f.deliveryId,
            f.at,
            Math.max(0, f.end - f.at),
            f.result.status,
            f.result.error,
            f.result.excerpt,
            f.packed?.headers ?? null,
            f.request && f.packed!.keepBody ? storeBody(f.request.body) : null,
          );
          const d = current.get(f.deliveryId) as { attempts: number; state: DeliveryState } | undefined;
          if (!d) continue;
          let ds = delays.get(f.agentId);
          if (!ds) {
            const a = this.stmts.delays.get(f.agentId) as { retry_delays: string };
            ds = JSON.parse(a.retry_delays) as number[];
            delays.set(f.agentId, ds);
          }
          const next = nextDeliveryState(d, f.result, f.end, ds);
          if (!next) continue;
          step.run(next.state, next.attempts, next.nextAttemptAt, next.endedAt, f.deliveryId);
          if (next.state === 'FAILURE') {
            const view = deliveryView(db, mustDelivery(db, f.deliveryId));
            insertEvent(db, 'delivery.failed', null, null, { delivery: view }, f.end);
          }
        }
      });
      // Retries were scheduled: re-arm the timer and look for what is due now.
      this.wake();
    } catch (e) {
      // Not committed: the deliveries stay due and are sent again with the same ids.
      this.log(`callback sender: could not record attempts: ${(e as Error).message}`);
      setTimeout(() => this.wake(), 1000).unref();
    }
    for (const f of batch) this.queues.get(f.agentId)?.known.delete(f.deliveryId);
  }
}
