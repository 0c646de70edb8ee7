/**
 * 020: an address's row is found by a four-byte key of its script hash, and the 32-byte script hash is kept only while
 * the address is free or held (docs/decisions/0099-address-key.md). The hash of every address ever used and the
 * unique index over all of them cost about 80 bytes per invoice at a million. The address text determines the
 * script, so a used address's hash is computed from the text when read (`scripthashOf`, src/node/store/chain-sql.ts).
 * The table is rebuilt (src/node/store/migrations/rebuild.ts) with every row, its indexes and triggers; each key is
 * taken from the hash the row stored, which used and removed addresses then drop. A trigger drops it whenever an
 * address becomes used or removed. The watch index also carries the text, so that it still answers alone.
 */
import type { DB } from '../sqlite.ts';
import { rebuildTable } from './rebuild.ts';

export const foreignKeys = 'off' as const;

const addresses = (name: string): string => `CREATE TABLE ${name} (
  id               INTEGER PRIMARY KEY,
  address          TEXT NOT NULL,
  script_key       INTEGER NOT NULL,        -- the script hash's first four bytes: several scripts may share one
  scripthash       BLOB CHECK (scripthash IS NULL OR length(scripthash) = 32),   -- kept while free or in use
  origin           TEXT NOT NULL CHECK (origin IN ('derived', 'static')),
  derivation_index INTEGER CHECK ((origin = 'derived') = (derivation_index IS NOT NULL)),
  state            TEXT NOT NULL CHECK (state IN ('free', 'in_use', 'used', 'removed')),
  invoice_id       TEXT,                    -- the invoice holding it now
  electrum_status  TEXT,                    -- last scripthash status accepted from the server
  created_at       INTEGER NOT NULL,
  FOREIGN KEY (invoice_id) REFERENCES invoices (id) DEFERRABLE INITIALLY DEFERRED
) STRICT`;

export function up(db: DB): void {
  // The key as scriptKey (src/node/store/chain-sql.ts) makes it: a signed 32-bit integer, big-endian.
  db.function('m020_key', { deterministic: true }, (sh: unknown) => (sh as Buffer).readInt32BE(0));
  rebuildTable(db, 'addresses', addresses, {
    script_key: 'm020_key(scripthash)',
    scripthash: "CASE WHEN state IN ('used', 'removed') THEN NULL ELSE scripthash END",
  });
  db.exec(`CREATE INDEX addresses_script ON addresses (script_key);
    DROP INDEX addresses_watched;
    CREATE INDEX addresses_watched ON addresses (state, id, scripthash, electrum_status, address) WHERE state IN ('in_use', 'free');
    CREATE TRIGGER addresses_hash_dropped AFTER UPDATE OF state ON addresses
      WHEN NEW.state IN ('used', 'removed') AND NEW.scripthash IS NOT NULL BEGIN
      UPDATE addresses SET scripthash = NULL WHERE id = NEW.id;
    END;`);
}
