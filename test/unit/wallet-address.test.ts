import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { address as bjsAddress } from 'bitcoinjs-lib';
import '../../src/core/ecc.ts';
import { isSatdeskError } from '../../src/core/errors.ts';
import type { NetworkName } from '../../src/core/network.ts';
import { scripthash, validateAddress } from '../../src/core/wallet/address.ts';
import { base58CheckEncode } from '../../src/core/wallet/encoding.ts';
import { BITCOIN_NETWORKS } from '../../src/core/wallet/networks.ts';
import { errorOf } from '../helpers/keys.ts';

type Input = string | { repeat: string; count: number };
interface Fixture {
  valid: { address: string; network: NetworkName; type: string; scriptPubKey: string; normalized?: string; source: string }[];
  invalid: { address: Input; network: NetworkName; code: string; message: string; source: string }[];
  scripthash: { address: string; network: NetworkName; scriptPubKey: string; scripthash: string }[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/wallet-address.json', import.meta.url), 'utf8')) as Fixture;
const input = (i: Input): string => (typeof i === 'string' ? i : i.repeat.repeat(i.count));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('validateAddress: valid', () => {
  it.each(fx.valid.map((v) => [`${v.address.trim()} on ${v.network}`, v] as const))('%s', (_n, v) => {
    const r = validateAddress(v.address, v.network);
    expect(r.type).toBe(v.type);
    expect(hex(r.scriptPubKey)).toBe(v.scriptPubKey);
    expect(r.address).toBe(v.normalized ?? v.address);
    // cross-check with bitcoinjs-lib's independent decoder
    expect(hex(bjsAddress.toOutputScript(r.address, BITCOIN_NETWORKS[v.network]))).toBe(v.scriptPubKey);
  });
});

describe('validateAddress: invalid', () => {
  it.each(fx.invalid.map((v) => [`${input(v.address).slice(0, 60)} on ${v.network}`, v] as const))('%s', (_n, v) => {
    expect(errorOf(() => validateAddress(input(v.address), v.network))).toEqual({ code: v.code, message: v.message });
  });

  it('refuses a well-formed base58check string with an unknown version byte', () => {
    // version 0x30 (a Litecoin P2PKH) with a 20-byte hash
    const ltc = bjsAddress.toBase58Check(new Uint8Array(20).fill(7), 0x30);
    expect(errorOf(() => validateAddress(ltc, 'mainnet'))).toEqual({ code: 'invalid_address', message: 'invalid address: unknown prefix' });
  });

  it('refuses a base58check payload of the wrong length', () => {
    const short = base58CheckEncode(new Uint8Array(20).fill(0)); // version 0x00 + 19-byte hash
    expect(errorOf(() => validateAddress(short, 'mainnet'))).toEqual({ code: 'invalid_address', message: 'invalid address: bad length' });
  });

  it('every valid address is refused as wrong_network on every network it does not belong to', () => {
    const belongs: Record<string, NetworkName[]> = {};
    for (const v of fx.valid) (belongs[v.address] ??= []).push(v.network);
    for (const [a] of Object.entries(belongs)) {
      for (const n of ['mainnet', 'testnet', 'signet', 'regtest'] as const) {
        let ok = true;
        try {
          validateAddress(a, n);
        } catch (e) {
          ok = false;
          expect(isSatdeskError(e) && e.code).toBe('wrong_network');
          expect((e as Error).message).toMatch(new RegExp(`^address is for .+, this Satdesk is on ${n}$`));
        }
        if (ok) expect(['mainnet', 'testnet', 'signet', 'regtest']).toContain(n);
      }
    }
  });
});

describe('scripthash', () => {
  it.each(fx.scripthash.map((v) => [v.address, v] as const))('%s', (_n, v) => {
    const r = validateAddress(v.address, v.network);
    expect(hex(r.scriptPubKey)).toBe(v.scriptPubKey);
    expect(scripthash(r.scriptPubKey)).toBe(v.scripthash);
    expect(scripthash(Uint8Array.from(Buffer.from(v.scriptPubKey, 'hex')))).toBe(v.scripthash);
  });
});
