/**
 * JSON-RPC 2.0 multiplexing over one line-framed stream: request ids, per-request timeouts, batches (with a
 * fallback to single requests when a server refuses a batch as a whole), notifications. Never throws from the
 * data path: anything the server sends that breaks the protocol ends the channel through `onFatal`.
 */
import {
  ElectrumError,
  ElectrumProtocolError,
  ElectrumRpcError,
  ElectrumTimeoutError,
  isServerRefusal,
  normaliseRpcError,
} from './errors.ts';
import { LineDecoder } from './framing.ts';

export type BatchCall = { method: string; params?: unknown[] };
export type BatchResult<T = unknown> = { ok: true; result: T } | { ok: false; error: ElectrumError };

interface Pending {
  method: string;
  params: unknown[];
  timeoutMs: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
  page: BatchPage | null;
}

interface BatchPage {
  ids: number[];
  answered: boolean;
}

export interface RpcChannelOptions {
  maxLineBytes: number;
  /** Writes one line (JSON + `\n`); false when the stream is gone. */
  write: (line: string) => boolean;
  /** null when requests may go out; otherwise the error to reject them with. */
  closedError: () => Error | null;
  onNotification: (method: string, params: unknown[]) => void;
  /** Every JSON-RPC error reply (a supervisor spots throttling and refusals here). */
  onRpcError: (e: ElectrumRpcError) => void;
  /** The stream is unusable (not JSON, not a message, a line over the cap). */
  onFatal: (reason: string, err: Error) => void;
}

export class RpcChannel {
  private readonly decoder: LineDecoder;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly pages: BatchPage[] = [];
  private closed = false;
  /** Whether batches still go out as JSON arrays (false after a server refused one). */
  batchesEnabled = true;
  readonly stats = { unknownIds: 0, notifications: 0, requests: 0, batchFallbacks: 0 };

  constructor(private readonly o: RpcChannelOptions) {
    this.decoder = new LineDecoder({
      maxLineBytes: o.maxLineBytes,
      onLine: (line) => this.handleLine(line),
      onError: (err) => o.onFatal(`protocol error: ${err.message}`, new ElectrumProtocolError(err.message)),
    });
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  push(chunk: Buffer): void {
    this.decoder.push(chunk);
  }

  /** Rejects everything pending with `err`; the channel takes no more input. */
  close(err: Error): void {
    this.closed = true;
    for (const [id, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
    this.pages.length = 0;
    this.decoder.reset();
  }

  send(method: string, params: unknown[], timeoutMs: number): Promise<unknown> {
    const closed = this.o.closedError();
    if (closed) return Promise.reject(closed);
    this.stats.requests++;
    const { id, promise } = this.register(method, params, timeoutMs, null);
    this.o.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    return promise;
  }

  /**
   * Sends calls as JSON arrays of at most pageSize, one page at a time, and returns each call's result or error in
   * order. If a server refuses a batch as a whole, that page and all later ones go out as single requests.
   */
  async batch<T = unknown>(calls: BatchCall[], pageSize: number, timeoutMs: number): Promise<BatchResult<T>[]> {
    const out: BatchResult<T>[] = [];
    const settle = (p: Promise<unknown>): Promise<BatchResult<T>> =>
      p.then(
        (result) => ({ ok: true as const, result: result as T }),
        (e: unknown) => ({ ok: false as const, error: e instanceof ElectrumError ? e : new ElectrumError(String(e)) }),
      );
    for (let i = 0; i < calls.length; i += pageSize) {
      const slice = calls.slice(i, i + pageSize);
      let promises: Promise<unknown>[];
      if (!this.batchesEnabled || slice.length === 1 || this.o.closedError()) {
        promises = slice.map((c) => this.send(c.method, c.params ?? [], timeoutMs));
      } else {
        const page: BatchPage = { ids: [], answered: false };
        const payload: unknown[] = [];
        promises = slice.map((c) => {
          const params = c.params ?? [];
          const { id, promise } = this.register(c.method, params, timeoutMs, page);
          page.ids.push(id);
          payload.push({ jsonrpc: '2.0', id, method: c.method, params });
          return promise;
        });
        this.pages.push(page);
        this.stats.requests += slice.length;
        this.o.write(JSON.stringify(payload));
      }
      out.push(...(await Promise.all(promises.map(settle))));
    }
    return out;
  }

  private handleLine(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.o.onFatal('protocol error: server sent a line that is not JSON', new ElectrumProtocolError('server sent a line that is not JSON'));
      return;
    }
    // A batch answer and the notifications around it arrive in whatever order the server wrote them; each message is
    // handled in that order, so a notification written before an answer is seen before it.
    if (Array.isArray(msg)) for (const m of msg) this.handleMessage(m);
    else this.handleMessage(msg);
  }

  private handleMessage(m: unknown): void {
    if (this.closed) return;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) {
      this.o.onFatal('protocol error: server sent a JSON value that is not a message', new ElectrumProtocolError('server sent a JSON value that is not a message'));
      return;
    }
    const msg = m as Record<string, unknown>;
    const id = msg.id;
    if (typeof msg.method === 'string') {
      if (id === undefined || id === null) {
        this.stats.notifications++;
        this.o.onNotification(msg.method, Array.isArray(msg.params) ? msg.params : []);
      } else this.stats.unknownIds++; // a request from the server: not part of the protocol, never a response
      return;
    }
    if (typeof id !== 'number') {
      if ((id === null || id === undefined) && msg.error !== undefined && msg.error !== null && this.failOldestPage(msg.error)) return;
      this.stats.unknownIds++;
      return;
    }
    const p = this.pending.get(id);
    if (!p) {
      this.stats.unknownIds++;
      return;
    }
    this.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    if (p.page) p.page.answered = true;
    this.prunePages();
    if (msg.error !== undefined && msg.error !== null) {
      const { code, message } = normaliseRpcError(msg.error);
      const err = new ElectrumRpcError(p.method, code, message);
      this.o.onRpcError(err);
      p.reject(err);
    } else if (!('result' in msg)) {
      p.reject(new ElectrumProtocolError(`response to ${p.method} has neither result nor error`));
    } else {
      p.resolve(msg.result);
    }
  }

  /**
   * A whole batch refused with one error (id null). A server that limits batches (Fulcrum's code 4 "Batch limit
   * exceeded", a busy or throttling server) refused this one for now: each call fails with that error so the caller
   * can slow down. Any other refusal means batches are not understood: resend the page's calls one by one.
   */
  private failOldestPage(error: unknown): boolean {
    const page = this.pages.find((pg) => !pg.answered && pg.ids.some((id) => this.pending.has(id)));
    if (!page) return false;
    this.pages.splice(this.pages.indexOf(page), 1);
    const { code, message } = normaliseRpcError(error);
    const err = new ElectrumRpcError('batch', code, message);
    this.o.onRpcError(err);
    if (code === 4 || isServerRefusal(err)) {
      // An error with id null cannot say which batch it refuses when several are unanswered: fail them all (their
      // late answers are then ignored) and let the caller send them again, slower.
      for (const pg of [page, ...this.pages.splice(0)]) {
        for (const id of pg.ids) {
          const p = this.pending.get(id);
          if (!p) continue;
          this.pending.delete(id);
          if (p.timer) clearTimeout(p.timer);
          p.reject(err);
        }
      }
      return true;
    }
    this.batchesEnabled = false;
    this.stats.batchFallbacks++;
    for (const id of page.ids) {
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      this.send(p.method, p.params, p.timeoutMs).then(p.resolve, p.reject);
    }
    return true;
  }

  private prunePages(): void {
    while (this.pages.length > 0 && (this.pages[0]?.ids.every((id) => !this.pending.has(id)) ?? false)) this.pages.shift();
  }

  private register(method: string, params: unknown[], timeoutMs: number, page: BatchPage | null): { id: number; promise: Promise<unknown> } {
    const id = this.nextId++;
    const promise = new Promise<unknown>((resolve, reject) => {
      const p: Pending = { method, params, timeoutMs, resolve, reject, timer: null, page };
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        p.timer = setTimeout(() => {
          if (this.pending.get(id) !== p) return;
          this.pending.delete(id);
          this.prunePages();
          reject(new ElectrumTimeoutError(method, timeoutMs));
        }, timeoutMs);
        p.timer.unref?.();
      }
      this.pending.set(id, p);
    });
    return { id, promise };
  }
}
