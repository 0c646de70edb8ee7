/**
 * 030: the index of order references holds only those of one or two characters (docs/decisions/0111-short-userdata-index.md).
 * `invoices_userdata` held every non-empty userdata, 24 bytes per invoice at a million, to answer one question: the
 * search for a term too short for the trigram index (src/node/search.ts), which matches an order reference exactly.
 * Only a reference of one or two characters can equal such a term; longer ones are found through `invoices_search`.
 */
export const up = `
DROP INDEX invoices_userdata;
CREATE INDEX invoices_userdata_short ON invoices (userdata) WHERE length(userdata) BETWEEN 1 AND 2;
`;
