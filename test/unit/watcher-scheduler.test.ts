/**
 * The watcher's scheduler with scripted jobs: a tip update runs alone (it waits for the histories in flight and no
 * history starts during it), a history ahead of our headers asks for a tip update and runs again after it, and a
 * stale status waits for the next notification or, past the timeout, gets a final try.
 */
import { describe, expect, it } from 'vitest';
import { Scheduler, type HistoryOutcome, type TipRequest } from '../../src/node/watcher/scheduler.ts';
import { waitFor } from '../helpers/wait.ts';

function harness(history: (sh: string, final: boolean) => Promise<HistoryOutcome>, staleTimeoutMs = 60_000) {
  const log: string[] = [];
  let running = 0;
  const errors: unknown[] = [];
  const s = new Scheduler(
    {
      tip: async (_req: TipRequest) => {
        log.push(`tip start (${running} histories running)`);
        await new Promise((r) => setTimeout(r, 20));
        log.push('tip end');
      },
      history: async (sh, final) => {
        running++;
        log.push(`history ${sh}${final ? ' final' : ''}`);
        try {
          return await history(sh, final);
        } finally {
          running--;
        }
      },
    },
    { concurrency: 4, staleTimeoutMs, onError: (e) => errors.push(e), onSettled: () => {} },
  );
  return { s, log, errors };
}

const slow = (ms: number): Promise<HistoryOutcome> => new Promise((r) => setTimeout(() => r('done'), ms));

describe('watcher scheduler', () => {
  it('a tip update waits for the histories in flight, and none starts while it runs', async () => {
    const { s, log } = harness(() => slow(30));
    for (const sh of ['a', 'b', 'c']) s.markDirty(sh);
    s.requestTip({ check: true });
    s.markDirty('d');
    await waitFor(() => s.idle, (v) => v, 'idle');
    const tipStart = log.findIndex((l) => l.startsWith('tip start'));
    expect(log[tipStart]).toBe('tip start (0 histories running)');
    expect(log.indexOf('history d')).toBeGreaterThan(log.indexOf('tip end'));
  });

  it('a history ahead of our headers gets a tip update first, then runs again; ahead past the grace is an error', async () => {
    let n = 0;
    const { s, log } = harness(async () => (n++ === 0 ? 'ahead' : 'done'));
    s.markDirty('x');
    await waitFor(() => s.idle, (v) => v, 'idle');
    expect(log).toEqual(['history x', 'tip start (0 histories running)', 'tip end', 'history x']);
    const again = harness(async () => 'ahead', 1500);
    again.s.markDirty('y');
    await waitFor(() => again.errors.length, (v) => v > 0, 'error', 10_000);
    expect(again.log.filter((l) => l === 'history y').length).toBeGreaterThanOrEqual(2);
    expect(String(again.errors[0])).toMatch(/beyond the server's own headers/);
  });

  it('a stale status waits for the next notification; past the timeout it gets a final try', async () => {
    let stale = true;
    const { s, log } = harness(async (_sh, final) => (stale && !final ? 'stale' : 'done'), 150);
    s.markDirty('z');
    await waitFor(() => s.parkedCount, (v) => v === 1, 'parked');
    expect(s.idle).toBe(false);
    s.markDirty('z'); // the server's next notification
    await waitFor(() => log.length, (v) => v >= 2, 'second try');
    await waitFor(() => log.filter((l) => l === 'history z final').length, (v) => v === 1, 'final try after the timeout');
    await waitFor(() => s.idle, (v) => v, 'idle');
    stale = false;
    expect(s.parkedCount).toBe(0);
  });
});
