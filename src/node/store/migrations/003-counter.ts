/**
 * 003: the counter (docs/counter.md).
 * - tills: named selling points; a customer display follows one till's current sale (or its tip prompt).
 * - sales: what a till sale adds to an invoice, kept beside it (one row per invoice that has any): the till, the tip
 *   (its sats share of amount_sats and the fiat tip as typed), the quick-item lines, the cash-desk note and the key
 *   of the receipt link a customer can keep.
 * - api_tokens: owner, cashier and display tokens the owner creates, names and revokes. Only a hash is stored,
 *   and only once a device has paired: pairings hold short one-time codes; redeeming one makes the token then and
 *   hands it to that device, so no usable token ever rests in the database.
 */
export const up = `
CREATE TABLE tills (
  id                 TEXT PRIMARY KEY,
  name               TEXT NOT NULL UNIQUE,
  current_invoice_id TEXT,
  prompt             TEXT,                    -- JSON: a tip prompt shown to the customer before the QR
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
) STRICT;
INSERT INTO tills (id, name, created_at, updated_at) VALUES ('till1', 'Till 1', 0, 0);

CREATE TABLE sales (
  invoice_id  TEXT PRIMARY KEY REFERENCES invoices (id),
  till_id     TEXT,
  tip_sats    INTEGER NOT NULL DEFAULT 0 CHECK (tip_sats >= 0),
  tip_fiat    TEXT,
  items       TEXT,                           -- JSON [{name, qty, price}]
  desk_note   TEXT NOT NULL DEFAULT '',
  receipt_key TEXT UNIQUE
) STRICT;

CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('owner', 'cashier', 'display')),
  till_id      TEXT REFERENCES tills (id),
  token_hash   TEXT UNIQUE,                   -- sha256 hex of the token; NULL until a device paired
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
) STRICT;

CREATE TABLE pairings (
  code_hash  TEXT PRIMARY KEY,                -- sha256 hex of the short code
  token_id   TEXT NOT NULL REFERENCES api_tokens (id),
  expires_at INTEGER NOT NULL
) STRICT;
`;
