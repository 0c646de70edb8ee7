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
