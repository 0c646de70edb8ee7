import { StringDecoder } from 'node:string_decoder';

export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

export interface LineDecoderOptions {
  /** Largest accepted line in bytes, excluding the newline (default 8 MiB). */
  maxLineBytes?: number;
  onLine: (line: string) => void;
  /** Called once when a line exceeds the cap; the decoder then ignores all further input. */
  onError: (err: LineTooLongError) => void;
}

export class LineTooLongError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`line longer than ${limit} bytes from server`);
    this.name = 'LineTooLongError';
    this.limit = limit;
  }
}

/**
 * Newline-delimited message framing: accumulates chunks, emits complete lines (without `\n` or a trailing `\r`;
 * empty lines are skipped), decodes UTF-8 safely across chunk boundaries, caps the line size.
 * push() itself never throws; onLine must not throw either (the client wraps its handler).
 */
export class LineDecoder {
  private readonly decoder = new StringDecoder('utf8');
  private readonly maxLineBytes: number;
  private readonly onLine: (line: string) => void;
  private readonly onError: (err: LineTooLongError) => void;
  private pending: string[] = [];
  private pendingBytes = 0;
  private failed = false;

  constructor(opts: LineDecoderOptions) {
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.onLine = opts.onLine;
    this.onError = opts.onError;
  }

  /** True after an oversize line: the stream is unusable and the connection should be dropped. */
  get isFailed(): boolean {
    return this.failed;
  }

  /** Bytes buffered for the current incomplete line. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer | Uint8Array | string): void {
    if (this.failed) return;
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      const piece = nl < 0 ? text.slice(start) : text.slice(start, nl);
      if (piece.length > 0) {
        this.pendingBytes += Buffer.byteLength(piece, 'utf8');
        this.pending.push(piece);
        if (this.pendingBytes > this.maxLineBytes) {
          this.fail();
          return;
        }
      }
      if (nl < 0) return;
      const line = this.takeLine();
      if (line.length > 0) this.onLine(line);
      if (this.failed) return;
      start = nl + 1;
    }
  }

  /** Discards buffered input (used on close). */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.decoder.end();
  }

  private takeLine(): string {
    let line = this.pending.length === 1 ? (this.pending[0] ?? '') : this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    return line;
  }

  private fail(): void {
    this.failed = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.onError(new LineTooLongError(this.maxLineBytes));
  }
}
