/**
 * Bitstamp `GET /api/v2/ticker/btcusd/` (https://www.bitstamp.net/api/#tag/Tickers/operation/GetMarketTicker), one
 * request per currency: `{"last": "<last price>", "timestamp": "<unix s>", "bid", "ask", ...}`, prices as decimal
 * strings.
 */
import { z } from 'zod';
import { RATE_SOURCES } from '../../../core/rates-sources.ts';
import { DecimalString } from '../json.ts';
import type { RateAdapter } from './adapter.ts';

const Ticker = z.looseObject({ last: DecimalString, timestamp: z.string().regex(/^\d{1,12}$/) });

export const bitstamp: RateAdapter = {
  info: RATE_SOURCES.bitstamp,
  requests: (currencies) => currencies.map((c) => ({ path: `/api/v2/ticker/btc${c.toLowerCase()}/`, currencies: [c] })),
  parse(body, currencies) {
    const t = Ticker.parse(body);
    return { [currencies[0]!]: t.last };
  },
};
