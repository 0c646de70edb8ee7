/**
 * One HTTP POST of a callback, with node:http/https directly: redirects are never followed (a 3xx is a failed
 * attempt), the whole exchange has one deadline, and only the first 1 KiB of the response is kept.
 */
import http from 'node:http';
import https from 'node:https';

export interface PostResult {
  status: number | null;
  error: string | null;
  excerpt: string | null;
}

const EXCERPT_BYTES = 1024;
const MAX_READ_BYTES = 1024 * 1024;

export function postOnce(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  agents?: { http: http.Agent; https: https.Agent },
): Promise<PostResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: PostResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      done({ status: null, error: 'invalid url', excerpt: null });
      return;
    }
    const isHttps = u.protocol === 'https:';
    const payload = Buffer.from(body, 'utf8');
    const req = (isHttps ? https : http).request(u, {
      method: 'POST',
      headers: { ...headers, 'Content-Length': String(payload.length) },
      agent: agents ? (isHttps ? agents.https : agents.http) : undefined,
    });
    // Set once the status line arrived: a receiver that answered but trickles its body past the deadline has
    // still answered (docs/spec/notifications.md#attempts-and-retries judges the status), so the attempt ends with that status, not as a timeout.
    let answered: (() => void) | null = null;
    const timer = setTimeout(() => {
      if (answered) answered();
      req.destroy(new Error(`timeout after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => {
      done({ status: null, error: e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message, excerpt: null });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let read = 0;
      res.on('data', (c: Buffer) => {
        read += c.length;
        if (kept < EXCERPT_BYTES) {
          chunks.push(c.subarray(0, EXCERPT_BYTES - kept));
          kept += Math.min(c.length, EXCERPT_BYTES - kept);
        }
        if (read > MAX_READ_BYTES) res.destroy();
      });
      const finish = (): void => done({ status: res.statusCode ?? null, error: null, excerpt: Buffer.concat(chunks).toString('utf8') });
      answered = finish;
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    req.end(payload);
  });
}
