import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bip32 } from '../../src/core/ecc.ts';
import type { NetworkName } from '../../src/core/network.ts';
import { validateAddress } from '../../src/core/wallet/address.ts';
import { descriptorChecksum } from '../../src/core/wallet/descriptor.ts';
import { firstAddresses, parseWalletSource } from '../../src/core/wallet/source.ts';
import { errorOf } from '../helpers/keys.ts';

type Input = string | { repeat: string; count: number };
interface Valid {
  name: string; network: NetworkName; input: string; kind: string; script: string; canonical?: string;
  addresses?: string[]; scriptPubKeys?: string[]; witnessScripts?: string[]; source: string;
}
interface Fixture {
  valid: Valid[];
  invalid: { name: string; network: NetworkName; input: Input; code: string; message: string }[];
  checksums: { descriptor: string; checksum: string }[];
  bip32: { parent: string; index: number; leafXpub: string };
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/wallet-source.json', import.meta.url), 'utf8')) as Fixture;
const input = (i: Input): string => (typeof i === 'string' ? i : i.repeat.repeat(i.count));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sha256hex = (h: string): string => createHash('sha256').update(Buffer.from(h, 'hex')).digest('hex');

describe('parseWalletSource: valid', () => {
  it.each(fx.valid.map((v) => [v.name, v] as const))('%s', (_n, v) => {
    const src = parseWalletSource(v.input, v.network);
    expect(src.kind).toBe(v.kind);
    expect(src.script).toBe(v.script);
    expect(src.network).toBe(v.network);
    if (v.canonical) expect(src.canonical).toBe(v.canonical);
    if (v.addresses) expect(firstAddresses(src, v.addresses.length)).toEqual(v.addresses);
    v.scriptPubKeys?.forEach((spk, i) => expect(hex(src.addressAt(i).scriptPubKey)).toBe(spk));
    v.witnessScripts?.forEach((ws, i) => expect(hex(src.addressAt(i).scriptPubKey)).toBe(`0020${sha256hex(ws)}`));
    // every derived address validates on the same network to the same script
    for (let i = 0; i < 3; i++) {
      const a = src.addressAt(i);
      const back = validateAddress(a.address, v.network);
      expect(hex(back.scriptPubKey)).toBe(hex(a.scriptPubKey));
    }
    // the canonical text parses again to the same source
    const again = parseWalletSource(src.canonical, v.network);
    expect(again.canonical).toBe(src.canonical);
    expect(again.addressAt(5).address).toBe(src.addressAt(5).address);
  });

  it('firstAddresses defaults to 10', () => {
    const v = fx.valid.find((x) => x.addresses?.length === 10);
    if (!v) throw new Error('fixture needs a 10-address entry');
    expect(firstAddresses(parseWalletSource(v.input, v.network))).toEqual(v.addresses);
  });

  it('BIP32 test vector 1: public derivation m/0H/1/2H -> /2/1000000000', () => {
    const src = parseWalletSource(`pkh(${fx.bip32.parent}/2/*)`, 'mainnet');
    const leaf = bip32.fromBase58(fx.bip32.leafXpub);
    expect(leaf.depth).toBe(5);
    // address of the published leaf key itself: its hash160 inside P2PKH
    const spk = src.addressAt(fx.bip32.index).scriptPubKey;
    expect(hex(spk)).toBe(`76a914${hex(leaf.identifier)}88ac`);
  });

  it('sortedmulti: every permutation of the keys gives the same addresses', () => {
    const v = fx.valid.find((x) => x.name.startsWith('2-of-3'));
    if (!v) throw new Error('missing');
    const keys = v.input.slice('wsh(sortedmulti(2,'.length, -2).split(',');
    const perms = [[0, 1, 2], [2, 1, 0], [1, 2, 0]];
    const results = perms.map((p) => firstAddresses(parseWalletSource(`wsh(sortedmulti(2,${p.map((i) => keys[i]).join(',')}))`, 'regtest'), 4));
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('sortedmulti accepts 20 keys and refuses 21', () => {
    const k = fx.valid.find((x) => x.name === 'BIP383 sortedmulti inside wsh');
    if (!k) throw new Error('missing');
    const key = k.input.slice('wsh(sortedmulti(2,'.length).split(',')[0] as string;
    const twenty = Array.from({ length: 20 }, (_, i) => key.replace('/*', `/${i + 2}/*`)); // not /1/*: the change chain is refused
    const ok = parseWalletSource(`wsh(sortedmulti(17,${twenty.join(',')}))`, 'mainnet');
    expect(ok.addressAt(0).address).toMatch(/^bc1q[a-z0-9]{58}$/);
    const twentyOne = [...twenty, key.replace('/*', '/22/*')];
    expect(errorOf(() => parseWalletSource(`wsh(sortedmulti(1,${twentyOne.join(',')}))`, 'mainnet'))).toEqual({
      code: 'invalid_request',
      message: 'multisig takes at most 20 keys',
    });
  });

  it('addressAt refuses bad indexes', () => {
    const src = parseWalletSource(fx.valid[0]?.input as string, 'mainnet');
    for (const bad of [-1, 1.5, 2 ** 31, Number.NaN]) {
      expect(errorOf(() => src.addressAt(bad))).toEqual({
        code: 'invalid_request',
        message: 'address index must be an integer from 0 to 2147483647',
      });
    }
    expect(src.addressAt(2 ** 31 - 1).address).toMatch(/^1/);
  });
});

describe('parseWalletSource: invalid', () => {
  it.each(fx.invalid.map((v) => [v.name, v] as const))('%s', (_n, v) => {
    const text = input(v.input);
    const err = errorOf(() => parseWalletSource(text, v.network));
    expect(err).toEqual({ code: v.code, message: v.message });
    if (v.code === 'private_key_refused') {
      // the message never echoes key material
      for (const token of text.split(/[^0-9A-Za-z]+/).filter((t) => t.length >= 20)) expect(err.message).not.toContain(token);
    }
  });
});

describe('descriptorChecksum (BIP380)', () => {
  it.each(fx.checksums.map((c) => [c.descriptor, c] as const))('%s', (_n, c) => {
    expect(descriptorChecksum(c.descriptor)).toBe(c.checksum);
  });
  it('returns null for characters outside the set', () => {
    expect(descriptorChecksum('raw(Ü)')).toBeNull();
  });
});
