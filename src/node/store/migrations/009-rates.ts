/**
 * 008: live exchange rates (docs/rates.md).
 * - rate_history: every quote a source gave (`source` = its id) and every market rate Satdesk derived from them
 *   (`source` = 'market', `sources` = the ids behind it), per currency; a decimal string, fiat units per 1 BTC.
 *   After 30 days each (currency, source, hour) is compacted to one row: the hour's median at the start of the
 *   hour, `samples` = how many rows it replaced, `hourly` = 1.
 * - rate_sources: each source's last attempt, for the Settings screen (its last answer, or its error).
 * - invoices: the rate an invoice used is locked with where it came from ('live' or 'manual'), the sources behind
 *   it, its time, the market rate before the spread and the spread.
 */
export const up = `
CREATE TABLE rate_history (
  currency TEXT NOT NULL,
  source   TEXT NOT NULL,
  at       INTEGER NOT NULL,
  rate     TEXT NOT NULL,
  sources  TEXT,
  samples  INTEGER NOT NULL DEFAULT 1 CHECK (samples >= 1),
  hourly   INTEGER NOT NULL DEFAULT 0 CHECK (hourly IN (0, 1)),
  PRIMARY KEY (currency, source, at)
) STRICT, WITHOUT ROWID;
CREATE INDEX rate_history_compact ON rate_history (at) WHERE hourly = 0;

CREATE TABLE rate_sources (
  source           TEXT PRIMARY KEY,
  last_attempt_at  INTEGER NOT NULL,
  last_ok_at       INTEGER,
  duration_ms      INTEGER NOT NULL,
  last_error       TEXT,
  last_rates       TEXT NOT NULL DEFAULT '{}'
) STRICT;

ALTER TABLE invoices ADD COLUMN fiat_rate_kind TEXT CHECK (fiat_rate_kind IN ('live', 'manual'));
ALTER TABLE invoices ADD COLUMN fiat_rate_sources TEXT;
ALTER TABLE invoices ADD COLUMN fiat_rate_at INTEGER;
ALTER TABLE invoices ADD COLUMN fiat_market_rate TEXT;
ALTER TABLE invoices ADD COLUMN fiat_spread_bp INTEGER;
`;
