/**
 * invoices.csv, written off the main thread (docs/decisions/0103-export-thread.md). A worker formats the rows
 * (src/node/books/export-worker.ts) and hands over chunks of bytes; this side yields them to the HTTP answer or the
 * IPC call. The main thread's heap sees a few objects per chunk instead of every row's strings, so an export of a
 * million invoices neither grows serve's memory by a young generation's worth nor takes turns from the API, payment
 * detection and callbacks. The worker's heap is capped (WORKER_LIMITS) and goes away with it.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { InvoiceFilter } from './filter.ts';
import type { Range } from './rows.ts';
import { RELEASE, type Releasable } from '../http/stream.ts';

export interface ExportJob {
  file: string;
  q: InvoiceFilter & { range: Range };
}
/** Main → worker: a chunk was taken (one more may come), a written chunk's buffer given back, or stop now. */
export type ToExport = 'took' | 'stop' | { back: ArrayBuffer };
/** Worker → main: a chunk's bytes, the end, or why it failed. */
export type FromExport = { chunk: ArrayBuffer; offset: number; length: number } | { done: true } | { error: string };

/** The worker's heap: a small young generation (its garbage is collected often and never piles up), a bounded old one. */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 };
/** How long a stopped worker may take to close its reader before it is terminated. */
const STOP_MS = 5_000;

/** Export workers running right now (tests check that an abandoned export's worker ended). */
export const exportWorkers = { running: 0 };

/**
 * How the worker starts when this module runs as TypeScript source, not from the build: the test setup
 * (test/helpers/source-worker.ts) loads the worker's source through tsx. Nothing built needs it.
 */
export const sourceWorker: { start: ((options: WorkerOptions) => Worker) | null } = { start: null };

/** The worker: the built `export-worker.js` beside the bundle's code (out/cli, out/main), else the source's. */
function startWorker(job: ExportJob): Worker {
  const options: WorkerOptions = { workerData: job, resourceLimits: WORKER_LIMITS };
  const built = ['./export-worker.js', '../export-worker.js'].map((p) => new URL(p, import.meta.url)).find((u) => fs.existsSync(fileURLToPath(u)));
  if (built) return new Worker(built, options);
  if (sourceWorker.start) return sourceWorker.start(options);
  throw new Error('export-worker.js is missing beside the built code: rebuild (npm run build)');
}

export async function* invoicesCsvInWorker(job: ExportJob): AsyncGenerator<Releasable> {
  const worker = startWorker(job);
  exportWorkers.running++;
  const queue: (Uint8Array | Error | null)[] = [];
  let wake: (() => void) | null = null;
  let exited = false;
  const push = (item: Uint8Array | Error | null): void => {
    queue.push(item);
    wake?.();
  };
  const chunkOf = (m: { chunk: ArrayBuffer; offset: number; length: number }): Releasable => {
    const view: Releasable = new Uint8Array(m.chunk, m.offset, m.length);
    // Once written, the buffer goes back to the worker for the next chunk: the export's memory stays a few buffers.
    view[RELEASE] = () => {
      if (!exited) worker.postMessage({ back: m.chunk } satisfies ToExport, [m.chunk]);
    };
    return view;
  };
  worker.on('message', (m: FromExport) => push('chunk' in m ? chunkOf(m) : 'error' in m ? new Error(m.error) : null));
  worker.on('error', (e) => push(e));
  worker.on('exit', (code) => {
    exited = true;
    push(code === 0 ? null : new Error(`the export stopped (worker exit ${code})`));
  });
  try {
    for (;;) {
      while (!queue.length) await new Promise<void>((resolve) => (wake = resolve));
      const item = queue.shift()!;
      if (item === null) return;
      if (item instanceof Error) throw item;
      yield item;
      if (!exited) worker.postMessage('took' satisfies ToExport);
    }
  } finally {
    if (!exited) {
      worker.postMessage('stop' satisfies ToExport);
      const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      const late = setTimeout(() => void worker.terminate(), STOP_MS);
      await gone;
      clearTimeout(late);
    }
    exportWorkers.running--;
  }
}
