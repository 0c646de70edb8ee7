/**
 * The local HTTP API (SPEC 4.2), generated from the shared contract: one route per contract method, validated
 * with the method's schemas, answered by the service's handler. Plus the SSE event stream and the static console.
 */
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { API_PREFIX, contract, type MethodDef, type MethodName } from '../../shared/contract.ts';
import { HTTP_STATUS, SatdeskError, type ErrorCode } from '../../core/errors.ts';
import type { Satdesk } from '../service.ts';
import { eventsAfter, type StoredEvent } from '../events.ts';
import { describeZodError, dispatch } from '../dispatch.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

interface Route {
  name: MethodName;
  def: MethodDef;
  method: string;
  regex: RegExp;
  keys: string[];
}

function compileRoutes(): Route[] {
  return (Object.entries(contract) as [MethodName, MethodDef][]).map(([name, def]) => {
    const keys: string[] = [];
    const pattern = def.http.path.replace(/:(\w+)/g, (_, k: string) => {
      keys.push(k);
      return '([^/]+)';
    });
    return { name, def, method: def.http.method, regex: new RegExp(`^${API_PREFIX}${pattern}$`), keys };
  });
}

const ROUTES = compileRoutes();

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

export function sendError(res: http.ServerResponse, code: ErrorCode, message: string): void {
  sendJson(res, HTTP_STATUS[code], { error: { code, message } });
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      reject(new SatdeskError('payload_too_large', `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new SatdeskError('payload_too_large', `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(token).digest();
  return crypto.timingSafeEqual(a, b);
}

function bearer(req: http.IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(.+)$/i.exec(h) : null;
  return m?.[1]?.trim();
}

function parseQuery(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (k in out) throw new SatdeskError('invalid_request', `query: "${k}" is given twice`);
    out[k] = v;
  }
  return out;
}

export interface ApiServerOptions {
  host: string;
  port: number;
  token: () => string;
  /** 4 or 6 to pin the listener's family (SPEC 4.1 --ip-family); 0 = as the host says. */
  family?: 0 | 4 | 6;
  /** Folder with the built console (index.html); a short notice is served when absent. */
  consoleDir?: string;
  log?: (line: string) => void;
}

export interface ApiServer {
  server: http.Server;
  port: number;
  host: string;
  url: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
};

const CONSOLE_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; media-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

function serveStatic(res: http.ServerResponse, urlPath: string, dir: string | undefined): void {
  const headers = { 'Content-Security-Policy': CONSOLE_CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
  if (!dir || !fs.existsSync(path.join(dir, 'index.html'))) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...headers });
    res.end(
      '<!doctype html><meta charset="utf-8"><title>Satdesk</title><h1>Satdesk</h1><p>The API is running under ' +
        `<code>${API_PREFIX}</code>. The browser console is not built in this checkout: run <code>npm run build</code>.</p>`,
    );
    return;
  }
  const rel = decodeURIComponent(urlPath).replace(/^\/+/, '') || 'index.html';
  const file = path.resolve(dir, rel);
  const inside = file.startsWith(path.resolve(dir) + path.sep);
  const target = inside && fs.existsSync(file) && fs.statSync(file).isFile() ? file : path.join(dir, 'index.html');
  const type = MIME[path.extname(target)] ?? 'application/octet-stream';
  res.writeHead(200, { 'Content-Type': type, 'Cache-Control': target.endsWith('index.html') ? 'no-store' : 'max-age=3600', ...headers });
  fs.createReadStream(target).pipe(res);
}

/** Server-Sent Events: `id:` increasing, `event:` type, `data:` JSON; resumes after Last-Event-ID. */
function serveEvents(service: Satdesk, req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
  const lastHeader = req.headers['last-event-id'] ?? url.searchParams.get('last_event_id') ?? undefined;
  let last = lastHeader !== undefined ? Number(lastHeader) : service.bus.lastId;
  if (!Number.isSafeInteger(last) || last < 0) {
    sendError(res, 'invalid_request', 'Last-Event-ID must be an event id');
    return;
  }
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  const send = (e: StoredEvent): void => {
    if (e.id <= last) return;
    last = e.id;
    res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify({ ...e.data, id: e.id, type: e.type, created_at: new Date(e.created_at).toISOString() })}\n\n`);
  };
  // Replay what the client missed, then follow the bus (which only carries committed events).
  for (;;) {
    const batch = eventsAfter(service.db, last, 1000);
    if (!batch.length) break;
    batch.forEach(send);
  }
  const unsubscribe = service.bus.subscribe(send);
  const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
  const stop = (): void => {
    clearInterval(ping);
    unsubscribe();
  };
  req.on('close', stop);
  res.on('error', stop);
}

export async function startApiServer(service: Satdesk, opts: ApiServerOptions): Promise<ApiServer> {
  const log = opts.log ?? (() => {});
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log(`internal error: ${(e as Error)?.stack ?? String(e)}`);
      if (!res.headersSent) sendError(res, 'internal', 'Internal error; see the Satdesk log.');
      else res.destroy();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (!url.pathname.startsWith(API_PREFIX + '/') && url.pathname !== API_PREFIX) {
      if (method !== 'GET' && method !== 'HEAD') {
        sendError(res, 'not_found', 'Only the console is served outside /api/v1.');
        return;
      }
      serveStatic(res, url.pathname, opts.consoleDir);
      return;
    }
    if (url.pathname === `${API_PREFIX}/events` && method === 'GET') {
      if (!tokenMatches(bearer(req) ?? url.searchParams.get('token') ?? undefined, opts.token())) {
        sendError(res, 'unauthorized', 'A valid API token is required (Authorization: Bearer <token> or ?token=).');
        return;
      }
      serveEvents(service, req, res, url);
      return;
    }
    const candidates = ROUTES.filter((r) => r.regex.test(url.pathname));
    const route = candidates.find((r) => r.method === method);
    if (!route) {
      if (candidates.length) {
        res.setHeader('Allow', candidates.map((r) => r.method).join(', '));
        sendJson(res, 405, { error: { code: 'invalid_request', message: `${method} is not allowed here; use ${candidates.map((r) => r.method).join(' or ')}.` } });
      } else sendError(res, 'not_found', `No API route ${method} ${url.pathname}.`);
      return;
    }
    if (route.def.http.auth !== false && !tokenMatches(bearer(req), opts.token())) {
      sendError(res, 'unauthorized', 'A valid API token is required: Authorization: Bearer <token>.');
      return;
    }
    try {
      const match = route.regex.exec(url.pathname)!;
      const rawParams: Record<string, string> = {};
      route.keys.forEach((k, i) => {
        rawParams[k] = decodeURIComponent(match[i + 1]!);
      });
      const raw = method === 'GET' || method === 'DELETE' ? Buffer.alloc(0) : await readBody(req);
      let body: unknown = undefined;
      if (raw.length) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new SatdeskError('invalid_request', 'The body is not valid JSON.');
        }
      }
      const headers: Record<string, string | undefined> = {};
      for (const h of route.def.headers ?? []) {
        const v = req.headers[h];
        headers[h] = Array.isArray(v) ? v[0] : v;
      }
      const out = await dispatch(service, route.name, { params: rawParams, query: parseQuery(url), body, headers });
      if (route.def.contentType === 'text/csv') {
        const text = String(out);
        res.writeHead(200, {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="${path.basename(route.def.http.path)}"`,
          'Cache-Control': 'no-store',
        });
        res.end(text);
        return;
      }
      sendJson(res, route.def.http.status ?? 200, out);
    } catch (e) {
      if (e instanceof SatdeskError) {
        sendError(res, e.code, e.message);
        return;
      }
      if (e instanceof z.ZodError) {
        sendError(res, 'invalid_request', describeZodError(e, ''));
        return;
      }
      throw e;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port, ipv6Only: opts.family === 6 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' || addr.family === (6 as unknown as string) ? `[${addr.address}]` : addr.address;
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    server,
    port: addr.port,
    host: addr.address,
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SSE streams and keep-alive sockets would hold close() open forever.
        for (const s of sockets) s.destroy();
      }),
  };
}
