/**
 * The catalogue of live rate sources (docs/rates.md): public price APIs that need no account. Shared by the
 * adapters (src/node/rates/sources), the contract (which ids a setting may name) and the console (which source
 * quotes which currency, the privacy note). Currency lists are the fiat currencies each source quotes against BTC,
 * taken from Electrum's `electrum/currencies.json` (spesmilo/electrum @ 6571e479) and mempool's
 * `backend/src/tasks/price-updater.ts` (mempool/mempool @ 3b6ed8bd); a currency missing from an answer is that
 * source's error, never a guess.
 */

export const RATE_SOURCE_IDS = ['kraken', 'bitstamp', 'coinbase', 'coingecko', 'bitfinex', 'mempool', 'blockchain', 'yadio'] as const;
export type RateSourceId = (typeof RATE_SOURCE_IDS)[number];

export interface RateSourceInfo {
  id: RateSourceId;
  name: string;
  /** The host every request goes to (what the merchant's network, or Tor exit, reveals it talks to). */
  host: string;
  /** The public documentation the adapter follows. */
  docs: string;
  currencies: readonly string[];
}

const MEMPOOL = 'USD EUR GBP CAD CHF AUD JPY BGN BRL CNY CZK DKK HKD HRK HUF IDR ILS INR ISK KRW MXN MYR NOK NZD PHP PLN RON RUB SEK SGD THB TRY ZAR';
const COINBASE =
  'AED ARS AUD BRL CAD CHF CLP CNY COP CZK DKK EUR GBP HKD HUF IDR ILS INR JPY KRW MXN MYR NGN NOK NZD PEN PHP PKR PLN RON SEK SGD THB TRY TWD UAH USD UYU VES VND ZAR';
const COINGECKO =
  'AED ARS AUD BDT BHD BMD BRL CAD CHF CLP CNY CZK DKK EUR GBP GEL HKD HUF IDR ILS INR JPY KRW KWD LKR MMK MXN MYR NGN NOK NZD PHP PKR PLN RUB SAR SEK SGD THB TRY TWD UAH USD VND ZAR';
const BLOCKCHAIN = 'ARS AUD BRL CAD CHF CLP CNY CZK DKK EUR GBP HKD HRK HUF INR ISK JPY KRW NZD PLN RON RUB SEK SGD THB TRY TWD USD';
const YADIO =
  'AED ALL ANG AOA ARS AUD AZN BDT BGN BHD BIF BMD BOB BRL BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CZK DJF DKK DOP DZD EGP ETB EUR ' +
  'GBP GEL GHS GNF GTQ HKD HNL HUF IDR ILS INR IRR ISK JMD JOD JPY KES KGS KRW KZT LBP LKR MAD MGA MRU MWK MXN MYR NAD NGN NIO NOK NPR ' +
  'NZD PAB PEN PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SEK SGD SYP THB TND TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND XAF XOF ZAR ZMW';

const list = (s: string): readonly string[] => Object.freeze(s.split(' '));

export const RATE_SOURCES: Readonly<Record<RateSourceId, RateSourceInfo>> = {
  kraken: {
    id: 'kraken',
    name: 'Kraken',
    host: 'api.kraken.com',
    docs: 'https://docs.kraken.com/api/docs/rest-api/get-ticker-information',
    currencies: list('USD EUR GBP CAD JPY CHF AUD'),
  },
  bitstamp: {
    id: 'bitstamp',
    name: 'Bitstamp',
    host: 'www.bitstamp.net',
    docs: 'https://www.bitstamp.net/api/#tag/Tickers/operation/GetMarketTicker',
    currencies: list('USD EUR GBP'),
  },
  coinbase: {
    id: 'coinbase',
    name: 'Coinbase',
    host: 'api.coinbase.com',
    docs: 'https://docs.cdp.coinbase.com/coinbase-app/track-apis/exchange-rates',
    currencies: list(COINBASE),
  },
  coingecko: {
    id: 'coingecko',
    name: 'CoinGecko',
    host: 'api.coingecko.com',
    docs: 'https://docs.coingecko.com/v3.0.1/reference/exchange-rates',
    currencies: list(COINGECKO),
  },
  bitfinex: {
    id: 'bitfinex',
    name: 'Bitfinex',
    host: 'api-pub.bitfinex.com',
    docs: 'https://docs.bitfinex.com/reference/rest-public-tickers',
    currencies: list('USD EUR GBP JPY TRY'),
  },
  mempool: {
    id: 'mempool',
    name: 'mempool.space',
    host: 'mempool.space',
    docs: 'https://mempool.space/docs/api/rest#get-price',
    currencies: list(MEMPOOL),
  },
  blockchain: {
    id: 'blockchain',
    name: 'Blockchain.com',
    host: 'blockchain.info',
    docs: 'https://www.blockchain.com/explorer/api/exchange_rates_api',
    currencies: list(BLOCKCHAIN),
  },
  yadio: {
    id: 'yadio',
    name: 'Yadio',
    host: 'api.yadio.io',
    docs: 'https://api.yadio.io/docs',
    currencies: list(YADIO),
  },
};

/** On mainnet every source is selected until the merchant says otherwise; test networks start with none. */
export const DEFAULT_RATE_SOURCES: readonly RateSourceId[] = RATE_SOURCE_IDS;

export function isRateSourceId(v: unknown): v is RateSourceId {
  return typeof v === 'string' && (RATE_SOURCE_IDS as readonly string[]).includes(v);
}

/** The selected sources that quote `currency`, in catalogue order. */
export function sourcesQuoting(currency: string, selected: readonly RateSourceId[]): RateSourceId[] {
  return RATE_SOURCE_IDS.filter((id) => selected.includes(id) && RATE_SOURCES[id].currencies.includes(currency));
}

/** Every currency at least one source quotes, sorted (the console's currency picker). */
export function quotedCurrencies(): string[] {
  return [...new Set(RATE_SOURCE_IDS.flatMap((id) => RATE_SOURCES[id].currencies))].sort();
}
