/**
 * The local HTTP API (docs/security.md, src/shared/contract.ts), generated from the shared contract: one route per
 * contract method, validated with the method's schemas, answered by the service's handler. Plus the login-code
 * exchange, the SSE event stream (sse.ts) and the static console (static.ts).
 *
 * Every request passes the Host/Origin guard first (auth.ts). Bad input of any kind — a malformed %-escape, a
 * request the HTTP parser rejects, deep JSON, an oversized chunked body — gets a 4xx with the error shape.
 */
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { API_PREFIX, contract, type MethodDef, type MethodName } from '../../shared/contract.ts';
import { SatdeskError } from '../../core/errors.ts';
import type { Satdesk } from '../service.ts';
import { describeZodError, dispatch } from '../dispatch.ts';
import { allowedHostsFor, bearer, checkHostAndOrigin, LoginCodes, tokenMatches } from './auth.ts';
import { parseJsonBody, readBody } from './body.ts';
import { rawErrorResponse, safeDecode, sendError, sendJson } from './respond.ts';
import { isTextChunks, sendText } from './stream.ts';
import { serveStatic } from './static.ts';
import { EventStreams } from './sse.ts';
import { OWNER, type Principal } from '../../shared/contract-counter.ts';

export { MAX_BODY_BYTES } from './body.ts';
export { sendError } from './respond.ts';

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

function parseQuery(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (k in out) throw new SatdeskError('invalid_request', `query: "${k}" is given twice`);
    out[k] = v;
  }
  return out;
}

/** A login link printed by `serve` stays valid this long, or until used once. */
export const LOGIN_CODE_TTL_MS = 24 * 3600 * 1000;

export interface ApiServerOptions {
  host: string;
  port: number;
  token: () => string;
  /** 4 or 6 to pin the listener's family (--ip-family, docs/spec/api.md#commands); 0 = as the host says. */
  family?: 0 | 4 | 6;
  /** Folder with the built console (index.html); a short notice is served when absent. */
  consoleDir?: string;
  /** Host names answered besides the loopback names and the bound host (`--allow-host`). */
  allowHosts?: string[];
  /** Concurrent event streams (default 64). */
  maxStreams?: number;
  /** Serve HTTPS with this key and certificate (tills on the LAN, docs/counter.md#tills-on-the-shops-network). */
  tls?: { key: string; cert: string };
  /** Who a bearer token stands for (owner, cashier, display: docs/counter.md); default: the owner token only. */
  authenticate?: (bearer: string | undefined) => Principal | null;
  log?: (line: string) => void;
}

/** Extra routes under the API prefix (the demo's sandbox controls), behind the same guard and token. */
export type ExtraHandler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void;

export interface ApiServer {
  server: http.Server;
  port: number;
  host: string;
  url: string;
  streams: EventStreams;
  /** A fresh one-time console link (`/?login=<code>`); the token itself never goes in a URL. */
  loginUrl(): string;
  addRoutes(prefix: string, handler: ExtraHandler): void;
  close(): Promise<void>;
}

export async function startApiServer(service: Satdesk, opts: ApiServerOptions): Promise<ApiServer> {
  const log = opts.log ?? (() => {});
  const loginCodes = new LoginCodes();
  const streams = new EventStreams(service, opts.maxStreams);
  const extra: { prefix: string; handler: ExtraHandler }[] = [];
  let allowed = allowedHostsFor(opts.host, opts.allowHosts);
  const authenticate = opts.authenticate ?? ((b: string | undefined) => (tokenMatches(b, opts.token()) ? OWNER : null));
  /** The event stream and the demo's routes carry everything: the owner's only. */
  const ownerOnly = (res: http.ServerResponse, given: string | undefined): boolean => {
    const who = authenticate(given);
    if (who?.role === 'owner') return true;
    if (who) sendError(res, 'forbidden', 'Only the owner\u2019s token reads this.');
    else sendError(res, 'unauthorized', 'A valid API token is required: Authorization: Bearer <token>.');
    return false;
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handle(req, res).catch((e: unknown) => {
      log(`internal error: ${(e as Error)?.stack ?? String(e)}`);
      if (!res.headersSent) sendError(res, 'internal', 'Internal error; see the Satdesk log.');
      else res.destroy();
    });
  };
  const server: http.Server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, onRequest) : http.createServer(onRequest);
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  // An idle keep-alive connection should be closed by the client, not by us: with Node's 5 s default, a request a
  // client sends on a connection idle that long races our timer and is reset (ECONNRESET) — most often just after a
  // long synchronous write held the event loop. Clients that read the `Keep-Alive: timeout=65` hint close first.
  server.keepAliveTimeout = 65_000;
  // A request the HTTP parser refuses still gets the error shape, not Node's bare 400 or a reset.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, reason, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'The request headers are too large.']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'The request took too long to arrive.']
          : [400, 'Bad Request', 'The request is not valid HTTP/1.1.'];
    socket.end(rawErrorResponse(status, reason, 'invalid_request', message));
  });

  // `Expect:` anything but 100-continue: Node would answer a bare 417.
  server.on('checkExpectation', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    sendJson(res, 417, { error: { code: 'invalid_request', message: 'Only "Expect: 100-continue" is understood.' } }, { Connection: 'close' });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const verdict = checkHostAndOrigin(req.headers, allowed);
    if (!verdict.ok) {
      sendError(res, verdict.code, verdict.message, { Connection: 'close' });
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendError(res, 'invalid_request', 'The request target is not a path.');
      return;
    }
    if (!(req.url ?? '/').startsWith('/')) {
      sendError(res, 'invalid_request', 'The request target must be a path (origin-form).');
      return;
    }
    const method = req.method ?? 'GET';
    if (!url.pathname.startsWith(API_PREFIX + '/') && url.pathname !== API_PREFIX) {
      if (method !== 'GET' && method !== 'HEAD') {
        sendError(res, 'not_found', 'Only the console is served outside /api/v1.');
        return;
      }
      serveStatic(res, url.pathname, opts.consoleDir);
      return;
    }
    if (url.pathname === `${API_PREFIX}/login`) {
      await login(req, res, method);
      return;
    }
    if (url.pathname === `${API_PREFIX}/events` && method === 'GET') {
      // The one route that also takes ?token=: EventSource cannot send headers.
      if (!ownerOnly(res, bearer(req) ?? url.searchParams.get('token') ?? undefined)) return;
      streams.serve(req, res, url);
      return;
    }
    const ext = extra.find((x) => url.pathname.startsWith(x.prefix));
    if (ext) {
      if (!ownerOnly(res, bearer(req))) return;
      ext.handler(req, res, url);
      return;
    }
    const candidates = ROUTES.filter((r) => r.regex.test(url.pathname));
    const route = candidates.find((r) => r.method === method);
    if (!route) {
      if (candidates.length) {
        const allow = candidates.map((r) => r.method);
        sendJson(res, 405, { error: { code: 'invalid_request', message: `${method} is not allowed here; use ${allow.join(' or ')}.` } }, { Allow: allow.join(', ') });
      } else sendError(res, 'not_found', 'No such API route.');
      return;
    }
    const who = route.def.http.auth === false ? undefined : authenticate(bearer(req));
    if (who === null) {
      sendError(res, 'unauthorized', 'A valid API token is required: Authorization: Bearer <token>.');
      return;
    }
    try {
      const match = route.regex.exec(url.pathname)!;
      const rawParams: Record<string, string> = {};
      route.keys.forEach((k, i) => {
        const v = safeDecode(match[i + 1]!);
        if (v === null) throw new SatdeskError('invalid_request', `path: ${k} holds a malformed %-escape`);
        rawParams[k] = v;
      });
      const body = method === 'GET' || method === 'DELETE' ? undefined : parseJsonBody(await readBody(req));
      const headers: Record<string, string | undefined> = {};
      for (const h of route.def.headers ?? []) {
        const v = req.headers[h];
        headers[h] = Array.isArray(v) ? v[0] : v;
      }
      const out = await dispatch(service, route.name, { params: rawParams, query: parseQuery(url), body, headers }, who, { stream: true });
      if (route.def.contentType === 'text/csv') {
        const csvHeaders = {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="${path.basename(route.def.http.path)}"`,
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
        };
        // An export is written as it is read (docs/books.md#exports).
        await sendText(res, csvHeaders, isTextChunks(out) ? out : String(out));
        return;
      }
      sendJson(res, route.def.http.status ?? 200, out);
    } catch (e) {
      if (e instanceof SatdeskError) {
        // A body refused half-way (413) closes the connection once the answer is out.
        sendError(res, e.code, e.message, e.code === 'payload_too_large' ? { Connection: 'close' } : {});
        return;
      }
      if (e instanceof z.ZodError) {
        sendError(res, 'invalid_request', describeZodError(e, ''));
        return;
      }
      throw e;
    }
  }

  /** POST /api/v1/login {"code"} → {"token"}: trades a one-time code for the token, once. */
  async function login(req: http.IncomingMessage, res: http.ServerResponse, method: string): Promise<void> {
    if (method !== 'POST') {
      sendJson(res, 405, { error: { code: 'invalid_request', message: `${method} is not allowed here; use POST.` } }, { Allow: 'POST' });
      return;
    }
    let code: unknown;
    try {
      const body = parseJsonBody(await readBody(req, 4096));
      code = body && typeof body === 'object' ? (body as { code?: unknown }).code : undefined;
    } catch (e) {
      if (e instanceof SatdeskError) {
        sendError(res, e.code, e.message);
        return;
      }
      throw e;
    }
    if (!loginCodes.redeem(code, Date.now())) {
      sendError(res, 'unauthorized', 'This login link was used already or has expired. Restart serve for a new one, or paste the API token.');
      return;
    }
    sendJson(res, 200, { token: opts.token() });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port, ipv6Only: opts.family === 6 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  allowed = allowedHostsFor(opts.host, [...(opts.allowHosts ?? []), addr.address]);
  const host = addr.family === 'IPv6' || addr.family === (6 as unknown as string) ? `[${addr.address}]` : addr.address;
  const base = `${opts.tls ? 'https' : 'http'}://${host}:${addr.port}`;
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    server,
    port: addr.port,
    host: addr.address,
    url: base,
    streams,
    loginUrl: () => `${base}/?login=${loginCodes.issue(Date.now(), LOGIN_CODE_TTL_MS)}`,
    addRoutes: (prefix, handler) => extra.push({ prefix, handler }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SSE streams and keep-alive sockets would hold close() open forever.
        for (const s of sockets) s.destroy();
      }),
  };
}
