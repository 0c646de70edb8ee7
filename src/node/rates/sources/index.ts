/** Every rate adapter by id, and the hosts they talk to in production (tests point them at loopback). */
import type { RateSourceId } from '../../../core/rates-sources.ts';
import type { RateAdapter } from './adapter.ts';
import { bitfinex } from './bitfinex.ts';
import { bitstamp } from './bitstamp.ts';
import { blockchain } from './blockchain.ts';
import { coinbase } from './coinbase.ts';
import { coingecko } from './coingecko.ts';
import { kraken } from './kraken.ts';
import { mempool } from './mempool.ts';
import { yadio } from './yadio.ts';

export const ADAPTERS: Readonly<Record<RateSourceId, RateAdapter>> = { kraken, bitstamp, coinbase, coingecko, bitfinex, mempool, blockchain, yadio };

export function productionBaseUrl(id: RateSourceId): string {
  return `https://${ADAPTERS[id].info.host}`;
}
