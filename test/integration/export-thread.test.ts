/**
 * invoices.csv off the main thread (src/node/books/export-thread.ts, docs/decisions/0103-export-thread.md): the worker's
 * chunks arrive in order and make the same file the in-thread writer makes, each chunk's buffer goes back to the worker
 * once released, a store that cannot be read fails the export with the reason, and a consumer that stops early ends
 * the worker.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { invoicesCsvChunks } from '../../src/node/books/export.ts';
import { exportWorkers, invoicesCsvInWorker } from '../../src/node/books/export-thread.ts';
import { collectText, RELEASE, type Releasable } from '../../src/node/http/stream.ts';
import { openDatabase } from '../../src/node/store/sqlite.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';
import { tempDir } from '../helpers/api.ts';
import { waitFor } from '../helpers/wait.ts';

const T = 1_767_225_600_000;
const N = 6_000;
const ALL = { range: { start: Number.MIN_SAFE_INTEGER, end: Number.MAX_SAFE_INTEGER } };

/** A store with N invoices, enough for several chunks. */
function store(): string {
  const file = path.join(tempDir(), 'satdesk.sqlite');
  const db = openDatabase(file);
  const addr = db.prepare("INSERT INTO addresses (id, address, script_key, origin, state, created_at) VALUES (?, ?, 0, 'static', 'used', ?)");
  const inv = db.prepare(`INSERT INTO invoices (id, status, amount_sats, label, userdata, address_id, created_at, expires_at, confirmations_required,
      tolerance_bp, monitoring_ms, paid_sats, confirmed_sats, updated_at) VALUES (?, 'expired', ?, ?, ?, ?, ?, ?, 1, 0, 0, 0, 0, ?)`);
  const one = madeUpAddress('export-thread', 0).address;
  db.transaction(() => {
    for (let i = 1; i <= N; i++) {
      addr.run(i, one, T);
      inv.run(`thread${String(i).padStart(10, '0')}`, 1000 + i, `Espresso, "double" ${i}`, `order-${i}`, i, T + i * 1000, T + i * 1000 + 900_000, T);
    }
  })();
  db.close();
  return file;
}

describe('invoices.csv on a worker thread', () => {
  it('writes the file the in-thread writer writes, chunk by chunk, and takes back each buffer once released', async () => {
    const file = store();
    let here = '';
    for await (const c of invoicesCsvChunks(file, ALL)) here += Buffer.from(c).toString('utf8');
    const chunks: Releasable[] = [];
    let there = '';
    for await (const c of invoicesCsvInWorker({ file, q: ALL })) {
      there += Buffer.from(c).toString('utf8');
      expect(typeof c[RELEASE]).toBe('function');
      c[RELEASE]!();
      chunks.push(c);
    }
    expect(there).toBe(here);
    expect(there.split('\r\n')).toHaveLength(N + 2);
    expect(chunks.length).toBeGreaterThan(2);
    // Released buffers went back to the worker (transferred away): their bytes are no longer readable here.
    expect(chunks.every((c) => c.byteLength === 0)).toBe(true);
    expect(await collectText(invoicesCsvInWorker({ file, q: ALL }))).toBe(here);
    expect(exportWorkers.running).toBe(0);
  });

  it('fails with the reason when the store cannot be read, and ends the worker of a consumer that stops', async () => {
    const missing = path.join(tempDir(), 'nothing-here', 'satdesk.sqlite');
    await expect(collectText(invoicesCsvInWorker({ file: missing, q: ALL }))).rejects.toThrow(/directory does not exist|unable to open/);
    const file = store();
    const it = invoicesCsvInWorker({ file, q: ALL })[Symbol.asyncIterator]();
    const first = await it.next();
    expect(Buffer.from(first.value as Uint8Array).toString('utf8')).toMatch(/^id,created_at,/);
    expect(exportWorkers.running).toBe(1);
    await it.return?.(undefined);
    await waitFor(() => exportWorkers.running, (n) => n === 0, 'the worker ended');
  });
});
