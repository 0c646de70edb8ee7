/**
 * 016: addresses are found by the script hash they encode, not by an index on their text
 * (docs/decisions/0094-address-by-script-hash.md). `addresses.address` loses its UNIQUE constraint and the index
 * behind it (about 60 bytes per invoice at a million): the unique `scripthash` index already names one row per
 * script, and a lookup by address binds both (src/node/store/chain-sql.ts, `ADDRESS_MATCH`). The table is rebuilt
 * (a STRICT table's constraint cannot be dropped in place, src/node/store/migrations/rebuild.ts) with every row,
 * its indexes, triggers and the references to it; the definition is 013's but for the address column.
 */
import type { DB } from '../sqlite.ts';
import { rebuildTable } from './rebuild.ts';

export const foreignKeys = 'off' as const;

const addresses = (name: string): string => `CREATE TABLE ${name} (
  id               INTEGER PRIMARY KEY,
  address          TEXT NOT NULL,           -- one per script: found through the scripthash index
  scripthash       BLOB NOT NULL UNIQUE CHECK (length(scripthash) = 32),
  origin           TEXT NOT NULL CHECK (origin IN ('derived', 'static')),
  derivation_index INTEGER CHECK ((origin = 'derived') = (derivation_index IS NOT NULL)),
  state            TEXT NOT NULL CHECK (state IN ('free', 'in_use', 'used', 'removed')),
  invoice_id       TEXT,                    -- the invoice holding it now
  electrum_status  TEXT,                    -- last scripthash status accepted from the server
  created_at       INTEGER NOT NULL,
  FOREIGN KEY (invoice_id) REFERENCES invoices (id) DEFERRABLE INITIALLY DEFERRED
) STRICT`;

export function up(db: DB): void {
  rebuildTable(db, 'addresses', addresses);
}
