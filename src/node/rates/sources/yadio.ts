/**
 * Yadio `GET /exrates/BTC` (https://api.yadio.io/docs; the endpoint BTCPay Server's `YadioRateProvider.cs` reads):
 * `{"BTC": {"USD": <number>, "VES": <number>, ...}, "base": "BTC", "timestamp": <ms>}`, JSON numbers. Yadio quotes
 * the rates Latin American markets actually trade at (for ARS or VES these can differ widely from official FX).
 */
import { z } from 'zod';
import { RATE_SOURCES } from '../../../core/rates-sources.ts';
import { Num } from '../json.ts';
import type { RateAdapter } from './adapter.ts';

const Answer = z.looseObject({ BTC: z.record(z.string(), Num) });

export const yadio: RateAdapter = {
  info: RATE_SOURCES.yadio,
  requests: (currencies) => [{ path: '/exrates/BTC', currencies: [...currencies] }],
  parse(body, currencies) {
    const { BTC } = Answer.parse(body);
    const out: Record<string, string> = {};
    for (const cur of currencies) if (BTC[cur] !== undefined) out[cur] = BTC[cur];
    return out;
  },
};
