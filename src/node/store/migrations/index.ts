import * as m001 from './001-init.ts';
import * as m003 from './003-callbacks.ts';

/** Numbered migrations, applied in order; `PRAGMA user_version` records the last one applied. Never edit a
 * migration that has shipped: add the next number. */
export const MIGRATIONS: { version: number; name: string; up: string }[] = [
  { version: 1, name: 'init', up: m001.up },
  // 2 is reserved for the chain watcher (issue 4), which may replace this empty entry with its own; numbers stay
  // contiguous (test/integration/store.test.ts) and 3 keeps its number.
  { version: 2, name: 'reserved-watcher', up: '' },
  { version: 3, name: 'callbacks', up: m003.up },
];
