/** The secp256k1 backend passes bitcoinjs' own check of a backend (src/core/ecc.ts sets it without the check at start). */
import { describe, expect, it } from 'vitest';
import { initEccLib } from 'bitcoinjs-lib';
import { ecc } from '../../src/core/ecc.ts';

describe('ecc backend', () => {
  it("passes bitcoinjs' verification vectors", () => {
    initEccLib(undefined);
    expect(() => initEccLib(ecc)).not.toThrow();
  });

  it('a broken backend fails that verification (the check is real)', () => {
    const broken = { ...ecc, isXOnlyPoint: () => false };
    try {
      initEccLib(undefined);
      expect(() => initEccLib(broken)).toThrow();
    } finally {
      initEccLib(undefined);
      initEccLib(ecc);
    }
  });
});
