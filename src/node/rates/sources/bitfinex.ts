/**
 * Bitfinex `GET /v2/tickers?symbols=tBTCUSD,tBTCEUR` (https://docs.bitfinex.com/reference/rest-public-tickers): an
 * array of `[SYMBOL, BID, BID_SIZE, ASK, ASK_SIZE, DAILY_CHANGE, DAILY_CHANGE_RELATIVE, LAST_PRICE, VOLUME, HIGH,
 * LOW]`, numbers as JSON numbers. An error is answered as `["error", <code>, "<message>"]`.
 */
import { z } from 'zod';
import { RATE_SOURCES } from '../../../core/rates-sources.ts';
import { Num } from '../json.ts';
import { SourceAnswerError, type RateAdapter } from './adapter.ts';

const Ticker = z.tuple([z.string(), Num, Num, Num, Num, Num, Num, Num, Num, Num, Num]);
const Answer = z.array(Ticker);

export const bitfinex: RateAdapter = {
  info: RATE_SOURCES.bitfinex,
  requests: (currencies) => [{ path: `/v2/tickers?symbols=${currencies.map((c) => `tBTC${c}`).join(',')}`, currencies: [...currencies] }],
  parse(body, currencies) {
    if (Array.isArray(body) && body[0] === 'error') throw new SourceAnswerError(`Bitfinex says: ${String(body[2] ?? body[1]).slice(0, 200)}`);
    const tickers = Answer.parse(body);
    const out: Record<string, string> = {};
    for (const cur of currencies) {
      const t = tickers.find((x) => x[0] === `tBTC${cur}`);
      if (t) out[cur] = t[7];
    }
    return out;
  },
};
