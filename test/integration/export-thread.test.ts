/**
 * An export's worker thread (src/node/books/export-thread.ts): a store it cannot read is an error for the caller and
 * leaves no thread behind; a consumer that stops after a chunk ends the thread; chunks come one at a time, each only
 * when the previous one was let go; a worker that cannot load leaves the export to this thread, one that breaks
 * midway is the caller's error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportCsv, exportThreads, MAX_EXPORT_THREADS, useExportWorker } from '../../src/node/books/export-thread.ts';
import { exportChunks, INVOICES_CSV_COLUMNS, type ExportJob } from '../../src/node/books/export.ts';
import { openDatabase } from '../../src/node/store/sqlite.ts';
import { statusCodeOf } from '../../src/node/store/codes.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';
import { tempDir } from '../helpers/api.ts';
import { waitFor } from '../helpers/wait.ts';

const N = 3000;
const range = { start: Number.MIN_SAFE_INTEGER, end: Number.MAX_SAFE_INTEGER };
let dir: string;
let file: string;

beforeAll(() => {
  dir = tempDir('satdesk-export-thread-');
  file = path.join(dir, 'satdesk.sqlite');
  const db = openDatabase(file);
  db.function('made_up_address', { deterministic: true }, (i: unknown) => madeUpAddress('thread', Number(i)).address);
  db.exec(`
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${N})
    INSERT INTO addresses (id, address, script_key, state) SELECT i, made_up_address(i), satdesk_script_key(made_up_address(i)), 'used' FROM s;
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${N})
    INSERT INTO invoices (seq, id, status_code, amount_sats, label, userdata, address_id, created_at, expires_at,
      confirmations_required, tolerance_bp, monitoring_ms, updated_at)
    SELECT i, printf('thread%010d', i), ${statusCodeOf("'unpaid'")}, 1000 + i, 'a label long enough to fill chunks ' || i,
      'order-' || i, i, 1767225600000 + i * 1000, 1767225600000 + i * 1000 + 900000, 1, 0, 86400000, 1767225600000 FROM s;`);
  db.close();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const invoices = (f: string): ExportJob => ({ kind: 'invoices', file: f, query: { range } });

describe('an export on a worker thread', () => {
  it('a store it cannot open is the caller\'s error, and no thread is left', async () => {
    const before = exportThreads();
    const missing = path.join(dir, 'nowhere', 'satdesk.sqlite');
    await expect(exportCsv(invoices(missing)).next()).rejects.toThrow(/unable to open database file|directory does not exist/);
    expect(exportThreads()).toBe(before);
  });

  it('a consumer that stops after the first chunk ends the thread', async () => {
    const before = exportThreads();
    const it = exportCsv(invoices(file));
    const first = await it.next();
    expect(exportThreads()).toBe(before + 1);
    expect(Buffer.from(first.value as Uint8Array).toString('utf8').split('\r\n')[0]).toBe(INVOICES_CSV_COLUMNS.join(','));
    await it.return(undefined);
    await waitFor(() => exportThreads(), (n) => n === before, 'the thread ended');
  });

  it('hands over every row once, in order, across many chunks of its two shared buffers', async () => {
    let text = '';
    let chunks = 0;
    for await (const c of exportCsv(invoices(file))) {
      chunks++;
      text += Buffer.from(c).toString('utf8');
    }
    expect(chunks).toBeGreaterThan(2);
    const ids = text.trimEnd().split('\r\n').slice(1).map((l) => l.split(',')[0]);
    expect(ids).toEqual(Array.from({ length: N }, (_, i) => `thread${String(i + 1).padStart(10, '0')}`));
  });
});

describe('many exports at once', () => {
  it('run at most MAX_EXPORT_THREADS threads; the others wait for a place, and every one completes', async () => {
    const before = exportThreads();
    expect(before).toBe(0);
    const its = Array.from({ length: MAX_EXPORT_THREADS + 2 }, () => exportCsv(invoices(file)));
    // Each asks for its first chunk: the first ones get a thread, the rest wait for one.
    const firsts = its.map((it) => it.next());
    const started = await Promise.all(firsts.slice(0, MAX_EXPORT_THREADS));
    expect(started.every((r) => !r.done)).toBe(true);
    expect(exportThreads()).toBe(MAX_EXPORT_THREADS);
    let peak = 0;
    const drain = async (it: AsyncGenerator<Uint8Array>, first: Promise<IteratorResult<Uint8Array>>): Promise<number> => {
      let lines = 0;
      for (let r = await first; !r.done; r = await it.next()) {
        peak = Math.max(peak, exportThreads());
        lines += Buffer.from(r.value).toString('utf8').split('\r\n').length - 1;
      }
      return lines;
    };
    const lines = await Promise.all(its.map((it, i) => drain(it, firsts[i]!)));
    expect(lines).toEqual(its.map(() => N + 1));
    expect(peak).toBe(MAX_EXPORT_THREADS);
    await waitFor(() => exportThreads(), (n) => n === 0, 'every thread ended');
  });
});

describe('a worker that cannot do its work', () => {
  afterEach(() => {
    useExportWorker(null);
    vi.restoreAllMocks();
  });
  const workerFile = (name: string, code: string): URL => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, code);
    return pathToFileURL(f);
  };

  it('one that fails before its first chunk: the export runs on this thread, whole, and says so', async () => {
    useExportWorker(workerFile('cannot-load.mjs', "throw new Error('this package cannot load its worker');\n"));
    const said = vi.spyOn(console, 'error').mockImplementation(() => {});
    const collect = async (chunks: AsyncIterable<Uint8Array>): Promise<string> => {
      let text = '';
      for await (const c of chunks) text += Buffer.from(c).toString('utf8');
      return text;
    };
    const text = await collect(exportCsv(invoices(file)));
    expect(text).toBe(await collect(exportChunks(invoices(file))));
    expect(text.trimEnd().split('\r\n')).toHaveLength(N + 1);
    expect(said.mock.calls.map((c) => String(c[0]))).toEqual([
      "export: the export thread failed before its first chunk (this package cannot load its worker); exporting on the service's thread",
    ]);
    await waitFor(() => exportThreads(), (n) => n === 0, 'the failed thread ended');
  });

  it('one that fails after a chunk: the caller gets the error (a file cut short, never passed off as whole)', async () => {
    useExportWorker(
      workerFile(
        'breaks.mjs',
        "import { parentPort } from 'node:worker_threads';\n" +
          "parentPort.once('message', () => {\n  parentPort.postMessage({ chunk: new Uint8Array([104, 105]) });\n" +
          "  setTimeout(() => { throw new Error('broke after a chunk'); }, 10);\n});\n",
      ),
    );
    const it = exportCsv(invoices(file));
    expect(Buffer.from((await it.next()).value as Uint8Array).toString()).toBe('hi');
    await expect(it.next()).rejects.toThrow('broke after a chunk');
    await waitFor(() => exportThreads(), (n) => n === 0, 'the broken thread ended');
  });
});
