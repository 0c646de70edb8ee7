/**
 * 026: events_invoice goes (docs/decisions/0105-events-by-id.md). Nothing asks for an invoice's events: the stream,
 * the callback planner and retention read events by id, and an invoice's timeline is drawn from the invoice. The
 * index only served the check SQLite makes when an invoice row is deleted or its id changed, which the app never
 * does. It cost about 7.5 bytes per invoice at a million.
 */
export const up = `
DROP INDEX events_invoice;
`;
