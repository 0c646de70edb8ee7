/**
 * ElectrumX 1.18 and later pad their TCP and TLS traffic against traffic analysis (ElectrumX 1.20.0
 * `src/electrumx/server/transport.py`, `PaddedRSTransport`): after a session's first 1,024 bytes, the server writes
 * only once 1,024 bytes have queued up or one second after its previous write. An answer smaller than that — a
 * history, a transaction, a header — waits up to a second, so a payment's history-then-transaction fetch could wait
 * two. A filler call whose own answer passes 1,024 bytes (eight headers from genesis, about 1.3 KB; 0.16 in
 * ElectrumX's cost meter) travels in the same batch, and the batch's answer goes out at once. docs/electrum.md.
 */
import type { BatchCall, BatchResult } from './rpc.ts';
import { compareVersions } from './protocol.ts';

export const FILLER: BatchCall = { method: 'blockchain.block.headers', params: [0, 8] };
/** Batches of fewer calls than this get the filler (a subscribe answer is ~90 bytes; a larger batch fills itself). */
export const FILL_BELOW = 12;

/** Does this server hold small answers back? `serverSoftware` is server.version's first element ("ElectrumX 1.20.0"). */
export function holdsSmallAnswers(serverSoftware: string | null): boolean {
  const m = /^electrumx\s+(\d+(?:\.\d+)*)/i.exec(serverSoftware ?? '');
  return m !== null && compareVersions(m[1]!, '1.18') >= 0;
}

/** The calls to send: `calls`, with the filler when the server would hold their answer. */
export function padded(calls: BatchCall[], holds: boolean): BatchCall[] {
  return holds && calls.length < FILL_BELOW ? [...calls, FILLER] : calls;
}

/** The results of `calls` alone (the filler's answer, or its error, is dropped). */
export function unpadded<T>(results: BatchResult<T>[], calls: BatchCall[]): BatchResult<T>[] {
  return results.length > calls.length ? results.slice(0, calls.length) : results;
}

/**
 * Keeps a padding server from holding what follows a notification. ElectrumX writes a session's notifications of one
 * refresh together: the first goes out, the rest (under 1 KB) are held, and when the answer to the fetch the first
 * one caused arrives behind them it may send only the notifications and defer the answer until its one-second timer
 * (`_maybe_consume_sbuffer` prefers a half-size packet when padding to the next power of two would waste more).
 * Measured: one payment in about ten seen a second late (`npm run bench -- realnode`). Any later write makes the
 * server send what it holds, so after a notification one filler goes out every `everyMs` (at most two unanswered)
 * for `forMs`, and on while our own requests are unanswered, up to `maxMs`: a few per burst of notifications, none
 * while the chain is quiet, never a stream behind a slow (throttled) answer.
 */
export class TrickleFlush {
  private last = 0;
  private timer: NodeJS.Timeout | null = null;
  private outstanding = 0;

  constructor(
    private readonly o: { send: (call: BatchCall) => Promise<unknown>; pending: () => number; everyMs?: number; forMs?: number; maxMs?: number },
  ) {}

  notified(): void {
    this.last = Date.now();
    if (this.timer) return;
    this.timer = setInterval(() => {
      const since = Date.now() - this.last;
      const waiting = this.o.pending() > this.outstanding;
      if (since > (this.o.maxMs ?? 1000) || (since > (this.o.forMs ?? 300) && !waiting)) return this.stop();
      if (this.outstanding >= 2) return;
      this.outstanding++;
      void this.o.send(FILLER).catch(() => {}).finally(() => this.outstanding--);
    }, this.o.everyMs ?? 50);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
