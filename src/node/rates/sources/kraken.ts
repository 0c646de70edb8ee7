/**
 * Kraken `GET /0/public/Ticker?pair=XBTUSD,XBTEUR` (https://docs.kraken.com/api/docs/rest-api/get-ticker-information):
 * `{"error": [], "result": {"XXBTZUSD": {"c": ["<last trade price>", "<lot volume>"], ...}}}`, prices as decimal
 * strings. The result names pairs by their canonical key (`XXBTZUSD`, but `XBTCHF`, `XBTAUD`: see mempool's
 * `backend/src/tasks/price-feeds/kraken-api.ts`), so both forms are looked up.
 */
import { z } from 'zod';
import { RATE_SOURCES } from '../../../core/rates-sources.ts';
import { DecimalString } from '../json.ts';
import { SourceAnswerError, type RateAdapter } from './adapter.ts';

const Answer = z.object({
  error: z.array(z.string()),
  result: z.record(z.string(), z.looseObject({ c: z.tuple([DecimalString, DecimalString]) })).optional(),
});

export const kraken: RateAdapter = {
  info: RATE_SOURCES.kraken,
  requests: (currencies) => [{ path: `/0/public/Ticker?pair=${currencies.map((c) => `XBT${c}`).join(',')}`, currencies: [...currencies] }],
  parse(body, currencies) {
    const a = Answer.parse(body);
    if (a.error.length) throw new SourceAnswerError(`Kraken says: ${a.error.join('; ').slice(0, 200)}`);
    const out: Record<string, string> = {};
    for (const cur of currencies) {
      const t = a.result?.[`XXBTZ${cur}`] ?? a.result?.[`XBT${cur}`];
      if (t) out[cur] = t.c[0];
    }
    return out;
  },
};
