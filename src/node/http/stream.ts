/**
 * Text answers written as they are produced (the CSV exports, docs/books.md#exports): the next chunk is asked for
 * once the previous one left (back-pressure: a slow client slows the reader, never fills memory), and a client that
 * goes away stops the producer, which closes what it holds.
 */
import type http from 'node:http';

/** A text answer produced as it goes: UTF-8 chunks (strings, or bytes already encoded). */
export type TextChunks = AsyncIterable<string | Uint8Array>;

export function isTextChunks(v: unknown): v is TextChunks {
  return typeof v === 'object' && v !== null && Symbol.asyncIterator in v;
}

/**
 * Joins a producer's chunks (the desktop IPC answers a whole string). A chunk is the consumer's only until it asks
 * for the next (the exports reuse their buffers: src/node/books/export.ts), so each is copied.
 */
export async function collectText(chunks: TextChunks): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c as Uint8Array));
  return Buffer.concat(parts).toString('utf8');
}

/**
 * How long one chunk may wait to leave before the client counts as gone. A chunk is 256 KB: a client reading at
 * 10 KB/s takes it in half a minute. One that takes nothing for two minutes would otherwise hold the export's read
 * snapshot (the WAL cannot be checkpointed past it) and one of its few threads (src/node/books/export-thread.ts)
 * for as long as it keeps the connection open.
 */
export const STALL_MS = 120_000;

/**
 * Writes `chunk` and resolves once it has left for the client (true), or when the response is gone (false). Only
 * then may the producer reuse the chunk's memory; waiting for it is also the back-pressure: a slow client slows the
 * producer down to its pace. A chunk still waiting after `stallMs` cuts the connection.
 */
function written(res: http.ServerResponse, chunk: string | Uint8Array, stallMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(stall);
      res.off('close', onClose);
      resolve(ok);
    };
    const onClose = (): void => done(false);
    const stall = setTimeout(() => {
      res.destroy(new Error(`the client took nothing for ${stallMs} ms`));
      done(false);
    }, stallMs);
    res.on('close', onClose);
    res.write(chunk, (err) => done(!err));
  });
}

/**
 * Streams `body` as a 200 with `headers`. The first chunk is produced before the status line goes out, so a producer
 * that fails at once (a bad range, an unreadable store) still gets a proper error answer from the caller; a failure
 * later cuts the connection, so the client can tell a truncated file from a whole one.
 */
export async function sendText(
  res: http.ServerResponse,
  headers: Record<string, string>,
  body: string | TextChunks,
  stallMs = STALL_MS,
): Promise<void> {
  if (typeof body === 'string') {
    res.writeHead(200, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
    return;
  }
  const it = body[Symbol.asyncIterator]();
  let next = await it.next();
  res.writeHead(200, headers);
  try {
    while (!next.done) {
      if (res.destroyed || !(await written(res, next.value, stallMs))) return;
      next = await it.next();
    }
    res.end();
  } catch (e) {
    res.destroy(e instanceof Error ? e : new Error(String(e)));
  } finally {
    if (!next.done) await it.return?.();
  }
}
