/**
 * The fast public derivation (src/core/wallet/derive.ts) gives exactly bip32's child keys: over random account keys
 * and indexes (fast-check), at the edges of the index range, and through the wallet sources whose addresses the
 * published vectors pin (test/unit/wallet-source.test.ts runs those through the same code).
 */
import crypto from 'node:crypto';
import fc from 'fast-check';
import { networks } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { bip32 } from '../../src/core/ecc.ts';
import { childPublicKey } from '../../src/core/wallet/derive.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('childPublicKey', () => {
  it('equals bip32 derive(i).publicKey for random keys and indexes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 0x7fffffff }), (seed, index) => {
        const branch = bip32.fromSeed(seed, networks.bitcoin).derivePath("m/84'/0'/0'/0").neutered();
        expect(hex(childPublicKey(branch, index))).toBe(hex(branch.derive(index).publicKey));
      }),
      { numRuns: 200 },
    );
  });

  it('equals bip32 for the first thousand receive addresses of one account (a cached parent)', () => {
    const branch = bip32.fromSeed(crypto.randomBytes(32), networks.testnet).derivePath("m/84'/1'/0'/0").neutered();
    for (let i = 0; i < 1000; i++) expect(hex(childPublicKey(branch, i))).toBe(hex(branch.derive(i).publicKey));
    expect(hex(childPublicKey(branch, 0x7fffffff))).toBe(hex(branch.derive(0x7fffffff).publicKey));
  });

  it('leaves hardened and malformed indexes to bip32, which refuses them for a public key', () => {
    const branch = bip32.fromSeed(new Uint8Array(32).fill(1), networks.bitcoin).neutered();
    expect(() => childPublicKey(branch, 0x80000000)).toThrow(/hardened/i);
    expect(() => childPublicKey(branch, -1)).toThrow();
  });
});
