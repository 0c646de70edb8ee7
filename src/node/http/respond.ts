/** Answers of the local server: JSON with the error shape `{"error": {code, message}}`, never a stack trace. */
import type http from 'node:http';
import { HTTP_STATUS, type ErrorCode } from '../../core/errors.ts';

export const JSON_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
} as const;

export function sendJson(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, 'Content-Length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

export function sendError(res: http.ServerResponse, code: ErrorCode, message: string, extra: Record<string, string> = {}): void {
  sendJson(res, HTTP_STATUS[code], { error: { code, message } }, extra);
}

/** The raw bytes of an error answer, for sockets the HTTP parser gave up on (clientError). */
export function rawErrorResponse(status: number, reason: string, code: ErrorCode, message: string): string {
  const body = JSON.stringify({ error: { code, message } });
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`
  );
}

/** decodeURIComponent that answers null for a malformed escape (`%ff`, `%`, `%zz`) instead of throwing. */
export function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}
