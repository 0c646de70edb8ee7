/**
 * Blockchain.com `GET /ticker` on blockchain.info (https://www.blockchain.com/explorer/api/exchange_rates_api):
 * `{"USD": {"15m": <n>, "last": <n>, "buy": <n>, "sell": <n>, "symbol": "$"}, ...}`, JSON numbers. `last` is the
 * most recent market price (`15m` is delayed).
 */
import { z } from 'zod';
import { RATE_SOURCES } from '../../../core/rates-sources.ts';
import { Num } from '../json.ts';
import type { RateAdapter } from './adapter.ts';

const Answer = z.record(z.string(), z.looseObject({ '15m': Num, last: Num, buy: Num, sell: Num, symbol: z.string() }));

export const blockchain: RateAdapter = {
  info: RATE_SOURCES.blockchain,
  requests: (currencies) => [{ path: '/ticker', currencies: [...currencies] }],
  parse(body, currencies) {
    const a = Answer.parse(body);
    const out: Record<string, string> = {};
    for (const cur of currencies) if (a[cur]) out[cur] = a[cur].last;
    return out;
  },
};
