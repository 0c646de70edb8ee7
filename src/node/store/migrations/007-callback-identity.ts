/**
 * 007: callbacks that cannot be replayed, and a log of exactly what was sent (docs/callbacks.md, docs/security.md).
 * - notifications.public_id: the stable notification id (`ntf_` + 24 hex) sent as X-Satdesk-Notification and
 *   signed with every delivery and resend of the notification; receivers deduplicate on it. Random, so a restored
 *   backup or a second data dir never repeats one a receiver has seen.
 * - sent_bodies: the exact bytes of each request body, stored once per distinct body (retries and resends repeat
 *   the same bytes); attempts.body_id points at it and attempts.request_headers holds the headers as sent.
 * - Event notifications no longer need their own copy of the event's invoice snapshot (notifications.body NULL:
 *   the body is built from the event row at send time).
 */
export const up = `
ALTER TABLE notifications ADD COLUMN public_id TEXT;
UPDATE notifications SET public_id = 'ntf_' || lower(hex(randomblob(12)));
CREATE UNIQUE INDEX notifications_public_id ON notifications (public_id);
-- Pruning looks up notifications by event (the unique index leads with the agent).
CREATE INDEX notifications_event_id ON notifications (event_id) WHERE event_id IS NOT NULL;

CREATE TABLE sent_bodies (
  id     INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  body   TEXT NOT NULL
) STRICT;

ALTER TABLE attempts ADD COLUMN request_headers TEXT;   -- JSON [[name, value], ...] exactly as sent
ALTER TABLE attempts ADD COLUMN body_id INTEGER REFERENCES sent_bodies (id);
CREATE INDEX attempts_body ON attempts (body_id) WHERE body_id IS NOT NULL;
`;
