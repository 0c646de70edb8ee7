/**
 * The rate the books use for an amount (docs/books.md#fiat-values): the invoice's locked rate when it was priced in
 * fiat, else the shop currency's rate in force at that moment from the rate history, else none, with the reason.
 */
import type { RateFact } from '../../core/ledger.ts';
import { rateInForceAt } from '../rates/lock.ts';
import { marketPointCursor } from '../rates/store.ts';
import type { DB } from '../store/sqlite.ts';

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

/**
 * How the books value amounts, as plain data: it crosses to an export's worker thread (src/node/books/export-thread.ts),
 * where `rateContext` turns it back into a RateContext on that thread's own connection.
 */
export interface RatePolicy {
  currency: string;
  /** settings.fiat: rates the merchant set by hand, and since when */
  manual: { rates: Record<string, string>; rates_set_at: Record<string, string> };
  /** how long a market rate stays in force (settings.rates.max_age_s) */
  maxGapMs: number;
}

/** The RateContext of `policy`, answered from `db`'s rate history (one cursor: an export asks in time order). */
export function rateContext(db: DB, policy: RatePolicy): RateContext {
  const market = marketPointCursor(db);
  return { currency: policy.currency, history: (currency, t) => rateInForceAt(db, currency, t, policy.manual, policy.maxGapMs, market) };
}
