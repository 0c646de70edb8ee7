/**
 * One GET to a rate source: a deadline for the whole exchange (connect, headers and body), a size cap, no
 * redirects, and — when the merchant set a SOCKS5 proxy for Electrum (Tor) — the request goes through it with the
 * host name resolved by the proxy (`socks5h`), so neither the source nor the local resolver sees the merchant's
 * address. Each source gets its own proxy username: Tor's default IsolateSOCKSAuth then gives each source its own
 * circuit, so the sources cannot link their requests by exit address (docs/rates.md "Privacy").
 */
import http from 'node:http';
import https from 'node:https';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { parseSourceJson } from './json.ts';

export interface GetOptions {
  timeoutMs: number;
  maxBytes: number;
  /** `socks5://host:port` or `socks5h://…`, optionally with `user:pass@` (then used as given). */
  proxy: string | null;
  /** Distinguishes this caller's circuits (the SOCKS username) when the proxy URL has no credentials. */
  isolation: string;
  signal?: AbortSignal;
}

/** Why a request to a source failed, in words for the Settings screen. */
export class SourceFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceFetchError';
  }
}

const direct = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };

/** A `socks5h://` URL for socks-proxy-agent: names resolved by the proxy, per-caller credentials for isolation. */
export function proxyAgentUrl(proxy: string, isolation: string): string {
  let u: URL;
  try {
    u = new URL(proxy.trim());
  } catch {
    throw new SourceFetchError(`the proxy setting "${proxy.slice(0, 80)}" is not a socks5:// URL`);
  }
  if (u.protocol !== 'socks5:' && u.protocol !== 'socks5h:') throw new SourceFetchError(`the proxy must be socks5://host:port, not ${u.protocol}//`);
  if (!u.port) throw new SourceFetchError('the proxy URL needs a port');
  const auth = u.username ? `${u.username}:${u.password}@` : `${encodeURIComponent(isolation)}:satdesk@`;
  return `socks5h://${auth}${u.host}`;
}

function agentFor(url: URL, opts: GetOptions): http.Agent {
  if (opts.proxy) return new SocksProxyAgent(proxyAgentUrl(opts.proxy, opts.isolation), { timeout: opts.timeoutMs });
  return url.protocol === 'https:' ? direct.https : direct.http;
}

/** GETs `url` and parses the answer as JSON (numbers kept as text, see json.ts). */
export function getJson(url: string, opts: GetOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new SourceFetchError(`bad URL ${url.slice(0, 100)}`));
      return;
    }
    let settled = false;
    const done = (err: Error | null, value?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(value);
    };
    const get = target.protocol === 'https:' ? https.get : http.get;
    const req = get(target, { agent: agentFor(target, opts), headers: { accept: 'application/json', 'user-agent': 'Satdesk' } }, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > opts.maxBytes) return done(new SourceFetchError(`the answer is larger than ${Math.round(opts.maxBytes / 1024)} KiB`));
        chunks.push(c);
      });
      res.on('error', (e) => done(new SourceFetchError(`the answer broke off: ${e.message}`)));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (status < 200 || status > 299) {
          const excerpt = text.replace(/\s+/g, ' ').trim().slice(0, 120);
          const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
          return done(new SourceFetchError(`HTTP ${status}${redirect}${excerpt ? `: ${excerpt}` : ''}`));
        }
        if (!text.trim()) return done(new SourceFetchError('the answer is empty'));
        try {
          done(null, parseSourceJson(text));
        } catch {
          done(new SourceFetchError(`the answer is not JSON: ${text.replace(/\s+/g, ' ').slice(0, 60)}`));
        }
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => done(new SourceFetchError(describeNetError(e, target))));
    const timer = setTimeout(() => done(new SourceFetchError(`no answer within ${opts.timeoutMs / 1000} s`)), opts.timeoutMs);
    timer.unref();
    const onAbort = (): void => done(new SourceFetchError('stopped'));
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function describeNetError(e: NodeJS.ErrnoException, url: URL): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return `${url.host} refused the connection`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve ${url.hostname}`;
    case 'ECONNRESET':
      return `${url.host} closed the connection`;
    default:
      return e.message || String(e.code ?? 'network error');
  }
}
