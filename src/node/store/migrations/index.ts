import * as m001 from './001-init.ts';
import * as m002 from './002-callbacks.ts';
import * as m003 from './003-counter.ts';
import * as m004 from './004-chain-watch.ts';
import * as m005 from './005-chain-trust.ts';
import * as m006 from './006-books.ts';
import * as m007 from './007-callback-identity.ts';
import * as m008 from './008-years.ts';
import * as m009 from './009-rates.ts';
import * as m010 from './010-below-anchor.ts';
import * as m011 from './011-constraints.ts';
import * as m012 from './012-lean-events.ts';
import * as m013 from './013-lean-chain.ts';
import * as m014 from './014-lean-outbox.ts';
import * as m015 from './015-txid-bytes.ts';
import * as m016 from './016-address-by-script.ts';
import * as m017 from './017-packed-bodies.ts';
import * as m018 from './018-retention-indexes.ts';
import * as m019 from './019-confirmations-maximum.ts';
import * as m020 from './020-address-key.ts';
import * as m021 from './021-block-key.ts';
import * as m022 from './022-live-indexes.ts';
import * as m023 from './023-payment-invoice-seq.ts';
import * as m024 from './024-sparse-status.ts';
import * as m025 from './025-address-origin.ts';
import * as m026 from './026-events-unindexed.ts';
import * as m027 from './027-payment-txid-key.ts';
import * as m028 from './028-invoice-codes.ts';
import * as m029 from './029-payment-state-code.ts';
import * as m030 from './030-short-userdata-index.ts';
import * as m031 from './031-payment-time-seen.ts';
import * as m032 from './032-attempts-unindexed.ts';
import * as m033 from './033-event-invoice-seq.ts';
import type { DB } from '../sqlite.ts';

/** Numbered migrations, applied in order; `PRAGMA user_version` records the last one applied. Never edit a
 * migration that has shipped: add the next number. */
export interface Migration {
  version: number;
  name: string;
  /** SQL, or a function for a migration that must read the schema it changes. */
  up: string | ((db: DB) => void);
  /** 'off': run with foreign keys off (a table rebuild), then check every foreign key before committing. */
  foreignKeys?: 'off';
}

export const MIGRATIONS: Migration[] = [
  { version: 1, name: 'init', up: m001.up },
  { version: 2, name: 'callbacks', up: m002.up },
  { version: 3, name: 'counter', up: m003.up },
  { version: 4, name: 'chain-watch', up: m004.up },
  { version: 5, name: 'chain-trust', up: m005.up },
  { version: 6, name: 'books', up: m006.up },
  { version: 7, name: 'callback-identity', up: m007.up },
  { version: 8, name: 'years', up: m008.up },
  { version: 9, name: 'rates', up: m009.up },
  { version: 10, name: 'below-anchor', up: m010.up },
  { version: 11, name: 'constraints', up: m011.up, foreignKeys: m011.foreignKeys },
  { version: 12, name: 'lean-events', up: m012.up, foreignKeys: m012.foreignKeys },
  { version: 13, name: 'lean-chain', up: m013.up, foreignKeys: m013.foreignKeys },
  { version: 14, name: 'lean-outbox', up: m014.up, foreignKeys: m014.foreignKeys },
  { version: 15, name: 'txid-bytes', up: m015.up, foreignKeys: m015.foreignKeys },
  { version: 16, name: 'address-by-script', up: m016.up, foreignKeys: m016.foreignKeys },
  { version: 17, name: 'packed-bodies', up: m017.up, foreignKeys: m017.foreignKeys },
  { version: 18, name: 'retention-indexes', up: m018.up },
  { version: 19, name: 'confirmations-maximum', up: m019.up },
  { version: 20, name: 'address-key', up: m020.up, foreignKeys: m020.foreignKeys },
  { version: 21, name: 'block-key', up: m021.up, foreignKeys: m021.foreignKeys },
  { version: 22, name: 'live-indexes', up: m022.up },
  { version: 23, name: 'payment-invoice-seq', up: m023.up, foreignKeys: m023.foreignKeys },
  { version: 24, name: 'sparse-status', up: m024.up },
  { version: 25, name: 'address-origin', up: m025.up, foreignKeys: m025.foreignKeys },
  { version: 26, name: 'events-unindexed', up: m026.up },
  { version: 27, name: 'payment-txid-key', up: m027.up, foreignKeys: m027.foreignKeys },
  { version: 28, name: 'invoice-codes', up: m028.up, foreignKeys: m028.foreignKeys },
  { version: 29, name: 'payment-state-code', up: m029.up, foreignKeys: m029.foreignKeys },
  { version: 30, name: 'short-userdata-index', up: m030.up },
  { version: 31, name: 'payment-time-seen', up: m031.up, foreignKeys: m031.foreignKeys },
  { version: 32, name: 'attempts-unindexed', up: m032.up },
  { version: 33, name: 'event-invoice-seq', up: m033.up, foreignKeys: m033.foreignKeys },
];
