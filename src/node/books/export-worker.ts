/**
 * The worker thread that writes invoices.csv (docs/decisions/0103-export-thread.md): it opens its own read-only
 * snapshot, formats the rows into chunks and hands each chunk's bytes to the main thread (transferred, not copied).
 * It runs at most WINDOW chunks ahead of what the main thread has taken; a chunk's buffer comes back once the main
 * thread wrote it, and the next chunk is formatted into it. `stop` ends it early; the reader closes either way.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { invoicesCsvChunks } from './export.ts';
import type { ExportJob, FromExport, ToExport } from './export-thread.ts';

/** Chunks handed over and not yet taken by the main thread, at most. */
const WINDOW = 2;

const port = parentPort!;
const job = workerData as ExportJob;
const spare: ArrayBuffer[] = [];
let ahead = 0;
let stopped = false;
let wake: (() => void) | null = null;
port.on('message', (m: ToExport) => {
  if (m === 'stop') stopped = true;
  else if (m === 'took') ahead--;
  else spare.push(m.back);
  wake?.();
});
const send = (m: FromExport, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
/** A buffer written and given back, or a new one. */
const fresh = (atLeast: number): Buffer => {
  const back = spare.pop();
  return back && back.byteLength >= atLeast ? Buffer.from(back) : Buffer.allocUnsafe(atLeast);
};

try {
  for await (const chunk of invoicesCsvChunks(job.file, job.q, fresh)) {
    const bytes = chunk.buffer as ArrayBuffer;
    send({ chunk: bytes, offset: chunk.byteOffset, length: chunk.byteLength }, [bytes]);
    ahead++;
    while (ahead >= WINDOW && !stopped) await new Promise<void>((resolve) => (wake = resolve));
    if (stopped) break;
  }
  send({ done: true });
} catch (e) {
  send({ error: e instanceof Error ? e.message : String(e) });
} finally {
  port.close();
}
