// The Electrum script hash lives with the address code (src/core/wallet/address.ts); re-exported here under the
// name the chain helpers have always used, so there is one implementation.
export { scripthash as scriptHashOfScript } from '../wallet/address.ts';
