/**
 * 031: a payment's time is stored only where it is not the moment it was first seen
 * (docs/decisions/0112-payment-time-seen.md). `time` (set once, src/core/payment-time.ts) is the first-seen moment for
 * every payment the watcher saw arrive, and a block's time only for one found already confirmed before the shop's
 * start: 6 bytes in nearly every payment said what `first_seen` says. `time_own` keeps the other times; `time` is a
 * generated column, `COALESCE(time_own, first_seen)`, so readers and the payments_time index see what they saw.
 * A row without a time (no version wrote one) gets the fallback 004 gave. The table is rebuilt
 * (src/node/store/migrations/rebuild.ts) with every row, its indexes and triggers.
 */
import type { DB } from '../sqlite.ts';
import { rebuildTable } from './rebuild.ts';

export const foreignKeys = 'off' as const;

const payments = (name: string): string => `CREATE TABLE ${name} (
  id                 INTEGER PRIMARY KEY,
  txid               BLOB NOT NULL CHECK (length(txid) = 32),
  address_id         INTEGER NOT NULL REFERENCES addresses (id),
  sats               INTEGER NOT NULL CHECK (sats >= 0),
  invoice_seq        INTEGER REFERENCES invoices (seq), -- NULL: unattributed (seen before any invoice took the address)
  height             INTEGER NOT NULL DEFAULT 0,    -- 0 while in the mempool
  block_key          INTEGER,                       -- the block hash's last four bytes (NULL while in the mempool)
  block_time         INTEGER,
  first_seen         INTEGER NOT NULL,
  rbf                INTEGER NOT NULL DEFAULT 0,
  verified           INTEGER NOT NULL DEFAULT 0,    -- merkle proof checked against our header chain at this height
  state              TEXT GENERATED ALWAYS AS (CASE state_code WHEN 0 THEN 'active' WHEN 1 THEN 'gone' END) VIRTUAL,
  plan_done          INTEGER NOT NULL DEFAULT 0,
  time               INTEGER GENERATED ALWAYS AS (COALESCE(time_own, first_seen)) VIRTUAL,
  unconfirmed_parent INTEGER NOT NULL DEFAULT 0,
  mempool_servers    INTEGER NOT NULL DEFAULT 1,
  below_anchor       INTEGER NOT NULL DEFAULT 0 CHECK (below_anchor IN (0, 1)),
  state_code         INTEGER NOT NULL DEFAULT 0 CHECK (state_code IN (0, 1)),
  time_own           INTEGER,                       -- the payment's time where it is not first_seen
  CHECK (rbf IN (0, 1) AND verified IN (0, 1) AND plan_done IN (0, 1)),
  CHECK (height >= 0)
) STRICT`;

export function up(db: DB): void {
  rebuildTable(db, 'payments', payments, {
    time_own: 'NULLIF(COALESCE(time, CASE WHEN block_time IS NOT NULL AND block_time < first_seen THEN block_time ELSE first_seen END), first_seen)',
  });
}
