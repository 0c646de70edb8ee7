/**
 * HTTP as an attacker sends it: node:http with any Host/Origin (fetch drops those headers), and raw sockets for
 * requests no client library would produce (malformed escapes, broken framing, chunked floods).
 */
import http from 'node:http';
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** One request through node:http, headers exactly as given (Host included). */
export function request(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port), method, path, headers, setHost: !('host' in lower(headers)) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: parseJson(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const lower = (h: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

/**
 * Writes `chunks` to a raw TCP socket (each written as it is, in order) and reads until the server closes or the
 * first complete response arrived. Resolves with the parsed status line, headers and body, or status 0 when the
 * connection was reset/closed with nothing.
 */
export function rawExchange(port: number, chunks: (string | Buffer)[], opts: { host?: string; timeoutMs?: number } = {}): Promise<RawResponse & { reset: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, opts.host ?? '127.0.0.1');
    let buf = Buffer.alloc(0);
    let reset = false;
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ ...parseResponse(buf), reset });
    };
    const timer = setTimeout(finish, opts.timeoutMs ?? 10_000);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const r = parseResponse(buf);
      if (r.complete) finish();
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') reset = true;
      finish();
    });
    s.on('close', finish);
    s.on('connect', () => {
      void (async () => {
        for (const c of chunks) {
          if (s.destroyed) return;
          const ok = s.write(c);
          if (!ok) await new Promise<void>((r) => s.once('drain', () => r()));
        }
      })();
    });
  });
}

function parseResponse(buf: Buffer): RawResponse & { complete: boolean } {
  const text = buf.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: '', json: null, complete: false };
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  const headers: http.IncomingHttpHeaders = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const raw = buf.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  const len = headers['content-length'] !== undefined ? Number(headers['content-length']) : null;
  const body = (len !== null ? raw.subarray(0, len) : raw).toString('utf8');
  const complete = len !== null ? raw.length >= len : false;
  return { status, headers, body, json: parseJson(body), complete };
}
