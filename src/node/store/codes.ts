/**
 * The codes rows store in place of words: an invoice's status and zero-confirmation risk (migration 028,
 * docs/decisions/0109-invoice-codes.md), a payment's state (migration 029). Each row reads them back under their names
 * through generated columns (`status`, `zero_conf_risk`, `state`); only writers use these numbers. They are the
 * migrations', as shipped: the order of each list is the code, and test/integration/migration-028.test.ts and
 * migration-029.test.ts check every name against the table's own reading.
 */
import type { InvoiceStatus } from '../../core/vocabulary.ts';
import type { ZeroConfRisk } from '../../core/zeroconf.ts';

const STATUS_ORDER: readonly InvoiceStatus[] = ['confirmed', 'expired', 'unpaid', 'partial', 'paid', 'invalid', 'cancelled'];
const RISK_ORDER: readonly ZeroConfRisk[] = ['refuse', 'accept', 'accept_unconfirmed_parents'];

const codes = <T extends string>(order: readonly T[]): Record<T, number> => Object.fromEntries(order.map((w, i) => [w, i])) as Record<T, number>;

/** invoices.status_code of each status. */
export const STATUS_CODE: Readonly<Record<InvoiceStatus, number>> = codes(STATUS_ORDER);
/** invoices.zero_conf_code of each risk. */
export const ZERO_CONF_CODE: Readonly<Record<ZeroConfRisk, number>> = codes(RISK_ORDER);

/** The code of `status`; throws on a word the table cannot hold, as its CHECK did. */
export function statusCode(status: string): number {
  const c = (STATUS_CODE as Record<string, number>)[status];
  if (c === undefined) throw new Error(`not an invoice status: ${status}`);
  return c;
}

/** The code of a zero-confirmation risk; throws on a word the table cannot hold. */
export function zeroConfCode(risk: string): number {
  const c = (ZERO_CONF_CODE as Record<string, number>)[risk];
  if (c === undefined) throw new Error(`not a zero-confirmation risk: ${risk}`);
  return c;
}

/** SQL for the status code of the SQL expression `words` (a status name), for a write made in SQL alone. */
export function statusCodeOf(words: string): string {
  return `CASE ${words} ${STATUS_ORDER.map((w, i) => `WHEN '${w}' THEN ${i}`).join(' ')} END`;
}

/** payments.state_code of each state: 'active' 0, 'gone' 1 (migration 029). */
export const PAYMENT_STATE_CODE = { active: 0, gone: 1 } as const;
