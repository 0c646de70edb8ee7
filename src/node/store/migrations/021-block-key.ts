/**
 * 021: a payment names its block by height and a four-byte key of the block's hash, no longer by the whole hash
 * (docs/decisions/0100-block-key.md). The 32 bytes of `payments.block_hash` cost about 24 bytes per invoice at a
 * million. Nothing shows the hash; the watcher only asks whether a verified payment's block is still the one our
 * header chain has at that height, and a reorg below a payment resets it anyway (src/node/watcher/recorder.ts). The
 * key is the hash's last four bytes as a signed 32-bit integer (`blockKey`, src/node/store/chain-sql.ts): its first
 * bytes are the proof of work's zeros. The table is rebuilt (src/node/store/migrations/rebuild.ts) with every row,
 * its indexes, triggers and the references to it.
 */
import type { DB } from '../sqlite.ts';
import { rebuildTable } from './rebuild.ts';

export const foreignKeys = 'off' as const;

const payments = (name: string): string => `CREATE TABLE ${name} (
  id                 INTEGER PRIMARY KEY,
  txid               BLOB NOT NULL CHECK (length(txid) = 32),
  address_id         INTEGER NOT NULL REFERENCES addresses (id),
  sats               INTEGER NOT NULL CHECK (sats >= 0),
  invoice_id         TEXT,                          -- NULL: unattributed (seen before any invoice took the address)
  height             INTEGER NOT NULL DEFAULT 0,    -- 0 while in the mempool
  block_key          INTEGER,                       -- the block hash's last four bytes (NULL while in the mempool)
  block_time         INTEGER,
  first_seen         INTEGER NOT NULL,
  rbf                INTEGER NOT NULL DEFAULT 0,
  verified           INTEGER NOT NULL DEFAULT 0,    -- merkle proof checked against our header chain at this height
  state              TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'gone')),
  plan_done          INTEGER NOT NULL DEFAULT 0,
  time               INTEGER,
  unconfirmed_parent INTEGER NOT NULL DEFAULT 0,
  mempool_servers    INTEGER NOT NULL DEFAULT 1,
  below_anchor       INTEGER NOT NULL DEFAULT 0 CHECK (below_anchor IN (0, 1)),
  UNIQUE (txid, address_id),
  FOREIGN KEY (invoice_id) REFERENCES invoices (id),
  CHECK (rbf IN (0, 1) AND verified IN (0, 1) AND plan_done IN (0, 1)),
  CHECK (height >= 0)
) STRICT`;

export function up(db: DB): void {
  // As blockKey makes it: the stored bytes are the hash as displayed, so its last four are the blob's.
  db.function('m021_key', { deterministic: true }, (hash: unknown) => (Buffer.isBuffer(hash) ? hash.readInt32BE(28) : null));
  rebuildTable(db, 'payments', payments, { block_key: 'm021_key(block_hash)' });
}
