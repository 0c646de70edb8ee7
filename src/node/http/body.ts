/**
 * Request bodies: at most 1 MiB however they arrive (Content-Length or chunked), JSON no deeper than 64 levels.
 * Anything else is a 4xx with the error shape, never a reset connection or a 500.
 */
import type http from 'node:http';
import { SatdeskError } from '../../core/errors.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_JSON_DEPTH = 64;
/** After a 413, what the server still reads (and drops) so the client sees the answer instead of a reset. */
const DRAIN_BYTES = 8 * MAX_BODY_BYTES;

const tooLarge = (): SatdeskError => new SatdeskError('payload_too_large', `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`);

/**
 * Reads the body. Over the limit it rejects with payload_too_large and keeps draining (and dropping) what the client
 * still sends, up to a few MiB, so the 413 reaches a client that is still uploading; past that the socket closes.
 */
export function readBody(req: http.IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      drain(req);
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        chunks.length = 0;
        drain(req, size);
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    // The client went away mid-body: nothing to answer, nothing to log.
    req.on('error', () => reject(new SatdeskError('invalid_request', 'The request body did not arrive whole.')));
  });
}

function drain(req: http.IncomingMessage, already = 0): void {
  let seen = already;
  req.on('data', (c: Buffer) => {
    seen += c.length;
    if (seen > DRAIN_BYTES) req.socket.destroy();
  });
  req.resume();
}

/**
 * Nesting depth of a JSON text, counted without parsing (brackets outside strings), so a 20,000-deep document is
 * refused before anything recursive touches it.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

export function parseJsonBody(raw: Buffer): unknown {
  if (!raw.length) return undefined;
  const text = raw.toString('utf8');
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new SatdeskError('invalid_request', `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SatdeskError('invalid_request', 'The body is not valid JSON.');
  }
}
