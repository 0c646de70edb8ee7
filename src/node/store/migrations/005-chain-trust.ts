/**
 * 005: 0-conf as a deliberate policy and attribution for every address (docs/spec/invoices.md, docs/trust.md).
 * - invoices.confirmations_requested: what the shop asked for; confirmations_required is what the 0-conf policy
 *   allowed (src/core/zeroconf.ts capConfirmations) and confirmations_note says why they differ.
 * - invoices.zero_conf_risk: the merchant's 0-conf opt-in when the invoice was created ('refuse' before this).
 * - invoices.taken_tip_height: our verified tip when the invoice took its address (src/core/attribution.ts); NULL on
 *   older rows, which then fall back to the 2-hour header-time rule.
 * - payments.unconfirmed_parent / mempool_servers: a mempool entry at height −1, and how many servers' mempools
 *   show it (a 0-conf acceptance needs two when two servers are configured).
 * Open invoices that asked for 0 confirmations under the old meaning of zero_conf_limit_sats (0 = no cap) now need 1:
 * 0-conf became opt-in, and an old request cannot opt in for the merchant.
 */
export const up = `
ALTER TABLE invoices ADD COLUMN confirmations_requested INTEGER CHECK (confirmations_requested BETWEEN 0 AND 100);
ALTER TABLE invoices ADD COLUMN confirmations_note TEXT;
ALTER TABLE invoices ADD COLUMN zero_conf_risk TEXT NOT NULL DEFAULT 'refuse'
  CHECK (zero_conf_risk IN ('refuse', 'accept', 'accept_unconfirmed_parents'));
ALTER TABLE invoices ADD COLUMN taken_tip_height INTEGER;
ALTER TABLE payments ADD COLUMN unconfirmed_parent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN mempool_servers INTEGER NOT NULL DEFAULT 1;

UPDATE invoices SET confirmations_requested = confirmations_required;
UPDATE invoices
   SET confirmations_required = 1,
       confirmations_note = '0-conf became an opt-in setting after this invoice was created: it needs 1 confirmation.'
 WHERE confirmations_required = 0 AND status IN ('unpaid', 'partial', 'paid', 'expired')
   AND cancelled_at IS NULL AND manual_status IS NULL;
`;
