/**
 * Asks one source for the currencies it quotes and checks every price the same way, whatever the source: a
 * plausible number (src/core/rates-decimal.ts `parseRateText`), and not absurd next to the last market rate (more
 * than twice or less than half of it: a misplaced decimal point, satoshis for BTC, a broken feed). A refused price
 * changes no rate; the reason becomes the source's error in Settings.
 */
import { z } from 'zod';
import { compareRates, parseRateText, RateValueError, withinFactor } from '../../core/rates-decimal.ts';
import type { RateSourceId } from '../../core/rates-sources.ts';
import { describeZodError } from '../dispatch.ts';
import { getJson, SourceFetchError, type GetOptions } from './http-get.ts';
import { SourceAnswerError } from './sources/adapter.ts';
import { ADAPTERS } from './sources/index.ts';

export interface SourceResult {
  source: RateSourceId;
  startedAt: number;
  durationMs: number;
  /** Accepted prices (canonical rates) by currency. */
  rates: Record<string, string>;
  /** Why a wanted currency has no accepted price. */
  errors: Record<string, string>;
  /** Set when nothing was accepted: the request failed, or every price was refused. */
  error: string | null;
}

export interface FetchSourceOptions extends Omit<GetOptions, 'isolation'> {
  baseUrl: string;
  /** The last market rate per currency, for the absurd-price check (null: nothing to compare with). */
  reference: (currency: string) => string | null;
  clock: () => number;
}

export async function fetchSource(id: RateSourceId, currencies: readonly string[], opts: FetchSourceOptions): Promise<SourceResult> {
  const adapter = ADAPTERS[id];
  const startedAt = opts.clock();
  const rates: Record<string, string> = {};
  const errors: Record<string, string> = {};
  let failure: string | null = null;
  for (const req of adapter.requests(currencies)) {
    let prices: Record<string, string>;
    try {
      const body = await getJson(`${opts.baseUrl.replace(/\/$/, '')}${req.path}`, { ...opts, isolation: `satdesk-rates-${id}` });
      prices = adapter.parse(body, req.currencies);
    } catch (e) {
      const why = describe(e);
      for (const cur of req.currencies) errors[cur] = why;
      failure = why;
      continue;
    }
    for (const cur of req.currencies) {
      const text = prices[cur];
      if (text === undefined) {
        errors[cur] = `no ${cur} price in the answer`;
        continue;
      }
      try {
        const rate = parseRateText(text);
        const ref = opts.reference(cur);
        if (ref !== null && !withinFactor(rate, ref, 2)) {
          errors[cur] = `${cur} ${rate} is absurd: ${compareRates(rate, ref) > 0 ? 'more than twice' : 'less than half'} the market rate ${ref}`;
          continue;
        }
        rates[cur] = rate;
      } catch (e) {
        errors[cur] = `${cur}: ${e instanceof RateValueError ? e.message : String(e)}`;
      }
    }
  }
  const accepted = Object.keys(rates).length > 0;
  const error = accepted ? null : (failure ?? (Object.values(errors).join('; ') || 'no price in the answer'));
  return { source: id, startedAt, durationMs: opts.clock() - startedAt, rates, errors, error };
}

function describe(e: unknown): string {
  if (e instanceof z.ZodError) return `the answer is not in the documented shape (${describeZodError(e, 'answer')})`.slice(0, 300);
  if (e instanceof SourceFetchError || e instanceof SourceAnswerError) return e.message;
  return `unexpected failure: ${(e as Error)?.message ?? String(e)}`.slice(0, 300);
}
