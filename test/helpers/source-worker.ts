/**
 * Tests run the app from its TypeScript source, where no built export-worker.js exists: the export worker
 * (src/node/books/export-thread.ts) is then started from its source, loaded through tsx like the rest of the suite.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { sourceWorker } from '../../src/node/books/export-thread.ts';

const entry = new URL('../../src/node/books/export-worker.ts', import.meta.url).href;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href;

sourceWorker.start = (options) =>
  new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, { ...options, eval: true });
