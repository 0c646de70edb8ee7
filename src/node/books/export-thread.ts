/**
 * CSV exports on a worker thread of their own (docs/decisions/0116-exports-on-a-worker-thread.md). The rows are read
 * and formatted there, into two buffers shared with this thread; this thread only hands each chunk to the client. So
 * an export of years of sales costs the service's own event loop and heap nothing: its young generation, which a long
 * export on this thread grew to 32 MB and kept, stays as it was, and the worker's heap is capped and goes away with it.
 *
 * The contract is the in-process one (src/node/books/export.ts): a chunk is the consumer's only until it asks for the
 * next one. The worker is asked for chunk k+1 only then, so it never writes into memory the consumer still reads. A
 * consumer that stops early asks the thread to stop, and the thread ends by itself.
 */
import { on } from 'node:events';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { nativeBindingPath } from '../store/sqlite.ts';
import { exportChunks, type ExportJob } from './export.ts';

/**
 * The worker's young generation, in MB. V8 sizes it from the thread's allocation rate; an export allocates fast and
 * keeps almost nothing, so a small one does as well and leaves the process that much smaller.
 */
const YOUNG_MB = 4;

/**
 * Export threads at once: each holds some 30 MB while it runs, so a script asking for many exports at once cannot
 * grow the process without bound. A further export waits for a thread to end, holding nothing meanwhile.
 */
export const MAX_EXPORT_THREADS = 3;

let built: URL | null = null;
let live = 0;
let taken = 0;
const waiting: (() => void)[] = [];

function acquire(): Promise<void> | undefined {
  if (taken < MAX_EXPORT_THREADS) {
    taken++;
    return undefined;
  }
  return new Promise((resolve) => waiting.push(resolve));
}

/** A thread's place goes to the export that waited longest, or is free again. */
function release(): void {
  const next = waiting.shift();
  if (next) next();
  else taken--;
}

/** Where the built worker is: each bundle's entry says so at start (src/node/cli.ts, src/main/index.ts). */
export function useExportWorker(url: URL | null): void {
  built = url;
}

/** Export threads running now (tests check that an abandoned export let go of its thread and snapshot). */
export function exportThreads(): number {
  return live;
}

/**
 * The worker's script. Built, each bundle's entry said where it is. Run from src/ (the tests, scripts), it is the
 * built worker of this checkout, which the test and bench set-ups rebuild whenever a source is newer
 * (scripts/build-cli.mjs); null where there is no build, and the export runs on this thread. Not the worker's
 * TypeScript itself: Node's type stripper is WebAssembly, and with threads using it starting and ending, Node 24
 * crashed inside V8's WebAssembly code once in several hundred exports
 * (docs/decisions/0116-exports-on-a-worker-thread.md).
 */
function workerUrl(): URL | null {
  if (built) return built;
  if (!/\/src\/node\/books\/export-thread\.ts$/.test(import.meta.url)) {
    throw new Error('this build of Satdesk does not say where its export worker is (useExportWorker)');
  }
  const url = new URL('../../../out/cli/books-export-worker.js', import.meta.url);
  return fs.existsSync(url) ? url : null;
}

type FromWorker = { chunk: Uint8Array } | { done: true };

/**
 * How long a thread asked to stop may take before it is terminated. It stops at its next chunk boundary, a few
 * milliseconds away, closing its reader on its own thread and ending by itself. `worker.terminate()` is the last
 * resort only: it stops a thread wherever it is, in the middle of a SQLite call too.
 */
const STOP_GRACE_MS = 10_000;

async function stop(worker: Worker): Promise<void> {
  const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.postMessage('stop');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_GRACE_MS)));
  if ((await Promise.race([ended, late])) === 'late') await worker.terminate();
  clearTimeout(timer);
}

/**
 * The chunks of `job`'s file, written by a worker thread. Where no worker can run, or the thread fails before its
 * first chunk (a desktop package that cannot load it, say), the export runs on this thread instead, and says so:
 * a slower export beats none. A failure after the first chunk is the caller's.
 */
export async function* exportCsv(job: ExportJob): AsyncGenerator<Uint8Array> {
  const url = workerUrl();
  if (url && (yield* onThread(url, job))) return;
  yield* exportChunks(job);
}

/** The export on a thread of its own: false when the thread failed before its first chunk, having sent nothing. */
async function* onThread(url: URL, job: ExportJob): AsyncGenerator<Uint8Array, boolean> {
  // The thread opens SQLite with the build this one uses (a worker of the desktop app has no resourcesPath to look in).
  const binding = nativeBindingPath();
  const env = binding ? { ...process.env, SATDESK_SQLITE_BINDING: binding } : process.env;
  await acquire();
  let worker: Worker;
  try {
    worker = new Worker(url, { workerData: job, env, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB } });
  } catch (e) {
    release();
    throw e;
  }
  live++;
  let exited = false;
  worker.on('exit', () => {
    exited = true;
    live--;
    release();
  });
  // An error after the export is over (while the thread stops) is nobody's: it must not be an unhandled 'error'.
  worker.on('error', () => {});
  // Its messages in order; an 'error' from the thread is thrown once the messages before it were read.
  const messages = on(worker, 'message', { close: ['exit'] }) as AsyncIterableIterator<[FromWorker]>;
  let heard = false;
  try {
    worker.postMessage('next');
    for (;;) {
      let m: FromWorker | undefined;
      let failure: unknown = null;
      try {
        const r = await messages.next();
        if (!r.done) m = r.value[0];
      } catch (e) {
        failure = e;
      }
      if (!m) {
        failure ??= new Error('the export thread ended before its end');
        if (heard) throw failure;
        return fellBack(failure);
      }
      heard = true;
      if ('done' in m) return true;
      yield m.chunk;
      worker.postMessage('next');
    }
  } finally {
    await messages.return?.();
    if (!exited) await stop(worker);
  }
}

/** Says why the thread could not do the export, which then runs on this thread (false: nothing was sent). */
function fellBack(why: unknown): false {
  const message = why instanceof Error ? why.message : String(why);
  console.error(`export: the export thread failed before its first chunk (${message}); exporting on the service's thread`);
  return false;
}
