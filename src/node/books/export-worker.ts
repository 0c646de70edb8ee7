/**
 * The thread an export runs on (src/node/books/export-thread.ts): it writes the job's chunks into two buffers shared
 * with the thread that started it, and writes the next chunk only when asked for it; asked to stop, it closes its
 * reader and ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { exportChunks, type ExportJob } from './export.ts';

const port = parentPort!;
const chunks = exportChunks(workerData as ExportJob, {
  alloc: (size) => Buffer.from(new SharedArrayBuffer(size)),
  sliceMs: Infinity,
});
let asked = 0;
let stopping = false;
let wake: (() => void) | null = null;
port.on('message', (m: 'next' | 'stop') => {
  if (m === 'stop') stopping = true;
  else asked++;
  wake?.();
});

try {
  for (;;) {
    while (asked === 0 && !stopping) await new Promise<void>((resolve) => (wake = resolve));
    if (stopping) break;
    asked--;
    const next = await chunks.next();
    // A Uint8Array over shared memory crosses as a view of the same bytes, not a copy.
    port.postMessage(next.done ? { done: true } : { chunk: next.value });
    if (next.done) break;
  }
} finally {
  // The reader and its snapshot close here, on this thread, before it ends by itself (src/node/books/export-thread.ts).
  await chunks.return(undefined);
  port.close();
}
