import { describe, expect, it } from 'vitest';
import vectors from '../fixtures/chain-vectors.json' with { type: 'json' };
import {
  REGTEST_BITS,
  REGTEST_GENESIS_HASH,
  REGTEST_GENESIS_HEADER,
  bitsToTarget,
  checkProofOfWork,
  electrumStatus,
  headerHash,
  merkleBranch,
  merkleRoot,
  merkleRootFromProof,
  parseHeader,
  scriptHashOfScript,
  serializeHeaderHex,
  sortHistory,
} from '../../src/core/chain/index.ts';
import { hexToBytes } from '../../src/core/chain/bytes.ts';

describe('electrum status', () => {
  for (const v of vectors.status.valid) {
    it(v.description, () => {
      expect(electrumStatus(v.history)).toBe(v.status);
    });
  }

  it('canonical ordering puts a shuffled history back in the spec order', () => {
    const v = vectors.status.valid[0]!;
    const withPos = v.history.map((e, i) => ({ ...e, pos: v.positions?.[i] ?? undefined }));
    const shuffled = [withPos[5]!, withPos[2]!, withPos[4]!, withPos[0]!, withPos[3]!, withPos[1]!];
    const sorted = sortHistory(shuffled);
    expect(sorted.map((e) => e.tx_hash)).toEqual(v.history.map((e) => e.tx_hash));
    expect(electrumStatus(sorted)).toBe(v.status);
  });

  it('a different order gives a different status (the order is part of the hash)', () => {
    const v = vectors.status.valid[0]!;
    const swapped = [v.history[0]!, v.history[2]!, v.history[1]!, ...v.history.slice(3)];
    expect(electrumStatus(swapped)).not.toBe(v.status);
  });
});

describe('merkle', () => {
  for (const v of vectors.merkle.valid) {
    it(v.description, () => {
      expect(merkleRootFromProof(v.txid, v.branch, v.pos)).toBe(v.root);
      expect(merkleRootFromProof(v.txid, v.branch, v.pos ^ 1)).not.toBe(v.root);
    });
  }

  it(vectors.merkle.sameBlock.description, () => {
    const roots = vectors.merkle.sameBlock.proofs.map((p) => merkleRootFromProof(p.txid, p.branch, p.pos));
    expect(roots[0]).toBe(roots[1]);
  });

  it('branches built from a txid list fold back to the root, for every size and index', () => {
    const txids = Array.from({ length: 11 }, (_, i) => headerHash(serializeHeaderHex({
      version: 1, prevHash: REGTEST_GENESIS_HASH, merkleRoot: REGTEST_GENESIS_HASH, time: i, bits: 0, nonce: 0,
    })));
    for (let n = 1; n <= txids.length; n++) {
      const list = txids.slice(0, n);
      const root = merkleRoot(list);
      for (let i = 0; i < n; i++) {
        expect(merkleRootFromProof(list[i]!, merkleBranch(list, i), i)).toBe(root);
      }
    }
    expect(merkleBranch(txids.slice(0, 1), 0)).toEqual([]);
    expect(merkleRoot(txids.slice(0, 1))).toBe(txids[0]);
  });

  it('rejects a position that does not fit the branch and out-of-range indexes', () => {
    const v = vectors.merkle.valid[0]!;
    expect(() => merkleRootFromProof(v.txid, v.branch, 4)).toThrow('merkle position 4 out of range for a branch of 2');
    expect(() => merkleBranch(['00'.repeat(32)], 1)).toThrow('merkle index 1 out of range 0..0');
  });
});

describe('headers', () => {
  for (const v of vectors.headers.valid) {
    it(v.description, () => {
      const h = parseHeader(v.hex);
      expect(h).toEqual({
        version: v.version, prevHash: v.prevHash, merkleRoot: v.merkleRoot, time: v.time, bits: v.bits, nonce: v.nonce, hash: v.hash,
      });
      expect(headerHash(hexToBytes(v.hex))).toBe(v.hash);
      expect(serializeHeaderHex(h)).toBe(v.hex);
      expect(checkProofOfWork(v.hex)).toBe(true);
    });
  }

  it('genesis constants agree', () => {
    expect(headerHash(REGTEST_GENESIS_HEADER)).toBe(REGTEST_GENESIS_HASH);
    expect(parseHeader(REGTEST_GENESIS_HEADER).bits).toBe(REGTEST_BITS);
  });

  it('a tampered mainnet header fails proof of work; easy bits fail against a pow limit', () => {
    const mainnet = vectors.headers.valid[1]!;
    const h = parseHeader(mainnet.hex);
    expect(checkProofOfWork({ ...h, hash: headerHash(serializeHeaderHex({ ...h, nonce: h.nonce + 1 })) })).toBe(false);
    expect(checkProofOfWork(serializeHeaderHex({ ...h, nonce: h.nonce + 1 }))).toBe(false);
    // the regtest genesis meets its own easy bits, but not mainnet's limit
    expect(checkProofOfWork(REGTEST_GENESIS_HEADER, 0x1d00ffff)).toBe(false);
    expect(checkProofOfWork(REGTEST_GENESIS_HEADER, REGTEST_BITS)).toBe(true);
  });

  it('rejects headers that are not 80 bytes', () => {
    expect(() => parseHeader('00')).toThrow('a block header is 80 bytes, got 1');
    expect(() => parseHeader('zz'.repeat(80))).toThrow('a block header is 80 bytes');
  });
});

describe('bits', () => {
  for (const v of vectors.bits.valid) {
    it(`0x${v.bits}`, () => {
      expect(bitsToTarget(parseInt(v.bits, 16))).toBe(BigInt('0x' + v.target));
    });
  }
  for (const v of vectors.bits.invalid) {
    it(`0x${v.bits} is refused`, () => {
      expect(() => bitsToTarget(parseInt(v.bits, 16))).toThrow(v.error);
    });
  }
});

describe('scripthash', () => {
  for (const v of vectors.scripthash.valid) {
    it(v.script, () => {
      expect(scriptHashOfScript(hexToBytes(v.script))).toBe(v.scripthash);
    });
  }
});
