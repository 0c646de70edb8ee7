/**
 * 010: payments mined below the checkpoint our header chain starts from (docs/trust.md "History below the anchor").
 * Such a payment cannot be checked against our headers: it is kept as unverified wallet history, never counted
 * toward an invoice, and — unlike an unverified payment above the anchor — not a reason to keep watching its address
 * (the partial index answers that part of the watched set).
 */
export const up = `
ALTER TABLE payments ADD COLUMN below_anchor INTEGER NOT NULL DEFAULT 0 CHECK (below_anchor IN (0, 1));
CREATE INDEX payments_unverified_live ON payments (address_id) WHERE state = 'active' AND verified = 0 AND below_anchor = 0;
`;
