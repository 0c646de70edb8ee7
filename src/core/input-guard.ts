/**
 * Checks every raw input (HTTP and IPC alike, before the schemas run): no prototype-polluting keys (`__proto__`,
 * `constructor`, `prototype` — `{"__proto__": "1"}` as a map of rates once wiped the rates), no nesting deeper than
 * 64 levels, and no private key material in any string (it is refused and never echoed). Pure, iterative.
 */
import { SatdeskError } from './errors.ts';
import { containsPrivateMaterial, privateKeyRefused } from './wallet/keys.ts';

export const MAX_INPUT_DEPTH = 64;
const HOSTILE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface GuardOptions {
  /** Skip the private-material scan (a method that reports each refused item itself, redacted). */
  skipPrivateScan?: boolean;
}

export function guardInput(value: unknown, opts: GuardOptions = {}): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (!opts.skipPrivateScan && containsPrivateMaterial(v)) throw privateKeyRefused();
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) throw new SatdeskError('invalid_request', `The input is nested deeper than ${MAX_INPUT_DEPTH} levels.`);
    if (Array.isArray(v)) {
      for (const x of v) stack.push([x, depth + 1]);
      continue;
    }
    for (const k of Object.keys(v)) {
      if (HOSTILE_KEYS.has(k)) throw new SatdeskError('invalid_request', `The key "${k}" is not allowed anywhere in a request.`);
      if (!opts.skipPrivateScan && containsPrivateMaterial(k)) throw privateKeyRefused();
      stack.push([(v as Record<string, unknown>)[k], depth + 1]);
    }
  }
}
