/**
 * 001: the whole first schema. Money columns are INTEGER sats; times are INTEGER ms since the epoch.
 * The outbox tables (agents, notifications, deliveries, attempts) and events are here from the start so that the
 * watcher can plan callbacks in the same transaction as the chain facts that cause them (docs/decisions/0005-outbox-in-sqlite.md).
 */
export const up = `
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL                       -- JSON
) STRICT;

CREATE TABLE wallet_source (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  kind       TEXT NOT NULL CHECK (kind IN ('xpub', 'descriptor')),
  network    TEXT NOT NULL,
  script     TEXT NOT NULL,
  source     TEXT NOT NULL,                 -- the key or the canonical descriptor (public data only)
  next_index INTEGER NOT NULL DEFAULT 0 CHECK (next_index >= 0),
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE addresses (
  id               INTEGER PRIMARY KEY,
  address          TEXT NOT NULL UNIQUE,
  scripthash       TEXT NOT NULL UNIQUE,
  script_hex       TEXT NOT NULL,
  origin           TEXT NOT NULL CHECK (origin IN ('derived', 'static')),
  derivation_index INTEGER CHECK ((origin = 'derived') = (derivation_index IS NOT NULL)),
  state            TEXT NOT NULL CHECK (state IN ('free', 'in_use', 'used', 'removed')),
  invoice_id       TEXT,                    -- the invoice holding it now
  electrum_status  TEXT,                    -- last scripthash status accepted from the server
  created_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX addresses_state ON addresses (state, id);
CREATE UNIQUE INDEX addresses_derivation ON addresses (derivation_index) WHERE derivation_index IS NOT NULL;

CREATE TABLE invoices (
  seq                    INTEGER PRIMARY KEY,          -- creation order; list cursors page on it
  id                     TEXT NOT NULL UNIQUE,
  status                 TEXT NOT NULL,
  flags                  TEXT NOT NULL DEFAULT '',     -- comma-separated, sorted
  amount_sats            INTEGER NOT NULL CHECK (amount_sats > 0),
  fiat_amount            TEXT,
  fiat_currency          TEXT,
  fiat_rate              TEXT,
  label                  TEXT NOT NULL DEFAULT '',
  userdata               TEXT NOT NULL DEFAULT '',
  address_id             INTEGER NOT NULL REFERENCES addresses (id),
  address                TEXT NOT NULL,
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
  updated_at             INTEGER NOT NULL
) STRICT;
CREATE INDEX invoices_status ON invoices (status, seq);
CREATE INDEX invoices_address ON invoices (address_id, seq);
CREATE INDEX invoices_next_check ON invoices (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX invoices_userdata ON invoices (userdata) WHERE userdata <> '';

CREATE TABLE refunds (
  id         INTEGER PRIMARY KEY,
  invoice_id TEXT NOT NULL REFERENCES invoices (id),
  sats       INTEGER NOT NULL CHECK (sats > 0),
  txid       TEXT,
  note       TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX refunds_invoice ON refunds (invoice_id);

CREATE TABLE idempotency_keys (
  key          TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  invoice_id   TEXT NOT NULL,
  created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX idempotency_created ON idempotency_keys (created_at);

-- Chain facts. A payment is one transaction's outputs to one watched address (docs/spec/invoices.md#payments).
CREATE TABLE payments (
  id          INTEGER PRIMARY KEY,
  txid        TEXT NOT NULL,
  address_id  INTEGER NOT NULL REFERENCES addresses (id),
  address     TEXT NOT NULL,
  sats        INTEGER NOT NULL CHECK (sats >= 0),
  invoice_id  TEXT,                          -- NULL: unattributed (seen before any invoice took the address)
  height      INTEGER NOT NULL DEFAULT 0,    -- 0 while in the mempool
  block_hash  TEXT,
  block_time  INTEGER,
  first_seen  INTEGER NOT NULL,
  rbf         INTEGER NOT NULL DEFAULT 0,
  verified    INTEGER NOT NULL DEFAULT 0,    -- merkle proof checked against our header chain at this height
  state       TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'gone')),
  UNIQUE (txid, address_id)
) STRICT;
CREATE INDEX payments_invoice ON payments (invoice_id);
CREATE INDEX payments_address ON payments (address_id);
CREATE INDEX payments_unattributed ON payments (id) WHERE invoice_id IS NULL;

CREATE TABLE chain_state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE headers (
  height INTEGER PRIMARY KEY,
  hash   TEXT NOT NULL,
  header TEXT NOT NULL
) STRICT;

-- Everything that happened, in order: the SSE stream and the 'events' agents read from here.
CREATE TABLE events (
  id         INTEGER PRIMARY KEY,
  type       TEXT NOT NULL,
  invoice_id TEXT,
  payment_id INTEGER,
  data       TEXT NOT NULL,                 -- JSON
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX events_invoice ON events (invoice_id, id);

CREATE TABLE agents (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  url          TEXT,
  jid          TEXT,
  token        TEXT NOT NULL,
  thresholds   TEXT NOT NULL,               -- JSON array of integers
  format       TEXT NOT NULL CHECK (format IN ('bitcoinmonitor', 'events', 'xmpp')),
  retry_delays TEXT NOT NULL,               -- JSON array of seconds
  timeout_s    INTEGER NOT NULL,
  enabled      INTEGER NOT NULL DEFAULT 1,
  addresses    TEXT,                        -- JSON array or NULL for all
  enabled_at   INTEGER NOT NULL,            -- payments first seen before this are never replayed (docs/spec/notifications.md)
  created_at   INTEGER NOT NULL,
  deleted_at   INTEGER
) STRICT;

CREATE TABLE notifications (
  id         INTEGER PRIMARY KEY,
  agent_id   TEXT NOT NULL REFERENCES agents (id),
  payment_id INTEGER REFERENCES payments (id),
  threshold  INTEGER,
  event_id   INTEGER REFERENCES events (id),
  body       TEXT,                          -- JSON snapshot of what is sent (signed at each attempt)
  created_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX notifications_payment ON notifications (agent_id, payment_id, threshold) WHERE payment_id IS NOT NULL;
CREATE UNIQUE INDEX notifications_event ON notifications (agent_id, event_id) WHERE event_id IS NOT NULL;

CREATE TABLE deliveries (
  id              TEXT PRIMARY KEY,
  notification_id INTEGER NOT NULL REFERENCES notifications (id),
  redelivery_of   TEXT REFERENCES deliveries (id),
  test            INTEGER NOT NULL DEFAULT 0,
  state           TEXT NOT NULL CHECK (state IN ('PENDING', 'RETRY', 'SUCCESS', 'FAILURE')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  created_at      INTEGER NOT NULL,
  ended_at        INTEGER
) STRICT;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state IN ('PENDING', 'RETRY');
CREATE INDEX deliveries_notification ON deliveries (notification_id);
CREATE INDEX deliveries_state ON deliveries (state, created_at);

CREATE TABLE attempts (
  id               INTEGER PRIMARY KEY,
  delivery_id      TEXT NOT NULL REFERENCES deliveries (id),
  at               INTEGER NOT NULL,
  duration_ms      INTEGER NOT NULL,
  http_status      INTEGER,
  error            TEXT,
  response_excerpt TEXT
) STRICT;
CREATE INDEX attempts_delivery ON attempts (delivery_id, id);
CREATE INDEX attempts_at ON attempts (at);
`;
