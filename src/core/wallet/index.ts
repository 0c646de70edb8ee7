export { validateAddress, scripthash, type AddressType, type ValidatedAddress } from './address.ts';
export { parseWalletSource, firstAddresses, type WalletSource, type WalletScript, type DerivedAddress } from './source.ts';
export { descriptorChecksum, parseDescriptor } from './descriptor.ts';
export { BITCOIN_NETWORKS, EXTENDED_KEY_VERSIONS } from './networks.ts';
