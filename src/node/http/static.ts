/** The built console at `/` (no auth: it holds no data; it asks for a login code or the token). */
import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { API_PREFIX } from '../../shared/contract.ts';
import { safeDecode, sendError } from './respond.ts';
import { CONSOLE_CSP } from '../../shared/csp.ts';

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


const PAGE_HEADERS = { 'Content-Security-Policy': CONSOLE_CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };

export function serveStatic(res: http.ServerResponse, urlPath: string, dir: string | undefined): void {
  if (!dir || !fs.existsSync(path.join(dir, 'index.html'))) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...PAGE_HEADERS });
    res.end(
      '<!doctype html><meta charset="utf-8"><title>Satdesk</title><h1>Satdesk</h1><p>The API is running under ' +
        `<code>${API_PREFIX}</code>. The browser console is not built in this checkout: run <code>npm run build</code>.</p>`,
    );
    return;
  }
  const decoded = safeDecode(urlPath);
  if (decoded === null || decoded.includes('\0')) {
    sendError(res, 'invalid_request', 'The path holds a malformed %-escape.');
    return;
  }
  const rel = decoded.replace(/^\/+/, '') || 'index.html';
  const root = path.resolve(dir);
  const file = path.resolve(root, rel);
  let target = path.join(root, 'index.html');
  if (file.startsWith(root + path.sep)) {
    try {
      if (fs.statSync(file).isFile()) target = file;
    } catch {
      // not there: the single-page console answers every other path
    }
  }
  const type = MIME[path.extname(target)] ?? 'application/octet-stream';
  res.writeHead(200, { 'Content-Type': type, 'Cache-Control': target.endsWith('index.html') ? 'no-store' : 'max-age=3600', ...PAGE_HEADERS });
  const stream = fs.createReadStream(target);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
