/**
 * What every room of the service shares: the store, the clock, the network, the unit of work and the settings; and
 * the shape of the handler table the rooms fill (one function per contract method).
 */
import type { DB } from '../store/sqlite.ts';
import type { NetworkName } from '../../core/network.ts';
import type { Contract, MethodInput, MethodName, MethodOutput } from '../../shared/contract.ts';
import type { StoredSettings } from '../settings.ts';
import type { AddressPool } from '../pool.ts';
import type { Clock, RefreshContext } from '../invoices.ts';
import type { UnitOfWork } from './unit-of-work.ts';
import type { RateContext } from '../books/rates.ts';
import type { LiveRates } from '../rates/live.ts';

/** What a handler answers: a CSV method may stream its text as chunks (docs/books.md#exports). */
export type HandlerOutput<M extends MethodName> = Contract[M] extends { contentType: 'text/csv' } ? MethodOutput<M> | AsyncIterable<string | Uint8Array> : MethodOutput<M>;
export type Handlers = { [M in MethodName]: (input: MethodInput<M>) => Promise<HandlerOutput<M>> | HandlerOutput<M> };

export interface ServiceCore {
  readonly db: DB;
  readonly clock: Clock;
  readonly network: NetworkName;
  readonly uow: UnitOfWork;
  readonly pool: AddressPool;
  /** The current settings (replaced as a whole by a settings change). */
  readonly settings: StoredSettings;
  readonly liveRates: LiveRates;
  tipHeight(): number;
  refreshContext(now?: number): RefreshContext;
  /** How the books value amounts in fiat (docs/books.md#fiat-values). */
  rates(): RateContext;
}
