/**
 * One vocabulary (docs/decisions/0014-one-vocabulary.md): every derived list equals the core's, and the generated
 * tables in docs/spec/ are current (`npm run docs` rewrites them).
 */
import { describe, expect, it } from 'vitest';
import {
  CALLBACK_EVENT_TYPES,
  EVENT_TYPE_INFO,
  EVENT_TYPES,
  INVOICE_STATUSES,
  INVOICE_FLAGS,
  DELIVERY_STATES,
} from '../../src/core/vocabulary.ts';
import { GENERATED, readPage, renderPage } from '../../scripts/docs-tables.ts';

describe('the vocabulary', () => {
  it('has no duplicates and flags in their stable order', () => {
    for (const list of [EVENT_TYPES, INVOICE_STATUSES, INVOICE_FLAGS, DELIVERY_STATES]) expect(new Set(list).size).toBe(list.length);
    expect([...INVOICE_FLAGS]).toEqual([...INVOICE_FLAGS].sort());
  });

  it('callback events are exactly those marked for events agents', () => {
    expect(CALLBACK_EVENT_TYPES).toEqual(EVENT_TYPES.filter((t) => EVENT_TYPE_INFO[t].callback));
    expect(CALLBACK_EVENT_TYPES).toContain('invoice.paid');
    expect(CALLBACK_EVENT_TYPES).not.toContain('chain.tip');
  });

  it.each(Object.keys(GENERATED))('%s is current (run `npm run docs`)', (file) => {
    const text = readPage(file);
    expect(renderPage(file, text)).toBe(text);
  });
});
