/**
 * CoinGecko `GET /api/v3/exchange_rates` (https://docs.coingecko.com/v3.0.1/reference/exchange-rates; the endpoint
 * Electrum's `exchange_rate.py` uses): `{"rates": {"usd": {"name", "unit", "value": <number>, "type": "fiat"}, ...}}`,
 * values are BTC-to-currency rates as JSON numbers, keys in lower case.
 */
import { z } from 'zod';
import { RATE_SOURCES } from '../../../core/rates-sources.ts';
import { Num } from '../json.ts';
import type { RateAdapter } from './adapter.ts';

const Answer = z.object({
  rates: z.record(z.string(), z.looseObject({ name: z.string(), unit: z.string(), value: Num, type: z.string() })),
});

export const coingecko: RateAdapter = {
  info: RATE_SOURCES.coingecko,
  requests: (currencies) => [{ path: '/api/v3/exchange_rates', currencies: [...currencies] }],
  parse(body, currencies) {
    const { rates } = Answer.parse(body);
    const out: Record<string, string> = {};
    for (const cur of currencies) {
      const r = rates[cur.toLowerCase()];
      if (r && r.type === 'fiat') out[cur] = r.value;
    }
    return out;
  },
};
