/**
 * GET /api/v1/events: Server-Sent Events (`id:` increasing, `event:` type, `data:` JSON), resumable with
 * Last-Event-ID. Bounded so that no client can hurt the server (docs/security.md):
 * - the replay reads stored events a page at a time and waits for `drain` before the next page, yielding to the
 *   event loop between pages: a client that never reads holds one socket buffer, not the table;
 * - while following live, a client whose unread output passes LIVE_BUFFER_BYTES is dropped (it resumes from the
 *   database with Last-Event-ID when it comes back);
 * - a resume from before the oldest kept event answers one `reload` event: what it missed is gone, reload state;
 * - at most `maxStreams` streams at once; the next one gets 503 too_many_streams.
 */
import type http from 'node:http';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Satdesk } from '../service.ts';
import { eventsAfter, prunedThrough, type StoredEvent } from '../events.ts';
import { sendError } from './respond.ts';

const PAGE = 500;
const LIVE_BUFFER_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_STREAMS = 64;

export function eventFrame(e: StoredEvent): string {
  const data = JSON.stringify({ ...e.data, id: e.id, type: e.type, created_at: new Date(e.created_at).toISOString() });
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${data}\n\n`;
}

export class EventStreams {
  private open = 0;

  constructor(
    private readonly service: Satdesk,
    private readonly maxStreams = DEFAULT_MAX_STREAMS,
  ) {}

  get count(): number {
    return this.open;
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

    const floor = prunedThrough(this.service.db);
    if (last < floor) {
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
    const replay = async (): Promise<void> => {
      for (;;) {
        if (closed) return;
        const batch = eventsAfter(this.service.db, last, PAGE);
        if (!batch.length) break;
        let ok = true;
        for (const e of batch) {
          last = e.id;
          ok = res.write(eventFrame(e));
        }
        if (!ok) await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
        else await yieldToLoop();
      }
      // Caught up: the same synchronous turn subscribes, so no committed event falls between the two.
      if (!closed) unsubscribe = bus.subscribe(follow);
    };
    replay().catch(() => res.destroy());
  }
}
