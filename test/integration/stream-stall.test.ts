/**
 * A streamed answer (src/node/http/stream.ts) and a client that stops reading: the chunk that cannot leave for
 * `stallMs` cuts the connection and stops the producer, which lets go of what it holds (an export's snapshot and
 * thread). A client that reads slowly but steadily gets the whole answer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sendText } from '../../src/node/http/stream.ts';
import { waitFor } from '../helpers/wait.ts';

const CHUNK = Buffer.alloc(256 * 1024, 'x');
let server: http.Server | null = null;

/** A server streaming `chunks` chunks (endless when Infinity) with the given stall limit; `state` tells what the producer did. */
async function serve(chunks: number, stallMs: number) {
  const state = { produced: 0, stopped: false };
  async function* produce(): AsyncGenerator<Uint8Array> {
    try {
      for (; state.produced < chunks; state.produced++) yield CHUNK;
    } finally {
      state.stopped = true;
    }
  }
  server = http.createServer((_req, res) => void sendText(res, { 'Content-Type': 'text/csv' }, produce(), stallMs));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, state };
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = null;
});

describe('a streamed answer and its client', () => {
  it('a client that takes nothing is cut after the stall limit, and the producer stops', async () => {
    const { url, state } = await serve(Infinity, 300);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(url, resolve).on('error', reject));
    res.pause();
    let ended = false;
    res.on('end', () => (ended = true));
    res.on('error', () => {});
    const closed = new Promise((resolve) => res.on('close', resolve));
    await waitFor(() => state.stopped, (s) => s, 'the producer stopped');
    // The client sees the cut once it reads what had reached it.
    res.resume();
    await closed;
    expect(ended).toBe(false); // a truncated answer, never a whole one
    // It stopped where the client stalled: what the kernel's socket buffers hold, not an endless file.
    expect(state.produced).toBeLessThan(200);
  });

  it('a slow but steady client gets the whole answer', async () => {
    const { url, state } = await serve(12, 1000);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(url, resolve).on('error', reject));
    let bytes = 0;
    for await (const c of res) {
      bytes += (c as Buffer).length;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(bytes).toBe(12 * CHUNK.length);
    expect(state).toEqual({ produced: 12, stopped: true });
  });
});
