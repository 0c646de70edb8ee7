/**
 * The rate the books use for an amount (docs/books.md#fiat-values): the invoice's locked rate when it was priced in
 * fiat, else the shop currency's rate in force at that moment from the rate history, else none, with the reason.
 */
import type { RateFact } from '../../core/ledger.ts';

/** The market rate for a currency at a moment, from the rate history (docs/rates.md); absent where none is kept. */
export type RateHistory = (currency: string, t: number) => RateFact;

export interface RateContext {
  /** the shop's currency (settings.fiat.currency): the value of payments to invoices not priced in fiat */
  currency: string;
  history: RateHistory | null;
}

export interface PricedInvoice {
  fiat_currency: string | null;
  fiat_rate: string | null;
}

/** The rate for an amount of `invoice` (null: an unattributed payment) received or refunded at time `t`. */
export function rateFact(invoice: PricedInvoice | null, t: number, ctx: RateContext): RateFact {
  if (invoice && invoice.fiat_currency !== null && invoice.fiat_rate !== null) {
    return { rate: invoice.fiat_rate, currency: invoice.fiat_currency, basis: 'invoice' };
  }
  if (ctx.history) return ctx.history(ctx.currency, t);
  return {
    rate: null,
    currency: ctx.currency,
    reason: invoice
      ? `the invoice was priced in sats and Satdesk keeps no ${ctx.currency} rate history`
      : `no invoice rate (unattributed) and Satdesk keeps no ${ctx.currency} rate history`,
  };
}
