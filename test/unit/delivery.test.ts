/** The delivery state machine (docs/spec/notifications.md#attempts-and-retries) as a table. */
import { describe, expect, it } from 'vitest';
import { attemptSucceeded, nextDeliveryState, type AttemptResult } from '../../src/core/delivery.ts';
import type { DeliveryState } from '../../src/core/vocabulary.ts';

const END = 1_000_000;
const DEFAULT = [30, 30, 30, 30, 30];
const ok = (status: number | null): AttemptResult => ({ status, error: null });
const err = (error: string): AttemptResult => ({ status: null, error });

describe('attemptSucceeded', () => {
  it.each([
    [ok(200), true],
    [ok(204), true],
    [ok(299), true],
    [ok(null), true], // XMPP: the server accepted the message
    [ok(100), false],
    [ok(199), false],
    [ok(301), false], // redirects are never followed
    [ok(304), false],
    [ok(404), false],
    [ok(500), false],
    [err('timeout after 10000 ms'), false],
    [{ status: 200, error: 'body trickled past the timeout' }, false],
  ])('%j → %s', (r, want) => expect(attemptSucceeded(r)).toBe(want));
});

describe('nextDeliveryState', () => {
  const rows: [string, { state: DeliveryState; attempts: number }, AttemptResult, readonly number[], ReturnType<typeof nextDeliveryState>][] = [
    ['first attempt succeeds', { state: 'PENDING', attempts: 0 }, ok(200), DEFAULT, { state: 'SUCCESS', attempts: 1, nextAttemptAt: null, endedAt: END }],
    ['first attempt fails: retry 30 s after its end', { state: 'PENDING', attempts: 0 }, ok(503), DEFAULT, { state: 'RETRY', attempts: 1, nextAttemptAt: END + 30_000, endedAt: null }],
    ['a retry succeeds', { state: 'RETRY', attempts: 3, }, ok(201), DEFAULT, { state: 'SUCCESS', attempts: 4, nextAttemptAt: null, endedAt: END }],
    ['fifth attempt fails: the last retry is scheduled', { state: 'RETRY', attempts: 4 }, err('ECONNREFUSED'), DEFAULT, { state: 'RETRY', attempts: 5, nextAttemptAt: END + 30_000, endedAt: null }],
    ['sixth attempt fails: FAILURE', { state: 'RETRY', attempts: 5 }, ok(500), DEFAULT, { state: 'FAILURE', attempts: 6, nextAttemptAt: null, endedAt: END }],
    ['each retry has its own delay', { state: 'RETRY', attempts: 1 }, ok(500), [1, 60, 3600], { state: 'RETRY', attempts: 2, nextAttemptAt: END + 60_000, endedAt: null }],
    ['a zero delay retries at once', { state: 'PENDING', attempts: 0 }, ok(500), [0], { state: 'RETRY', attempts: 1, nextAttemptAt: END, endedAt: null }],
    ['no retries: the first failure is final', { state: 'PENDING', attempts: 0 }, ok(404), [], { state: 'FAILURE', attempts: 1, nextAttemptAt: null, endedAt: END }],
    ['a redirect is a failed attempt', { state: 'PENDING', attempts: 0 }, ok(302), DEFAULT, { state: 'RETRY', attempts: 1, nextAttemptAt: END + 30_000, endedAt: null }],
    ['ended meanwhile (agent deleted): nothing changes', { state: 'FAILURE', attempts: 2 }, ok(200), DEFAULT, null],
    ['already succeeded (a crash repeat): nothing changes', { state: 'SUCCESS', attempts: 1 }, ok(500), DEFAULT, null],
  ];
  it.each(rows)('%s', (_name, current, result, delays, want) => {
    expect(nextDeliveryState(current, result, END, delays)).toEqual(want);
  });

  it('the default schedule gives six attempts, then FAILURE', () => {
    let d: { state: DeliveryState; attempts: number } = { state: 'PENDING', attempts: 0 };
    const states: string[] = [];
    for (let i = 0; i < 6; i++) {
      const next = nextDeliveryState(d, ok(500), END, DEFAULT)!;
      states.push(next.state);
      d = next;
    }
    expect(states).toEqual(['RETRY', 'RETRY', 'RETRY', 'RETRY', 'RETRY', 'FAILURE']);
    expect(nextDeliveryState(d, ok(200), END, DEFAULT)).toBeNull();
  });
});
