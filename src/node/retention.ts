/**
 * Maintenance (docs/security.md, "Retention"): what would otherwise grow forever is pruned or compacted on a
 * schedule the merchant can see (settings `events_days`, `delivery_log_days`; sysinfo `maintenance`), never anything
 * pending.
 *
 * Each run, in small write transactions with the event loop free between them:
 * - idempotency keys older than 24 h;
 * - ended deliveries (and their attempts) older than `delivery_log_days`, then what only they used: the stored
 *   request bodies, event and test notifications left without a delivery, and the body of a payment notification
 *   left without one (its row stays: it is what keeps a payment from being planned twice);
 * - the callback bodies written as text since the last run are packed (src/node/callbacks/body-packing.ts);
 * - the rows of payment notifications left without a delivery once their payment is settled, and those of deleted
 *   agents (src/node/callbacks/markers.ts, docs/decisions/0090-settled-planning-markers.md);
 * - events older than `events_days`, except the newest (ids never restart), any the callback planner has not read
 *   yet, and any a pending delivery still needs. A stream resuming from before the pruned range gets `reload`.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Satdesk } from './service.ts';
import { pruneDeliveries } from './callbacks/deliveries.ts';
import { prunedThrough } from './events.ts';
import { markerPruning, settleDepth } from './callbacks/markers.ts';
import { packBodies } from './callbacks/body-packing.ts';

export const MAINTENANCE_EVERY_MS = 3_600_000;
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
const BATCH = 5000;
const DELIVERY_BATCH = 1000;

export interface PruneReport {
  idempotency_keys: number;
  deliveries: number;
  notifications: number;
  bodies: number;
  events: number;
}

export interface MaintenanceInfo {
  every_s: number;
  last_run_at: string | null;
  next_run_at: string | null;
  last_removed: PruneReport | null;
  events_days: number;
  delivery_log_days: number;
  idempotency_hours: number;
  oldest_event_id: number | null;
  events_pruned_through: number;
}

const PENDING_EVENT_IDS = `SELECT n.event_id FROM notifications n JOIN deliveries d ON d.notification_id = n.id
  WHERE n.event_id BETWEEN @lo AND @hi AND d.state IN ('PENDING', 'RETRY')`;

/** The largest event id created before `cutoff` (ids and creation times grow together): a binary search on rowid. */
function lastEventBefore(service: Satdesk, cutoff: number): number {
  const db = service.db;
  // Two subqueries: each reads one end of the rowid tree (MIN and MAX in one SELECT walk every event).
  const bounds = db.prepare('SELECT (SELECT MIN(id) FROM events) AS lo, (SELECT MAX(id) FROM events) AS hi').get() as { lo: number | null; hi: number | null };
  if (bounds.lo === null || bounds.hi === null) return 0;
  const at = db.prepare('SELECT id, created_at FROM events WHERE id >= ? ORDER BY id LIMIT 1');
  let lo = bounds.lo;
  let hi = bounds.hi;
  let best = 0;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const r = at.get(mid) as { id: number; created_at: number } | undefined;
    if (r && r.created_at < cutoff) {
      best = r.id;
      lo = r.id + 1;
    } else hi = mid - 1;
  }
  return best;
}

/** One maintenance run at `now`. */
export async function pruneAll(service: Satdesk, now: number): Promise<PruneReport> {
  const db = service.db;
  const s = service.settings;
  const report: PruneReport = { idempotency_keys: 0, deliveries: 0, notifications: 0, bodies: 0, events: 0 };
  service.record(() => {
    report.idempotency_keys = db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?').run(now - IDEMPOTENCY_TTL_MS).changes;
  });
  await yieldToLoop();

  // The delivery log, a batch at a time; then what only the removed deliveries used. Nothing else removes a delivery
  // or an attempt, and a notification or a body is written with its delivery or attempt, so these are the only rows a
  // run can leave without a user: the run costs what it removes, not the size of the log.
  const orphan = 'NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.notification_id = notifications.id)';
  const dropNotification = db.prepare(`DELETE FROM notifications WHERE id = ? AND payment_id IS NULL AND ${orphan}`);
  const dropCopy = db.prepare(`UPDATE notifications SET body = NULL WHERE id = ? AND payment_id IS NOT NULL AND body IS NOT NULL AND ${orphan}`);
  const dropBody = db.prepare('DELETE FROM sent_bodies WHERE id = ? AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.body_id = sent_bodies.id)');
  for (let more = true; more; ) {
    service.record(() => {
      const pruned = pruneDeliveries(db, now, s.delivery_log_days, DELIVERY_BATCH);
      more = pruned.deliveries === DELIVERY_BATCH;
      report.deliveries += pruned.deliveries;
      for (const id of pruned.notificationIds) report.notifications += dropNotification.run(id).changes + dropCopy.run(id).changes;
      for (const id of pruned.bodyIds) report.bodies += dropBody.run(id).changes;
    });
    await yieldToLoop();
  }

  // Callback bodies written as text since the last run (src/node/callbacks/body-packing.ts).
  await packBodies(db, (fn) => service.record(fn));

  // Settled planning markers, a batch at a time along the index of markers left without a delivery.
  const markers = markerPruning(db, BATCH);
  const tip = service.tipHeight();
  const depth = settleDepth(db);
  for (let page = markers.next(0); page; page = markers.next(page.hi)) {
    const { lo, hi } = page;
    service.record(() => {
      report.notifications += markers.run(lo, hi, tip, depth);
    });
    await yieldToLoop();
  }

  const newest = (db.prepare('SELECT MAX(id) AS m FROM events').get() as { m: number | null }).m ?? 0;
  const planned = (db.prepare("SELECT value FROM outbox_state WHERE key = 'events_watermark'").get() as { value: number }).value;
  const upTo = Math.min(lastEventBefore(service, now - s.events_days * 86_400_000), newest - 1, planned);
  let lo = prunedThrough(db) + 1;
  const release = db.prepare(`UPDATE notifications SET event_id = NULL WHERE event_id BETWEEN @lo AND @hi AND event_id NOT IN (${PENDING_EVENT_IDS})`);
  const drop = db.prepare(`DELETE FROM events WHERE id BETWEEN @lo AND @hi AND id NOT IN (${PENDING_EVENT_IDS})`);
  const floor = db.prepare("INSERT INTO outbox_state (key, value) VALUES ('events_pruned_through', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  while (lo <= upTo) {
    const hi = Math.min(upTo, lo + BATCH - 1);
    service.record(() => {
      release.run({ lo, hi });
      report.events += drop.run({ lo, hi }).changes;
      floor.run(hi);
    });
    lo = hi + 1;
    await yieldToLoop();
  }
  return report;
}

/** Runs `pruneAll` at start (shortly after) and every hour; says what it did and when it runs next. */
export class Maintenance {
  private timer: NodeJS.Timeout | null = null;
  private lastRun: number | null = null;
  private nextRun: number | null = null;
  private lastReport: PruneReport | null = null;
  private running: Promise<PruneReport> | null = null;

  constructor(
    private readonly service: Satdesk,
    private readonly opts: { everyMs?: number; firstAfterMs?: number; log?: (line: string) => void } = {},
  ) {}

  start(): void {
    this.schedule(this.opts.firstAfterMs ?? 5_000);
  }

  stop(): Promise<unknown> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.nextRun = null;
    return this.running ?? Promise.resolve();
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.nextRun = this.service.clock.now() + ms;
    this.timer = setTimeout(() => {
      void this.runNow().finally(() => {
        if (this.timer) this.schedule(this.opts.everyMs ?? MAINTENANCE_EVERY_MS);
      });
    }, ms);
    this.timer.unref();
  }

  /** One run now (tests give a `now` in the future); runs never overlap. */
  runNow(now = this.service.clock.now()): Promise<PruneReport> {
    this.running ??= pruneAll(this.service, now)
      .then(
        (r) => {
          this.lastRun = now;
          this.lastReport = r;
          if (r.events || r.deliveries || r.idempotency_keys) {
            this.opts.log?.(`maintenance: pruned ${r.events} events, ${r.deliveries} deliveries, ${r.idempotency_keys} idempotency keys`);
          }
          return r;
        },
        (e: unknown) => {
          this.opts.log?.(`maintenance failed: ${(e as Error).message}`);
          throw e;
        },
      )
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  info(): MaintenanceInfo {
    const db = this.service.db;
    const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
    return {
      every_s: (this.opts.everyMs ?? MAINTENANCE_EVERY_MS) / 1000,
      last_run_at: iso(this.lastRun),
      next_run_at: iso(this.nextRun),
      last_removed: this.lastReport,
      events_days: this.service.settings.events_days,
      delivery_log_days: this.service.settings.delivery_log_days,
      idempotency_hours: IDEMPOTENCY_TTL_MS / 3_600_000,
      oldest_event_id: (db.prepare('SELECT MIN(id) AS m FROM events').get() as { m: number | null }).m,
      events_pruned_through: prunedThrough(db),
    };
  }
}
