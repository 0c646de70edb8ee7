/** Address holding (docs/spec/wallet.md#holding-and-release) as a table. */
import { describe, expect, it } from 'vitest';
import { holdsAddress, releasedState, type HoldingFacts } from '../../src/core/holding.ts';
import type { AddressOrigin, AddressState, InvoiceStatus } from '../../src/core/vocabulary.ts';

const EXPIRES = 10_000;
const GRACE = 3_600_000;
const base: HoldingFacts = { status: 'unpaid', manualStatus: null, released: false, receivedSats: 0, now: 0, expiresAt: EXPIRES, graceMs: GRACE };
const f = (over: Partial<HoldingFacts>): HoldingFacts => ({ ...base, ...over });

describe('holdsAddress', () => {
  const rows: [string, Partial<HoldingFacts>, boolean][] = [
    ['unpaid holds', { status: 'unpaid' }, true],
    ['partial holds', { status: 'partial', receivedSats: 5 }, true],
    ['paid holds', { status: 'paid', receivedSats: 10 }, true],
    ['confirmed releases', { status: 'confirmed', receivedSats: 10 }, false],
    ['cancelled with nothing received releases', { status: 'cancelled' }, false],
    ['cancelled after a payment holds', { status: 'cancelled', receivedSats: 3 }, true],
    ['expired, nothing received, inside the grace holds', { status: 'expired', now: EXPIRES + GRACE - 1 }, true],
    ['expired, nothing received, at the end of the grace releases', { status: 'expired', now: EXPIRES + GRACE }, false],
    ['expired with a zero grace releases at once', { status: 'expired', now: EXPIRES, graceMs: 0 }, false],
    ['expired after a partial payment holds long after the grace', { status: 'expired', receivedSats: 1, now: EXPIRES + 10 * GRACE }, true],
    ['invalid holds', { status: 'invalid', receivedSats: 10, now: EXPIRES + 10 * GRACE }, true],
    ['released by the merchant: released whatever the status', { status: 'invalid', receivedSats: 10, released: true }, false],
    ['released while partial', { status: 'partial', receivedSats: 1, released: true }, false],
    ['marked confirmed releases', { status: 'paid', receivedSats: 10, manualStatus: 'confirmed' }, false],
    ['marked confirmed with nothing received releases', { status: 'unpaid', manualStatus: 'confirmed' }, false],
    ['marked invalid holds', { status: 'confirmed', receivedSats: 10, manualStatus: 'invalid' }, true],
    ['marked cancelled, nothing received, releases', { status: 'unpaid', manualStatus: 'cancelled' }, false],
    ['marked cancelled after a payment holds', { status: 'partial', receivedSats: 2, manualStatus: 'cancelled' }, true],
  ];
  it.each(rows)('%s', (_name, over, want) => expect(holdsAddress(f(over))).toBe(want));

  it('covers every status without a mark', () => {
    const statuses: InvoiceStatus[] = ['unpaid', 'partial', 'paid', 'confirmed', 'expired', 'invalid', 'cancelled'];
    for (const status of statuses) expect(typeof holdsAddress(f({ status }))).toBe('boolean');
  });
});

describe('releasedState', () => {
  const rows: [AddressOrigin, AddressState, AddressState][] = [
    ['static', 'in_use', 'free'],
    ['static', 'removed', 'removed'], // removed by the merchant meanwhile: stays removed
    ['derived', 'in_use', 'used'], // a derived address is never handed out again
    ['derived', 'free', 'used'],
  ];
  it.each(rows)('%s address in state %s → %s', (origin, current, want) => expect(releasedState(origin, current)).toBe(want));
});
