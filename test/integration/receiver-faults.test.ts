/**
 * Receivers that misbehave: 404s, 500s, refused connections, timeouts, slow bodies, redirects, huge
 * answers. Each failed attempt is logged with what happened, and the retry schedule is followed exactly: each delay
 * counted from the end of the failed attempt (docs/spec/notifications.md#attempts-and-retries).
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { addPayment, callbackFixtures, until } from '../helpers/callbacks.ts';

const { setup, receiver, onCleanup } = callbackFixtures();

async function pay(t: Awaited<ReturnType<typeof setup>>): Promise<void> {
  const inv = (await t.api.post('/invoices', { amount_sats: 1000, userdata: 'r-1' })).body;
  addPayment(t.app.service, { address: inv.address, sats: 1000 });
}

async function ended(t: Awaited<ReturnType<typeof setup>>, agentId: string): Promise<any> {
  return until(async () => {
    const d = (await t.api.get(`/deliveries?agent=${agentId}`)).body.deliveries[0];
    return d && (d.state === 'SUCCESS' || d.state === 'FAILURE') ? d : null;
  }, 'delivery to end', 30_000);
}

/** Gaps between the end of one attempt and the start of the next, from the delivery log. */
function gaps(d: any): number[] {
  const a = d.attempts as { at: string; duration_ms: number }[];
  return a.slice(1).map((x, i) => Date.parse(x.at) - (Date.parse(a[i]!.at) + a[i]!.duration_ms));
}

describe('receiver faults', () => {
  it('404s: retried on the configured schedule exactly, then FAILURE', async () => {
    const t = await setup();
    const rx = await receiver(() => ({ status: 404, body: 'no such route' }));
    const agent = (await t.api.post('/agents', { name: 'nf', url: rx.url, retry: { delays_s: [1, 2, 1] } })).body;
    await pay(t);
    const d = await ended(t, agent.id);
    expect(d.state).toBe('FAILURE');
    expect(d.attempts.map((a: any) => a.http_status)).toEqual([404, 404, 404, 404]);
    expect(d.attempts[0].response_excerpt).toBe('no such route');
    const g = gaps(d);
    [1000, 2000, 1000].forEach((want, i) => {
      expect(g[i]).toBeGreaterThanOrEqual(want - 20);
      expect(g[i]).toBeLessThan(want + 600);
    });
  });

  it('a refused connection is a failed attempt with the error logged, retried on schedule', async () => {
    const t = await setup();
    // A port that was just free: nothing listens there.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const agent = (await t.api.post('/agents', { name: 'refused', url: `http://127.0.0.1:${port}/cb`, retry: { delays_s: [1] } })).body;
    await pay(t);
    const d = await ended(t, agent.id);
    expect(d.state).toBe('FAILURE');
    expect(d.attempts).toHaveLength(2);
    for (const a of d.attempts) {
      expect(a.http_status).toBeNull();
      expect(a.error).toMatch(/ECONNREFUSED|refused/i);
    }
    expect(gaps(d)[0]).toBeGreaterThanOrEqual(980);
  });

  it('a 500 then a slow-bodied 200: success on the status, and a slow body never stalls the sender past its timeout', async () => {
    const t = await setup();
    let n = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        n++;
        if (n === 1) {
          res.writeHead(500);
          res.end('x'.repeat(10_000)); // a huge error page: only the first KiB is kept
          return;
        }
        // 200 at once, then the body trickles for longer than the agent's timeout.
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.write('ok');
        const tick = setInterval(() => res.write('.'), 200);
        setTimeout(() => {
          clearInterval(tick);
          res.end();
        }, 3000);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`;
    const agent = (await t.api.post('/agents', { name: 'slow', url, timeout_s: 1, retry: { delays_s: [0] } })).body;
    await pay(t);
    const d = await ended(t, agent.id);
    expect(d.state).toBe('SUCCESS');
    expect(d.attempts.map((a: any) => a.http_status)).toEqual([500, 200]);
    expect(Buffer.byteLength(d.attempts[0].response_excerpt)).toBeLessThanOrEqual(1024);
    expect(d.attempts[1].duration_ms).toBeLessThan(2500);
  });

  it('timeouts and redirects are failures; one dead agent does not hold back a healthy one', async () => {
    const t = await setup();
    const healthy = await receiver();
    const hanging = await receiver(() => ({ hang: true }));
    const redirect = await receiver(() => ({ status: 307, headers: { Location: healthy.url } }));
    const dead = (await t.api.post('/agents', { name: 'dead', url: hanging.url, timeout_s: 3, retry: { delays_s: [0] } })).body;
    const moved = (await t.api.post('/agents', { name: 'moved', url: redirect.url, retry: { delays_s: [0] } })).body;
    const ok = (await t.api.post('/agents', { name: 'ok', url: healthy.url })).body;
    await pay(t);
    const good = await ended(t, ok.id);
    expect(good.state).toBe('SUCCESS');
    // Not behind the dead agent: its first attempt is still waiting out the 3 s timeout, nothing recorded yet.
    const deadNow = (await t.api.get(`/deliveries?agent=${dead.id}`)).body.deliveries[0];
    expect(deadNow.state).toBe('PENDING');
    expect(deadNow.attempts).toEqual([]);
    const d1 = await ended(t, dead.id);
    expect(d1.state).toBe('FAILURE');
    expect(d1.attempts.every((a: any) => /timeout/i.test(a.error))).toBe(true);
    const d2 = await ended(t, moved.id);
    expect(d2.state).toBe('FAILURE');
    expect(d2.attempts.map((a: any) => a.http_status)).toEqual([307, 307]);
    expect(healthy.requests).toHaveLength(1); // the redirect was never followed
  });
});
