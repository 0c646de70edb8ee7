/**
 * The event stream cannot be turned against the server (docs/security.md): clients that never read while tens of
 * thousands of stored events replay neither block the event loop nor grow memory; a reader gets every event once,
 * in order, including those committed mid-replay; a resume from before what is kept answers `reload`; streams are
 * capped.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import { until } from '../helpers/callbacks.ts';
import type { App } from '../../src/node/app.ts';

const EVENTS = 30_000;
let app: App;
let api: ApiClient;

/** Stored events the way the service writes them, ~1.2 KB each (an invoice snapshot). */
function fillEvents(n: number): void {
  const data = JSON.stringify({ invoice: { id: 'x'.repeat(16), label: 'y'.repeat(1100) } });
  const ins = app.db.prepare("INSERT INTO events (type, payment_id, data, created_at) VALUES ('chain.tip', NULL, ?, ?)");
  app.db.transaction(() => {
    for (let i = 0; i < n; i++) ins.run(data, Date.now());
  })();
}

/** Opens an SSE request on a raw socket; `read` false = a client that never reads a byte. */
function openStream(lastId: number, read: boolean): Promise<{ socket: net.Socket; text: () => string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(app.api!.port, '127.0.0.1');
    let text = '';
    s.on('error', () => {});
    s.on('connect', () => {
      s.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${app.token}\r\nLast-Event-ID: ${lastId}\r\n\r\n`);
      if (read) s.on('data', (d: Buffer) => (text += d.toString('utf8')));
      else s.pause();
      resolve({ socket: s, text: () => text });
    });
    s.on('error', reject);
  });
}

beforeAll(async () => {
  ({ app, api } = await startTestApp({ maxStreams: 12 }));
  fillEvents(EVENTS);
});
afterAll(async () => app.close());

describe('the bounded event stream', () => {
  it('eight clients replaying 30,000 events that never read: the server answers at once and memory stays flat', async () => {
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    const idle = await Promise.all(Array.from({ length: 8 }, () => openStream(0, false)));
    try {
      await until(() => app.api!.streams.count === 8, 'eight streams open');
      // Each replay stops where its client's socket buffer is full and waits for it to read: it neither writes the
      // 36 MB of history into memory nor runs to the end in one go (the old replay did both, per client).
      await until(() => app.api!.streams.parked === 8, 'eight replays parked');
      // Meanwhile the server answers everyone else. (How fast: `npm run bench -- sse`, /health p99 during replays.)
      for (let i = 0; i < 20; i++) expect((await api.get('/health')).status).toBe(200);
      await until(() => app.api!.streams.parked === 8, 'still parked: none ran to its end');
      // Unbounded buffering would hold 8 × 36 MB here.
      expect(process.memoryUsage().rss - rss0).toBeLessThan(120 * 1024 * 1024);
    } finally {
      for (const c of idle) c.socket.destroy();
    }
    await until(() => app.api!.streams.count === 0, 'streams closed');
    expect(app.api!.streams.parked).toBe(0);
  });

  it('a reader gets every event once and in order, those committed during the replay included', async () => {
    const before = app.service.bus.lastId;
    const reader = await openStream(0, true);
    // Commit new events while the replay is under way.
    await api.post('/addresses', { addresses: ['bcrt1qn7d2x7272lznt5hhk9s07q3cqnrqljnwladrd3'] });
    const inv = (await api.post('/invoices', { amount_sats: 5000, userdata: 'mid-replay' })).body;
    await api.post(`/invoices/${inv.id}/cancel`);
    const last = app.service.bus.lastId;
    expect(last).toBeGreaterThan(before);
    await until(() => reader.text().includes(`id: ${last}\n`), 'the last event', 30_000);
    const ids = [...reader.text().matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids.length).toBe(last);
    expect(ids).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    reader.socket.destroy();
  });

  it('a resume from before the oldest kept event answers one reload event, then follows live', async () => {
    app.db.prepare("INSERT OR REPLACE INTO outbox_state (key, value) VALUES ('events_pruned_through', ?)").run(100);
    const old = await openStream(50, true);
    await until(() => /event: reload\n/.test(old.text()), 'reload');
    const head = app.service.bus.lastId;
    expect(old.text()).toContain(`id: ${head}\nevent: reload\n`);
    expect(old.text()).not.toMatch(/^id: (?!\d+\nevent: reload)\d+\nevent: chain\.tip/m);
    const inv = (await api.post('/invoices', { amount_sats: 6000 })).body;
    await until(() => old.text().includes('event: invoice.created'), 'live after reload');
    expect(old.text()).toContain(inv.id);
    old.socket.destroy();
    // At the floor itself nothing was lost: a normal replay.
    const ok = await openStream(100, true);
    await until(() => ok.text().includes('id: 101\n'), 'replay from 101');
    expect(ok.text()).not.toContain('event: reload');
    ok.socket.destroy();
    app.db.prepare("DELETE FROM outbox_state WHERE key = 'events_pruned_through'").run();
  });

  it('at most maxStreams streams: the next one gets 503 too_many_streams, a slot frees when one closes', async () => {
    await until(() => app.api!.streams.count === 0, 'no streams left over');
    const open = await Promise.all(Array.from({ length: 12 }, () => openStream(app.service.bus.lastId, true)));
    await until(() => app.api!.streams.count === 12, 'twelve streams');
    const res = await fetch(`${api.base}/api/v1/events`, { headers: { Authorization: `Bearer ${app.token}` } });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('too_many_streams');
    open[0]!.socket.destroy();
    await until(() => app.api!.streams.count === 11, 'a slot freed');
    const again = await openStream(app.service.bus.lastId, true);
    await until(() => again.text().startsWith('HTTP/1.1 200'), '200 after a slot freed');
    for (const c of [...open, again]) c.socket.destroy();
  });
});
