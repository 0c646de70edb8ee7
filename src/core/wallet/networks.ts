import type { Network } from 'bitcoinjs-lib';
import type { NetworkName } from '../network.ts';

/**
 * bitcoinjs-lib Network objects per Satdesk network. Signet shares testnet's prefixes; regtest shares testnet's
 * base58 version bytes and extended-key versions but has its own bech32 prefix `bcrt`.
 */
const MESSAGE_PREFIX = '\x18Bitcoin Signed Message:\n';

export const BITCOIN_NETWORKS: Readonly<Record<NetworkName, Network>> = {
  mainnet: {
    messagePrefix: MESSAGE_PREFIX,
    bech32: 'bc',
    bip32: { public: 0x0488b21e, private: 0x0488ade4 },
    pubKeyHash: 0x00,
    scriptHash: 0x05,
    wif: 0x80,
  },
  testnet: {
    messagePrefix: MESSAGE_PREFIX,
    bech32: 'tb',
    bip32: { public: 0x043587cf, private: 0x04358394 },
    pubKeyHash: 0x6f,
    scriptHash: 0xc4,
    wif: 0xef,
  },
  signet: {
    messagePrefix: MESSAGE_PREFIX,
    bech32: 'tb',
    bip32: { public: 0x043587cf, private: 0x04358394 },
    pubKeyHash: 0x6f,
    scriptHash: 0xc4,
    wif: 0xef,
  },
  regtest: {
    messagePrefix: MESSAGE_PREFIX,
    bech32: 'bcrt',
    bip32: { public: 0x043587cf, private: 0x04358394 },
    pubKeyHash: 0x6f,
    scriptHash: 0xc4,
    wif: 0xef,
  },
};

/** The two families of version bytes: mainnet, and the test family (testnet, signet, regtest). */
export type KeyFamily = 'main' | 'test';

export function familyOf(network: NetworkName): KeyFamily {
  return network === 'mainnet' ? 'main' : 'test';
}

/** How a family is named in error messages ("address is for <label>, this Satdesk is on <network>"). */
export const FAMILY_LABEL: Readonly<Record<KeyFamily, string>> = {
  main: 'mainnet',
  test: 'testnet, signet or regtest',
};

export type XpubScript = 'p2pkh' | 'p2sh-p2wpkh' | 'p2wpkh';

export interface ExtendedKeyVersion {
  prefix: string;
  version: number;
  isPrivate: boolean;
  family: KeyFamily;
  /** The script the SLIP-132 prefix implies (single-sig only); null for multisig prefixes we do not support. */
  script: XpubScript | null;
}

/**
 * SLIP-132 registered version bytes. Private versions are listed only so they can be recognised and refused;
 * the multisig prefixes (Ypub, Zpub, Upub, Vpub) are recognised to give a precise refusal.
 */
export const EXTENDED_KEY_VERSIONS: readonly ExtendedKeyVersion[] = [
  { prefix: 'xpub', version: 0x0488b21e, isPrivate: false, family: 'main', script: 'p2pkh' },
  { prefix: 'ypub', version: 0x049d7cb2, isPrivate: false, family: 'main', script: 'p2sh-p2wpkh' },
  { prefix: 'zpub', version: 0x04b24746, isPrivate: false, family: 'main', script: 'p2wpkh' },
  { prefix: 'Ypub', version: 0x0295b43f, isPrivate: false, family: 'main', script: null },
  { prefix: 'Zpub', version: 0x02aa7ed3, isPrivate: false, family: 'main', script: null },
  { prefix: 'tpub', version: 0x043587cf, isPrivate: false, family: 'test', script: 'p2pkh' },
  { prefix: 'upub', version: 0x044a5262, isPrivate: false, family: 'test', script: 'p2sh-p2wpkh' },
  { prefix: 'vpub', version: 0x045f1cf6, isPrivate: false, family: 'test', script: 'p2wpkh' },
  { prefix: 'Upub', version: 0x024289ef, isPrivate: false, family: 'test', script: null },
  { prefix: 'Vpub', version: 0x02575483, isPrivate: false, family: 'test', script: null },
  { prefix: 'xprv', version: 0x0488ade4, isPrivate: true, family: 'main', script: 'p2pkh' },
  { prefix: 'yprv', version: 0x049d7878, isPrivate: true, family: 'main', script: 'p2sh-p2wpkh' },
  { prefix: 'zprv', version: 0x04b2430c, isPrivate: true, family: 'main', script: 'p2wpkh' },
  { prefix: 'Yprv', version: 0x0295b005, isPrivate: true, family: 'main', script: null },
  { prefix: 'Zprv', version: 0x02aa7a99, isPrivate: true, family: 'main', script: null },
  { prefix: 'tprv', version: 0x04358394, isPrivate: true, family: 'test', script: 'p2pkh' },
  { prefix: 'uprv', version: 0x044a4e28, isPrivate: true, family: 'test', script: 'p2sh-p2wpkh' },
  { prefix: 'vprv', version: 0x045f18bc, isPrivate: true, family: 'test', script: 'p2wpkh' },
  { prefix: 'Uprv', version: 0x024285b5, isPrivate: true, family: 'test', script: null },
  { prefix: 'Vprv', version: 0x02575048, isPrivate: true, family: 'test', script: null },
];

export function extendedKeyVersion(version: number): ExtendedKeyVersion | undefined {
  return EXTENDED_KEY_VERSIONS.find((v) => v.version === version);
}

/** WIF private key version bytes (mainnet 0x80, test family 0xef). */
export const WIF_VERSIONS: readonly number[] = [0x80, 0xef];

/** Base58 address version bytes. */
export const BASE58_ADDRESS_VERSIONS: Readonly<Record<number, { family: KeyFamily; type: 'p2pkh' | 'p2sh' }>> = {
  0x00: { family: 'main', type: 'p2pkh' },
  0x05: { family: 'main', type: 'p2sh' },
  0x6f: { family: 'test', type: 'p2pkh' },
  0xc4: { family: 'test', type: 'p2sh' },
};

/** Which networks a bech32 human-readable part belongs to. */
export const BECH32_HRP_NETWORKS: Readonly<Record<string, readonly NetworkName[]>> = {
  bc: ['mainnet'],
  tb: ['testnet', 'signet'],
  bcrt: ['regtest'],
};

export const HRP_LABEL: Readonly<Record<string, string>> = {
  bc: 'mainnet',
  tb: 'testnet or signet',
  bcrt: 'regtest',
};
