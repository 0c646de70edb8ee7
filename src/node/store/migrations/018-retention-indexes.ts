/**
 * 018: the two partial indexes retention walked every hour (008: notifications_kept_body, notifications_not_payment)
 * go. A maintenance run now checks only the notifications whose deliveries it removed, by id
 * (src/node/retention.ts, docs/security.md "Retention"), so nothing reads them; each notification written still paid
 * for keeping them.
 */
export const up = `
DROP INDEX IF EXISTS notifications_kept_body;
DROP INDEX IF EXISTS notifications_not_payment;
`;
