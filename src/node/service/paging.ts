/** Opaque list cursors (docs/spec/api.md#conventions) and random invoice ids. */
import crypto from 'node:crypto';
import { SatdeskError } from '../../core/errors.ts';

/** 16 characters of Crockford-like base32: 80 bits, URL- and eye-safe. */
export function randomId(): string {
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  return Array.from(crypto.randomBytes(16), (b) => alphabet[b & 31]).join('');
}

export function encodeCursor(seq: number): string {
  return Buffer.from(String(seq)).toString('base64url');
}

/** The row sequence a cursor stands for; no cursor = from the newest. */
export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return Number.MAX_SAFE_INTEGER;
  const text = /^[A-Za-z0-9_-]{1,24}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new SatdeskError('invalid_request', 'cursor is not one this server gave');
  return n;
}

/** One page of `rows` fetched with `limit + 1`: the page and the cursor to the next one. */
export function page<R>(rows: R[], limit: number, seqOf: (r: R) => number): { items: R[]; next_cursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, next_cursor: rows.length > limit ? encodeCursor(seqOf(items[items.length - 1]!)) : null };
}
