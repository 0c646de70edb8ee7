/**
 * Validates a raw call against the contract and runs the service's handler. The HTTP server and the Electron IPC
 * handlers both go through here, so a payload is checked the same way whichever door it came in by.
 */
import { z } from 'zod';
import { contract, type MethodDef, type MethodName } from '../shared/contract.ts';
import { SatdeskError } from '../core/errors.ts';
import { guardInput } from '../core/input-guard.ts';
import type { Satdesk } from './service.ts';
import { OWNER, type Principal } from '../shared/contract-counter.ts';
import { assertRole } from './counter/roles.ts';
import { collectText, isTextChunks } from './http/stream.ts';

export interface RawCall {
  params?: unknown;
  query?: unknown;
  body?: unknown;
  headers?: Record<string, string | undefined>;
}

/** A zod failure as one readable sentence: `body.amount_sats: expected number`. */
export function describeZodError(err: z.ZodError, where: string): string {
  return err.issues
    .slice(0, 5)
    .map((i) => {
      const at = [where, ...i.path.map(String)].filter(Boolean).join('.');
      if (i.code === 'unrecognized_keys') {
        return `${at ? at + ': ' : ''}unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      }
      return `${at || where}: ${i.message}`;
    })
    .join('; ');
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'object' && Object.keys(v).length === 0);
}

function parsePart(schema: z.ZodType | undefined, value: unknown, where: 'params' | 'query' | 'body'): unknown {
  if (!schema) {
    if (!isEmpty(value)) throw new SatdeskError('invalid_request', `${where}: this method takes none`);
    return where === 'body' ? undefined : {};
  }
  if (where === 'body' && value === undefined && !schema.safeParse(undefined).success) {
    throw new SatdeskError('invalid_request', 'A JSON body is required.');
  }
  const r = schema.safeParse(where !== 'body' && value === undefined ? {} : value);
  if (!r.success) throw new SatdeskError('invalid_request', describeZodError(r.error, where === 'params' ? 'path' : where));
  return r.data;
}

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(contract, name);
}

/**
 * `auth` is who calls: the HTTP server passes the token's principal; the desktop app and in-process callers are the
 * owner. A method that streams its answer (the CSV exports) gives its chunks only to a caller that asks for a
 * `stream` (the HTTP server); everyone else gets the whole text.
 */
export async function dispatch(service: Satdesk, name: MethodName, raw: RawCall, auth: Principal = OWNER, opts: { stream?: boolean } = {}): Promise<unknown> {
  const def: MethodDef = contract[name];
  // POST /addresses answers each refused entry itself (redacted), so a pasted key there is a per-item "invalid".
  guardInput(raw, { skipPrivateScan: name === 'addAddresses' });
  assertRole(def, auth);
  const headers: Record<string, string | undefined> = {};
  for (const h of def.headers ?? []) {
    const v = raw.headers?.[h];
    if (v !== undefined && typeof v !== 'string') throw new SatdeskError('invalid_request', `header ${h} must be a string`);
    headers[h] = v;
  }
  const input = {
    params: parsePart(def.params, raw.params, 'params'),
    query: parsePart(def.query, raw.query, 'query'),
    body: parsePart(def.body, raw.body, 'body'),
    headers,
    auth,
  };
  const handler = service.handlers[name] as (i: unknown) => unknown;
  try {
    const out = await handler(input);
    return isTextChunks(out) && !opts.stream ? await collectText(out) : out;
  } catch (e) {
    throw storageError(e) ?? e;
  }
}

/**
 * A full disk or a data dir that turned read-only is the user's to fix, not an internal error: say so plainly.
 * SQLite rolls the whole transaction back in both cases, so nothing is half-written.
 */
export function storageError(e: unknown): SatdeskError | null {
  const code = (e as { code?: unknown })?.code;
  if (code === 'SQLITE_FULL') {
    return new SatdeskError('storage_full', 'The disk holding the Satdesk data dir is full: nothing was saved. Free some space and try again.');
  }
  if (typeof code === 'string' && (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN')) {
    return new SatdeskError('storage_unavailable', `The Satdesk data dir cannot be written (${code}): nothing was saved. Check its permissions and free space.`);
  }
  return null;
}
