export { ChainWatcher, ServerMisbehaviour, STALE_TIMEOUT_MS, type WatcherOptions, type WatcherStats } from './watcher.ts';
export { watchedAddresses, maxConfirmations, type WatchedRow } from './watched.ts';
export {
  CHAIN_PARAMS,
  HeaderCheckError,
  HeaderStore,
  anchorHeight,
  checkHeader,
  expectedBits,
  retargetBits,
  targetToBits,
  type ChainParams,
  type StoredHeader,
} from './headers.ts';
