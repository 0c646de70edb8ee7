/**
 * Coinbase `GET /v2/exchange-rates?currency=BTC` (https://docs.cdp.coinbase.com/coinbase-app/track-apis/exchange-rates,
 * no authentication): `{"data": {"currency": "BTC", "rates": {"USD": "<units per 1 BTC>", ...}}}`, rates as decimal
 * strings, every currency in one answer.
 */
import { z } from 'zod';
import { RATE_SOURCES } from '../../../core/rates-sources.ts';
import type { RateAdapter } from './adapter.ts';

const Answer = z.object({
  data: z.object({ currency: z.literal('BTC'), rates: z.record(z.string(), z.string()) }),
});

export const coinbase: RateAdapter = {
  info: RATE_SOURCES.coinbase,
  requests: (currencies) => [{ path: '/v2/exchange-rates?currency=BTC', currencies: [...currencies] }],
  parse(body, currencies) {
    const { rates } = Answer.parse(body).data;
    const out: Record<string, string> = {};
    for (const cur of currencies) if (rates[cur] !== undefined) out[cur] = rates[cur];
    return out;
  },
};
