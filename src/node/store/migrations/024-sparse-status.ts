/**
 * 024: invoices_status holds only the statuses a store keeps few of (docs/decisions/0103-sparse-status-index.md).
 * After a while nearly every invoice is confirmed or expired, and an index entry for each cost about 18 bytes per
 * invoice at a million. A list of confirmed or expired invoices walks the row numbers instead, newest first: about
 * every other row, or every fourth, qualifies. The statuses of the few (unpaid, partial, paid, invalid, cancelled)
 * keep their index; a query for one names the index's condition too (`statusIs`, src/node/store/chain-sql.ts).
 */
export const up = `
DROP INDEX invoices_status;
CREATE INDEX invoices_status ON invoices (status) WHERE status NOT IN ('confirmed', 'expired');
`;
