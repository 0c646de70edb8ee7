/** The subscription pacer (src/node/watcher/pacer.ts): a pipeline of batches under what the server shows it accepts. */
import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/node/watcher/pacer.ts';

const clock = (): { now: () => number; at: (t: number) => void } => {
  let t = 1_000_000;
  return { now: () => t, at: (x) => (t = x) };
};

describe('pacer', () => {
  it.each([
    [{ initialWindow: 256 }, 64],
    [{ initialWindow: 1000 }, 250],
    [{ initialWindow: 2000, maxWindow: 2000 }, 250],
    [{ initialWindow: 10 }, 2],
    [{ initialWindow: 3 }, 1],
    [{ initialWindow: 300, pipeline: 2, batchSize: 100 }, 100],
  ])('splits the window %j into batches of %i, several in flight', (o, size) => {
    expect(new Pacer(o).batchSize).toBe(size);
  });

  it('grows by half each round trip until the server refuses, never past the maximum', () => {
    const p = new Pacer({ initialWindow: 256, maxWindow: 1000 });
    for (let i = 0; i < 4; i++) p.answered(64, 5);
    expect(p.window).toBe(384);
    for (let i = 0; i < 100; i++) p.answered(p.batchSize, 5);
    expect(p.window).toBe(1000);
  });

  it('one refusal event cuts once, to three quarters of what was in flight, however many batches it failed', async () => {
    const c = clock();
    const p = new Pacer({ initialWindow: 400, backoffMs: 1 }, c.now);
    p.take(400);
    const sentAt = c.now() - 5;
    // A whole-batch error fails every batch in flight: each reports the refusal.
    await Promise.all([p.refused('Batch limit exceeded', sentAt), p.refused('Batch limit exceeded', sentAt), p.refused('Batch limit exceeded', sentAt)]);
    expect(p.stats).toMatchObject({ refusals: 3, cuts: 1 });
    expect(p.ceiling).toBe(300);
    expect(p.window).toBe(300);
    // A batch sent after the cut and refused again is a new event.
    c.at(c.now() + 1);
    await p.refused('Batch limit exceeded', c.now());
    expect(p.stats.cuts).toBe(2);
    expect(p.ceiling).toBe(225);
  });

  it('after a refusal grows one batch per window and stays under the ceiling until it recovers', async () => {
    const c = clock();
    const p = new Pacer({ initialWindow: 400, backoffMs: 1, recoverMs: 10_000 }, c.now);
    p.take(400);
    await p.refused('Batch limit exceeded', c.now());
    p.release(400);
    expect(p.ceiling).toBe(300);
    for (let i = 0; i < 20; i++) p.answered(p.batchSize, 5);
    expect(p.window).toBe(300);
    // Ten quiet seconds: the ceiling climbs by one batch, and keeps climbing while nothing is refused.
    c.at(c.now() + 10_000);
    p.answered(p.batchSize, 5);
    expect(p.ceiling).toBe(375);
    for (let k = 0; k < 20; k++) {
      c.at(c.now() + 10_000);
      for (let i = 0; i < 10; i++) p.answered(p.batchSize, 5);
    }
    expect(p.ceiling).toBe(1000);
    expect(p.window).toBe(1000);
  });

  it('a slow answer shrinks the window; a quick one resets the back-off', async () => {
    const p = new Pacer({ initialWindow: 1000, slowMs: 100, backoffMs: 1 });
    p.answered(250, 500);
    expect(p.window).toBe(700);
    expect(p.stats.slow).toBe(1);
    p.take(700);
    const t0 = Date.now();
    await p.refused('Excessive resource usage', Date.now());
    await p.refused('Excessive resource usage', Date.now() + 1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2); // 1 ms, then 2 ms
    p.answered(10, 1);
    // The back-off starts over at 1 ms: a third event right after waits 1 ms, not 4.
    expect((p as unknown as { backoff: number }).backoff).toBe(1);
  });

  it('reset starts a new connection under the initial window with no learned ceiling', async () => {
    const p = new Pacer({ initialWindow: 256, backoffMs: 1 });
    p.take(256);
    await p.refused('Batch limit exceeded', Date.now());
    p.reset();
    expect(p.inFlight).toBe(0);
    expect(p.ceiling).toBe(1000);
    expect(p.window).toBe(192);
  });
});
