/**
 * mempool.space `GET /api/v1/prices` (https://mempool.space/docs/api/rest#get-price; example in mempool/mempool
 * `frontend/src/app/docs/api-docs/api-docs-data.ts`): `{"time": <unix s>, "USD": <number>, "EUR": ...}`. The server
 * writes -1 for a currency it has no price for (`getEmptyPricesObj` in `backend/src/tasks/price-updater.ts`): that is
 * a missing price, not a negative one.
 */
import { z } from 'zod';
import { RATE_SOURCES } from '../../../core/rates-sources.ts';
import { Num } from '../json.ts';
import type { RateAdapter } from './adapter.ts';

const Answer = z.object({ time: Num }).catchall(Num);

export const mempool: RateAdapter = {
  info: RATE_SOURCES.mempool,
  requests: (currencies) => [{ path: '/api/v1/prices', currencies: [...currencies] }],
  parse(body, currencies) {
    const a = Answer.parse(body);
    const out: Record<string, string> = {};
    for (const cur of currencies) {
      const v = a[cur];
      if (v !== undefined && v !== '-1') out[cur] = v;
    }
    return out;
  },
};
