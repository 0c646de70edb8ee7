/** Which servers hold small answers, and what a padded request sends and returns (src/node/electrum/padding.ts). */
import { describe, expect, it } from 'vitest';
import type { BatchResult } from '../../src/node/electrum/rpc.ts';
import { FILLER, FILL_BELOW, holdsSmallAnswers, padded, unpadded } from '../../src/node/electrum/padding.ts';

describe('ElectrumX padding filler', () => {
  it.each([
    ['ElectrumX 1.20.0', true],
    ['ElectrumX 1.18', true],
    ['electrumx 1.19.1', true],
    ['ElectrumX 1.16.0', false],
    ['ElectrumX 1.17.9', false],
    ['Fulcrum 2.1.1', false],
    ['electrs/0.10.5', false],
    ['Satdesk-sandbox 0.1', false],
    [null, false],
  ])('%s holds small answers: %s', (software, holds) => {
    expect(holdsSmallAnswers(software)).toBe(holds);
  });

  it('adds the filler to small requests only, and drops its answer', () => {
    const one = [{ method: 'blockchain.scripthash.get_history', params: ['ab'] }];
    expect(padded(one, true)).toEqual([...one, FILLER]);
    expect(padded(one, false)).toBe(one);
    const many = Array.from({ length: FILL_BELOW }, (_, i) => ({ method: 'blockchain.scripthash.subscribe', params: [String(i)] }));
    expect(padded(many, true)).toBe(many);
    const results: BatchResult[] = [
      { ok: true, result: [] },
      { ok: true, result: { count: 8, headers: [] } },
    ];
    expect(unpadded(results, one)).toEqual([{ ok: true, result: [] }]);
    expect(unpadded(results.slice(0, 1), one)).toEqual([{ ok: true, result: [] }]);
  });
});
