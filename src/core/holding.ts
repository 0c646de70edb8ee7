/**
 * Address holding (docs/spec/wallet.md#holding-and-release), pure: whether an invoice keeps its address, and what
 * a released address becomes. Table tests: test/unit/holding.test.ts.
 */
import type { AddressOrigin, AddressState, InvoiceStatus } from './vocabulary.ts';

export interface HoldingFacts {
  /** The evaluated status (before any merchant mark). */
  status: InvoiceStatus;
  /** The status the merchant set with a mark, if any. */
  manualStatus: InvoiceStatus | null;
  /** The merchant released the address (`mark released`). */
  released: boolean;
  /** Everything counted toward the invoice, mempool included. */
  receivedSats: number;
  now: number;
  expiresAt: number;
  /** `pool_release_grace_s` in ms: how long an expired invoice that received nothing keeps its address. */
  graceMs: number;
}

/** True while the invoice keeps its address. */
export function holdsAddress(f: HoldingFacts): boolean {
  const received = f.receivedSats > 0;
  if (f.released) return false;
  if (f.manualStatus !== null) {
    // A mark: confirmed frees the address; cancelled frees it only if nothing arrived; invalid holds it.
    return f.manualStatus === 'invalid' || (f.manualStatus === 'cancelled' && received);
  }
  switch (f.status) {
    case 'unpaid':
    case 'partial':
    case 'paid':
    case 'invalid':
      return true;
    case 'confirmed':
      return false;
    case 'cancelled':
      return received;
    case 'expired':
      // Nothing received: kept for the grace so a late payment still counts; after a part-payment: until released.
      return received || f.now < f.expiresAt + f.graceMs;
  }
}

/** What an address becomes when its invoice lets it go: a derived address is never handed out again. */
export function releasedState(origin: AddressOrigin, current: AddressState): AddressState {
  if (origin === 'derived') return 'used';
  return current === 'removed' ? 'removed' : 'free';
}
