/**
 * JSON from a rate source, with every number kept as the text the source wrote: `JSON.parse` would turn
 * `43753.123456789012345` into a float before we could see it (docs/rates.md "Money": no float into money). The
 * reviver's third argument (the source text of a primitive, ES2025 "JSON.parse source text access", in Node ≥ 21)
 * wraps each number in a `JsonNumber`, so a schema can tell a JSON number from a JSON string.
 */
import { z } from 'zod';

export class JsonNumber {
  constructor(readonly text: string) {}
}

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

export function parseSourceJson(text: string): unknown {
  const reviver: Reviver = (_key, value, context) => {
    if (typeof value !== 'number') return value;
    if (context?.source === undefined) throw new Error('this Node has no JSON.parse source text access (Node 22 or later is required)');
    return new JsonNumber(context.source);
  };
  return JSON.parse(text, reviver as (this: unknown, key: string, value: unknown) => unknown);
}

/** A JSON number, as its text. */
export const Num = z.instanceof(JsonNumber).transform((n) => n.text);
/** A JSON string holding a decimal number (how Kraken, Bitstamp and Coinbase write prices). */
export const DecimalString = z.string().regex(/^\d{1,20}(\.\d{1,20})?$/, 'expected a decimal string');
