/**
 * GET /api/v1/events (docs/spec/api.md#the-event-stream): Server-Sent Events with increasing ids, the event type, JSON data; resumable with
 * Last-Event-ID so a client that dropped misses nothing; the token in the header or as ?token=.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payments, networks } from 'bitcoinjs-lib';
import { bip32 } from '../../src/core/ecc.ts';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import { waitFor } from '../helpers/wait.ts';
import type { App } from '../../src/node/app.ts';

const root = bip32.fromSeed(new Uint8Array(32).fill(5), networks.regtest);
const addr = (i: number): string => payments.p2wpkh({ pubkey: root.derivePath(`m/0/${i}`).publicKey, network: networks.regtest }).address!;

interface Sse {
  id: number;
  event: string;
  data: any;
}

/** A real SSE client over fetch: parses frames as they stream in. */
function listen(url: string, headers: Record<string, string> = {}): { events: Sse[]; status: Promise<number>; close(): void } {
  const ctl = new AbortController();
  const events: Sse[] = [];
  let resolveStatus!: (n: number) => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  void (async () => {
    try {
      const res = await fetch(url, { headers, signal: ctl.signal });
      resolveStatus(res.status);
      if (!res.ok || !res.body) return;
      const dec = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += dec.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const f: Record<string, string> = {};
          for (const line of frame.split('\n')) {
            const m = /^(\w+): ?(.*)$/.exec(line);
            if (m) f[m[1]!] = m[2]!;
          }
          if (f.id) events.push({ id: Number(f.id), event: f.event!, data: JSON.parse(f.data!) });
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return { events, status, close: () => ctl.abort() };
}

let app: App;
let api: ApiClient;
beforeAll(async () => {
  const r = await startTestApp();
  app = r.app;
  api = r.api;
  await api.post('/addresses', { addresses: [addr(0), addr(1), addr(2)] });
});
afterAll(async () => app.close());

describe('the event stream', () => {
  it('pushes committed events with increasing ids, and a resumed stream misses nothing and repeats nothing', async () => {
    const a = listen(`${api.base}/api/v1/events?token=${api.token}`);
    expect(await a.status).toBe(200);
    const first = (await api.post('/invoices', { amount_sats: 1111, userdata: 'sse-1' })).body;
    const got = await waitFor(() => a.events.find((e) => e.event === 'invoice.created'), Boolean, 'invoice.created on the stream');
    expect(got!.data.invoice.id).toBe(first.id);
    expect(got!.data.type).toBe('invoice.created');
    a.close();
    const lastSeen = Math.max(...a.events.map((e) => e.id));

    // While disconnected: two more things happen.
    const second = (await api.post('/invoices', { amount_sats: 2222, userdata: 'sse-2' })).body;
    await api.post(`/invoices/${second.id}/cancel`);

    const b = listen(`${api.base}/api/v1/events`, { Authorization: `Bearer ${api.token}`, 'Last-Event-ID': String(lastSeen) });
    expect(await b.status).toBe(200);
    await waitFor(() => b.events.filter((e) => e.data.invoice?.id === second.id).map((e) => e.event), (t) => t.includes('invoice.cancelled'), 'the missed events');
    const ids = b.events.map((e) => e.id);
    expect(ids[0]).toBe(lastSeen + 1);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(ids.length);
    expect(b.events.some((e) => e.data.invoice?.id === first.id && e.event === 'invoice.created')).toBe(false);
    b.close();
  });

  it('needs the token, and refuses a malformed Last-Event-ID', async () => {
    const noToken = listen(`${api.base}/api/v1/events`);
    expect(await noToken.status).toBe(401);
    const wrong = listen(`${api.base}/api/v1/events?token=nope-nope-nope`);
    expect(await wrong.status).toBe(401);
    const bad = listen(`${api.base}/api/v1/events?token=${api.token}`, { 'Last-Event-ID': 'yesterday' });
    expect(await bad.status).toBe(400);
  });
});
