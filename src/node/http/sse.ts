/**
 * GET /api/v1/events: Server-Sent Events (`id:` increasing, `event:` type, `data:` JSON), resumable with
 * Last-Event-ID. Bounded so that no client can hurt the server (docs/security.md):
 * - replays are paged and share one time budget per event-loop turn (ReplayScheduler): however many clients
 *   replay, each turn spends at most a few milliseconds on them, round robin, so /health and everyone else stay
 *   fast; a client that does not read is parked until `drain` and holds one socket buffer, not the table;
 * - while following live, a client whose unread output passes LIVE_BUFFER_BYTES is dropped (it resumes from the
 *   database with Last-Event-ID when it comes back);
 * - a resume from before the oldest kept event answers one `reload` event: what it missed is gone, reload state;
 * - at most `maxStreams` streams at once; the next one gets 503 too_many_streams.
 */
import type http from 'node:http';
import type { Statement } from 'better-sqlite3';
import type { Satdesk } from '../service.ts';
import { eventJson, prunedThrough, type StoredEvent } from '../events.ts';
import { sendError } from './respond.ts';
import { limit } from '../store/sqlite.ts';

const PAGE = 100;
const TURN_BUDGET_MS = 6;
const LIVE_BUFFER_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_STREAMS = 64;

interface RawEvent {
  id: number;
  type: string;
  data: string;
  created_at: number;
}

/** One SSE frame. The stored JSON is extended in place (no parse and re-stringify per event on a replay). */
function frame(id: number, type: string, data: string, createdAt: number): string {
  const extra = `"id":${id},"type":${JSON.stringify(type)},"created_at":"${new Date(createdAt).toISOString()}"`;
  const body = data.length > 2 ? `${data.slice(0, -1)},${extra}}` : `{${extra}}`;
  return `id: ${id}\nevent: ${type}\ndata: ${body}\n\n`;
}

export function eventFrame(e: StoredEvent): string {
  return frame(e.id, e.type, eventJson(e), e.created_at);
}

interface Replay {
  /** Writes the next page; true when the replay is over (caught up, or the client went away). */
  step(): boolean;
  blocked: boolean;
}

/** Runs all replays round robin within TURN_BUDGET_MS per event-loop turn. */
class ReplayScheduler {
  private readonly active = new Set<Replay>();
  private scheduled = false;

  add(r: Replay): void {
    this.active.add(r);
    this.schedule();
  }

  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.turn());
  }

  private turn(): void {
    this.scheduled = false;
    const end = performance.now() + TURN_BUDGET_MS;
    let runnable = true;
    while (runnable && performance.now() < end) {
      runnable = false;
      for (const r of this.active) {
        if (r.blocked) continue;
        if (r.step()) this.active.delete(r);
        else if (!r.blocked) runnable = true;
        if (performance.now() >= end) break;
      }
    }
    if ([...this.active].some((r) => !r.blocked)) this.schedule();
  }

  /** Replays waiting for their client to read (each holds one socket buffer). */
  get parked(): number {
    return [...this.active].filter((r) => r.blocked).length;
  }
}

export class EventStreams {
  private open = 0;
  private readonly scheduler = new ReplayScheduler();
  private readonly page: Statement;

  constructor(
    private readonly service: Satdesk,
    private readonly maxStreams = DEFAULT_MAX_STREAMS,
  ) {
    this.page = service.db.prepare(`SELECT id, type, event_json(data) AS data, created_at FROM events WHERE id > ? ORDER BY id ${limit(PAGE)}`);
  }

  get count(): number {
    return this.open;
  }

  /** Replays parked until their client reads: what a client that never reads costs (tests look at it). */
  get parked(): number {
    return this.scheduler.parked;
  }

  serve(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const h = req.headers['last-event-id'];
    const lastHeader = (Array.isArray(h) ? h[0] : h) ?? url.searchParams.get('last_event_id') ?? undefined;
    const bus = this.service.bus;
    let last = lastHeader !== undefined && /^\d{1,16}$/.test(lastHeader) ? Number(lastHeader) : lastHeader === undefined ? bus.lastId : NaN;
    if (!Number.isSafeInteger(last) || last < 0) {
      sendError(res, 'invalid_request', 'Last-Event-ID must be an event id');
      return;
    }
    if (this.open >= this.maxStreams) {
      sendError(res, 'too_many_streams', `At most ${this.maxStreams} event streams at once; close another and retry.`, { 'Retry-After': '5' });
      return;
    }
    this.open++;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write('retry: 2000\n\n');
    let closed = false;
    let unsubscribe = (): void => {};
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    ping.unref();
    const stop = (): void => {
      if (closed) return;
      closed = true;
      this.open--;
      clearInterval(ping);
      unsubscribe();
    };
    req.on('close', stop);
    res.on('close', stop);
    res.on('error', stop);

    if (last < prunedThrough(this.service.db)) {
      // What the client missed was pruned: tell it to reload its state, then carry on from now.
      last = bus.lastId;
      res.write(`id: ${last}\nevent: reload\ndata: ${JSON.stringify({ type: 'reload', id: last, reason: 'events before the resume point were pruned; reload the state' })}\n\n`);
    }
    const follow = (e: StoredEvent): void => {
      if (closed || e.id <= last) return;
      last = e.id;
      res.write(eventFrame(e));
      if (res.writableLength > LIVE_BUFFER_BYTES) res.destroy();
    };
    const replay: Replay = {
      blocked: false,
      step: () => {
        if (closed) return true;
        const rows = this.page.all(last) as RawEvent[];
        if (!rows.length) {
          // Caught up: subscribing in this same synchronous step means no committed event falls in between.
          unsubscribe = bus.subscribe(follow);
          return true;
        }
        let out = '';
        for (const r of rows) out += frame(r.id, r.type, r.data, r.created_at);
        last = rows[rows.length - 1]!.id;
        if (!res.write(out)) {
          // The client is not reading: park this replay until it drains (or goes away).
          replay.blocked = true;
          const wake = (): void => {
            res.off('drain', wake);
            res.off('close', wake);
            replay.blocked = false;
            this.scheduler.schedule();
          };
          res.on('drain', wake);
          res.on('close', wake);
        }
        return false;
      },
    };
    this.scheduler.add(replay);
  }
}
