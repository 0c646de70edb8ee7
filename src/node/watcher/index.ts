export { ChainWatcher, ServerMisbehaviour, STALE_TIMEOUT_MS, type WatcherOptions, type WatcherStats } from './watcher.ts';
export { watchedAddresses, maxConfirmations, type WatchedRow } from './watched.ts';
export { HeaderCheckError, HeaderStore, type StoredHeader } from './headers.ts';
export { HeaderSync, type HeaderSyncOptions, type HeaderTrust, type TipPlan } from './header-sync.ts';
