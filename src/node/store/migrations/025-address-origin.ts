/**
 * 025: an address row keeps only what nothing else says (docs/decisions/0104-address-origin.md).
 * - `origin` is read from `derivation_index`, as a column SQLite computes when asked (VIRTUAL): a derived address has
 *   its index, a pool address added by hand has none, and the old CHECK already held the two to each other. Every
 *   read of `origin` stays as it was; a write names `derivation_index` only.
 * - `created_at` goes: nothing read it (an invoice keeps its own time; the wallet's list shows none).
 * Together about 15 bytes per address, one per invoice for a wallet. The table is rebuilt
 * (src/node/store/migrations/rebuild.ts) with every row, its indexes, its triggers and the references to it.
 */
import type { DB } from '../sqlite.ts';
import { rebuildTable } from './rebuild.ts';

export const foreignKeys = 'off' as const;

const addresses = (name: string): string => `CREATE TABLE ${name} (
  id               INTEGER PRIMARY KEY,
  address          TEXT NOT NULL,
  script_key       INTEGER NOT NULL,        -- the script hash's first four bytes: several scripts may share one
  scripthash       BLOB CHECK (scripthash IS NULL OR length(scripthash) = 32),   -- kept while free or in use
  origin           TEXT GENERATED ALWAYS AS
                     (CASE WHEN derivation_index IS NULL THEN 'static' ELSE 'derived' END) VIRTUAL,
  derivation_index INTEGER,                 -- the wallet's receive index; NULL: a pool address added by hand
  state            TEXT NOT NULL CHECK (state IN ('free', 'in_use', 'used', 'removed')),
  invoice_id       TEXT,                    -- the invoice holding it now
  electrum_status  TEXT,                    -- last scripthash status accepted from the server
  FOREIGN KEY (invoice_id) REFERENCES invoices (id) DEFERRABLE INITIALLY DEFERRED
) STRICT`;

export function up(db: DB): void {
  rebuildTable(db, 'addresses', addresses);
}
