/**
 * The delivery state machine (docs/spec/notifications.md#attempts-and-retries), pure: what one finished attempt does
 * to its delivery. The sender stores the result; the table tests are in test/unit/delivery.test.ts.
 */
import type { DeliveryState } from './vocabulary.ts';

/** How an attempt ended: an HTTP status, or an error (timeout, refused, reset…); both null = accepted (XMPP). */
export interface AttemptResult {
  status: number | null;
  error: string | null;
}

/** Any 2xx is success; any other status (redirects included) or any error is a failed attempt. */
export function attemptSucceeded(r: AttemptResult): boolean {
  return r.error === null && (r.status === null || (r.status >= 200 && r.status < 300));
}

export type DeliveryStep =
  | { state: 'SUCCESS'; attempts: number; nextAttemptAt: null; endedAt: number }
  | { state: 'RETRY'; attempts: number; nextAttemptAt: number; endedAt: null }
  | { state: 'FAILURE'; attempts: number; nextAttemptAt: null; endedAt: number };

/**
 * The delivery after one more attempt that ended at `end` (ms). `delaysS` is the agent's retry schedule, one entry
 * per retry, each counted from the end of the failed attempt. Null when the delivery had already ended (its agent
 * was deleted while the attempt was in flight): the attempt is logged and nothing else changes.
 */
export function nextDeliveryState(
  current: { state: DeliveryState; attempts: number },
  result: AttemptResult,
  end: number,
  delaysS: readonly number[],
): DeliveryStep | null {
  if (current.state !== 'PENDING' && current.state !== 'RETRY') return null;
  const attempts = current.attempts + 1;
  if (attemptSucceeded(result)) return { state: 'SUCCESS', attempts, nextAttemptAt: null, endedAt: end };
  const delay = delaysS[attempts - 1];
  if (delay !== undefined) return { state: 'RETRY', attempts, nextAttemptAt: end + delay * 1000, endedAt: null };
  return { state: 'FAILURE', attempts, nextAttemptAt: null, endedAt: end };
}
