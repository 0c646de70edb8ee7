/**
 * Shipped header checkpoints, one per network. Where each number comes from and how it was checked is in
 * docs/trust.md ("Checkpoints") and test/fixtures/README.md; test/unit/chain-checkpoints.test.ts recomputes what can
 * be recomputed from the vendored sources.
 *
 * - hashes: the last entry of spesmilo/electrum `electrum/chains/<net>/checkpoints.json` (commit 9ebabef3, 2026-07-01,
 *   "update block header checkpoints"): the hash of the last header of a 2016-block period.
 * - mainnet bits/nextBits/chainwork: from the same file's per-period targets (exact on mainnet, which has no
 *   minimum-difficulty exception); the cumulative work computed the same way reproduces Bitcoin Core's published
 *   `nMinimumChainWork` exactly at 824000 (v27) and at 912683 (v30).
 * - testnet, testnet4, signet chainwork: a LOWER BOUND — Core's `nMinimumChainWork` at its `defaultAssumeValid`
 *   height (src/kernel/chainparams.cpp, v30) plus the work of a pow-limit header for every header above it. Electrum
 *   ships no targets for these networks, and testnet's 20-minute rule makes period targets inexact anyway.
 */
import type { ChainName } from './work.ts';

export interface CheckpointData {
  /** Height of the last header of a difficulty period (height + 1 is a retarget boundary), or 0 for genesis. */
  height: number;
  /** Display hex of the header at `height`. */
  hash: string;
  /** Bits of the header at `height`, where the source gives them (the served header's hash fixes them anyway). */
  bits: number | null;
  /** Bits required of the period that starts at `height + 1`, where the source gives them. */
  nextBits: number | null;
  /** Cumulative chain work through `height`, hex. */
  chainwork: string;
  /** false: `chainwork` is a documented lower bound. */
  chainworkExact: boolean;
  /** Genesis hash of the network. */
  genesis: string;
  source: string;
}

export const CHECKPOINT_DATA: Record<ChainName, CheckpointData> = {
  mainnet: {
    height: 953_567,
    hash: '00000000000000000001b315e72169bef4867bf780527aa97c625ee9c001dc5d',
    bits: 0x1702068f,
    nextBits: 0x170240c3,
    chainwork: '12fa7ecf8d5705e356fd4a680',
    chainworkExact: true,
    genesis: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
    source: 'spesmilo/electrum electrum/chains/mainnet/checkpoints.json @9ebabef3 (473 periods: hash and target of each)',
  },
  testnet: {
    height: 5_011_775,
    hash: '000000000000041b511bf0b926371d5045f70bbc30d36b66f1c84ed30d765886',
    bits: null,
    nextBits: null,
    chainwork: '16dd2714e525b7f38201',
    chainworkExact: false,
    genesis: '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943',
    source: 'hash: spesmilo/electrum electrum/chains/testnet/checkpoints.json @9ebabef3; chainwork ≥ Core v30 nMinimumChainWork 0x16dd270dd94fac1d7632 at 4550000 + 461775 × work(0x1d00ffff)',
  },
  testnet4: {
    height: 139_103,
    hash: '000000000001fa52cf7346a418640560743e051f8096a21ca452f3569bfe4f9e',
    bits: null,
    nextBits: null,
    chainwork: '34a4691ba40e9ac5863',
    chainworkExact: false,
    genesis: '00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043',
    source: 'hash: spesmilo/electrum electrum/chains/testnet4/checkpoints.json @9ebabef3; chainwork ≥ Core v30 nMinimumChainWork 0x34a4690fe592dc49c7c at 91000 + 48103 × work(0x1d00ffff)',
  },
  signet: {
    height: 308_447,
    hash: '0000000fce481bd689af96794ea36ad8e80bc4635f068104aeff53bc17326ecf',
    bits: null,
    nextBits: null,
    chainwork: '6ab23c57232',
    chainworkExact: false,
    genesis: '00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6',
    source: 'hash: spesmilo/electrum electrum/chains/signet/checkpoints.json @9ebabef3; chainwork ≥ Core v30 nMinimumChainWork 0x67d328e681a at 267665 + 40782 × work(0x1e0377ae)',
  },
  regtest: {
    height: 0,
    hash: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
    bits: 0x207fffff,
    nextBits: 0x207fffff,
    chainwork: '2',
    chainworkExact: true,
    genesis: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
    source: 'regtest genesis (Bitcoin Core chainparams.cpp); work of one header at 0x207fffff = 2',
  },
};
