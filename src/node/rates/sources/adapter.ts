/**
 * One public price API as Satdesk sees it: which requests fetch which currencies, and a strict parser for the
 * documented answer. Prices come back as the text the source wrote; checking that text is a plausible rate is
 * the fetcher's job (src/node/rates/fetch-source.ts), the same for every source.
 */
import type { RateSourceInfo } from '../../../core/rates-sources.ts';

export interface SourceRequest {
  /** Path and query under the source's base URL. */
  path: string;
  currencies: string[];
}

export interface RateAdapter {
  info: RateSourceInfo;
  requests(currencies: readonly string[]): SourceRequest[];
  /**
   * The prices one answer holds for `currencies` (BTC in that currency, as written); a currency the answer lacks
   * is left out. Throws when the answer is not the documented shape, or is the source's own error.
   */
  parse(body: unknown, currencies: readonly string[]): Record<string, string>;
}

/** A source's answer that is not the documented shape, or that says it failed. */
export class SourceAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceAnswerError';
  }
}
