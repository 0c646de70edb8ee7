/**
 * 028: an invoice's status and zero-confirmation risk are stored as small integer codes, and read under their names
 * as before, through generated columns (docs/decisions/0109-invoice-codes.md). The words cost 6 to 9 bytes in every
 * invoice ('confirmed', 'expired', 'refuse'); the codes of the statuses nearly every invoice ends in, and of the
 * default risk, are 0 and 1, which SQLite stores in the row's header alone. About 14 bytes per invoice at a million.
 * Writers set `status_code` and `zero_conf_code` (src/node/store/codes.ts); every reader and every index keeps
 * the names. The table is rebuilt (src/node/store/migrations/rebuild.ts) with every row, its indexes, its triggers
 * and the references to it. The codes below are this migration's, as shipped: never renumber them.
 */
import type { DB } from '../sqlite.ts';
import { rebuildTable } from './rebuild.ts';

export const foreignKeys = 'off' as const;

const STATUS = ['confirmed', 'expired', 'unpaid', 'partial', 'paid', 'invalid', 'cancelled'];
const RISK = ['refuse', 'accept', 'accept_unconfirmed_parents'];

const decode = (column: string, words: string[]): string => `CASE ${column} ${words.map((w, i) => `WHEN ${i} THEN '${w}'`).join(' ')} END`;
const encode = (column: string, words: string[]): string => `CASE ${column} ${words.map((w, i) => `WHEN '${w}' THEN ${i}`).join(' ')} END`;

const invoices = (name: string): string => `CREATE TABLE ${name} (
  seq                    INTEGER PRIMARY KEY,          -- creation order; list cursors page on it
  id                     TEXT NOT NULL UNIQUE,
  status                 TEXT GENERATED ALWAYS AS (${decode('status_code', STATUS)}) VIRTUAL,
  flags                  TEXT NOT NULL DEFAULT '',     -- comma-separated, sorted
  amount_sats            INTEGER NOT NULL CHECK (amount_sats > 0),
  fiat_amount            TEXT,
  fiat_currency          TEXT,
  fiat_rate              TEXT,
  label                  TEXT NOT NULL DEFAULT '',
  userdata               TEXT NOT NULL DEFAULT '',
  address_id             INTEGER NOT NULL REFERENCES addresses (id),
  created_at             INTEGER NOT NULL,
  expires_at             INTEGER NOT NULL,
  confirmations_required INTEGER NOT NULL CHECK (confirmations_required BETWEEN 0 AND 100),
  tolerance_bp           INTEGER NOT NULL CHECK (tolerance_bp BETWEEN 0 AND 10000),
  monitoring_ms          INTEGER NOT NULL,
  zero_conf_limit_sats   INTEGER NOT NULL DEFAULT 0,
  cancelled_at           INTEGER,
  manual_status          TEXT,
  manual_note            TEXT,
  manual_at              INTEGER,
  released_at            INTEGER,                      -- merchant released a held pool address
  note                   TEXT NOT NULL DEFAULT '',
  paid_sats              INTEGER NOT NULL DEFAULT 0,
  confirmed_sats         INTEGER NOT NULL DEFAULT 0,
  next_check_at          INTEGER,                      -- next time-driven re-evaluation (expiry, window, grace)
  updated_at             INTEGER NOT NULL,
  confirmations_requested INTEGER CHECK (confirmations_requested BETWEEN 0 AND 100),
  confirmations_note     TEXT,
  zero_conf_risk         TEXT GENERATED ALWAYS AS (${decode('zero_conf_code', RISK)}) VIRTUAL,
  taken_tip_height       INTEGER,
  paid_at                INTEGER,
  confirmed_at           INTEGER,
  fiat_rate_kind         TEXT CHECK (fiat_rate_kind IN ('live', 'manual')),
  fiat_rate_sources      TEXT,
  fiat_rate_at           INTEGER,
  fiat_market_rate       TEXT,
  fiat_spread_bp         INTEGER,
  status_code            INTEGER NOT NULL CHECK (status_code BETWEEN 0 AND ${STATUS.length - 1}),
  zero_conf_code         INTEGER NOT NULL DEFAULT 0 CHECK (zero_conf_code BETWEEN 0 AND ${RISK.length - 1}),
  CHECK (manual_status IS NULL OR manual_status IN ('confirmed', 'invalid', 'cancelled')),
  CHECK (paid_sats >= 0 AND confirmed_sats >= 0)
) STRICT`;

export function up(db: DB): void {
  rebuildTable(db, 'invoices', invoices, { status_code: encode('status', STATUS), zero_conf_code: encode('zero_conf_risk', RISK) });
}
