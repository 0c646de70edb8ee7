/**
 * One vocabulary (docs/decisions/0014-one-vocabulary.md): every derived list equals the core's, and the generated
 * tables in docs/spec/ are current (`npm run docs` rewrites them).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as v from '../../src/core/vocabulary.ts';
import * as c from '../../src/shared/contract.ts';
import { GENESIS_HASHES } from '../../src/core/network.ts';
import { CONSOLE_CSP, CONSOLE_CSP_META } from '../../src/shared/csp.ts';
import { SUBSCRIBED_EVENT_TYPES } from '../../src/renderer/src/events.ts';
import {
  CALLBACK_EVENT_TYPES,
  EVENT_TYPE_INFO,
  EVENT_TYPES,
  INVOICE_STATUSES,
  INVOICE_FLAGS,
  DELIVERY_STATES,
} from '../../src/core/vocabulary.ts';
import { GENERATED, readPage, renderPage } from '../../scripts/docs-tables.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

function walk(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const p = `${dir}/${e.name}`;
    return e.isDirectory() ? walk(p) : /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

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

describe('one definition per word (docs/decisions/0014-one-vocabulary.md)', () => {
  it('the contract’s enums are the core’s lists', () => {
    expect(c.InvoiceStatusSchema.options).toEqual([...INVOICE_STATUSES]);
    expect(c.InvoiceFlagSchema.options).toEqual([...INVOICE_FLAGS]);
    expect(c.DeliveryStateSchema.options).toEqual([...DELIVERY_STATES]);
    expect(c.NetworkSchema.options).toEqual([...v.NETWORKS]);
    expect(c.AddressStateSchema.options).toEqual([...v.ADDRESS_STATES]);
    expect(c.AgentFormatSchema.options).toEqual([...v.AGENT_FORMATS]);
    expect(c.RoleSchema.options).toEqual([...v.ROLES]);
    expect(c.MarkActionSchema.options).toEqual([...v.MARK_ACTIONS]);
    expect(c.IpFamilySchema.options).toEqual([...v.IP_FAMILIES]);
  });

  it('the console subscribes to exactly the event types the server emits (the stream’s reload included)', () => {
    expect([...SUBSCRIBED_EVENT_TYPES].sort()).toEqual([...EVENT_TYPES].sort());
    expect(SUBSCRIBED_EVENT_TYPES).toContain('reload');
  });

  it('every event type in the vocabulary is emitted somewhere (nothing listed that nobody emits)', () => {
    const emitters = [...walk('src/node'), 'src/core/invoice.ts'].map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8')).join('\n');
    const silent = EVENT_TYPES.filter((t) => !emitters.includes(`'${t}'`));
    expect(silent).toEqual([]);
  });

  it('the CSP is one policy: the static server’s header, the desktop app’s header, the built page’s meta tag', () => {
    expect(fs.readFileSync(path.join(ROOT, 'src/node/http/static.ts'), 'utf8')).toMatch(/'Content-Security-Policy': CONSOLE_CSP\b/);
    expect(fs.readFileSync(path.join(ROOT, 'src/main/index.ts'), 'utf8')).toMatch(/'Content-Security-Policy': \[CONSOLE_CSP\]/);
    const built = fs.readFileSync(path.join(ROOT, 'out/renderer/index.html'), 'utf8');
    expect(/http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(built)?.[1]).toBe(CONSOLE_CSP_META);
    expect(CONSOLE_CSP).toBe(`${CONSOLE_CSP_META}; frame-ancestors 'none'`);
  });

  it('network and protocol constants live in src/core only', () => {
    const offenders: string[] = [];
    for (const f of walk('src')) {
      if (f.startsWith('src/core/')) continue;
      const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
      for (const hash of Object.values(GENESIS_HASHES)) if (text.includes(hash)) offenders.push(`${f}: a genesis hash`);
      if (/PROTOCOL_(MIN|MAX) = '/.test(text)) offenders.push(`${f}: a protocol version`);
      if (/['"]mainnet['"],\s*['"]testnet['"],\s*['"]signet['"]/.test(text)) offenders.push(`${f}: the network list`);
      if (/<=? ?65535|65535 ?>=?/.test(text)) offenders.push(`${f}: port parsing`);
    }
    expect(offenders).toEqual([]);
  });
});
