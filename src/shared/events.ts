/**
 * The event vocabulary of src/core/vocabulary.ts with the contract's shapes plugged in: what each event type carries
 * on the event stream, in the desktop window and in `events` callbacks (docs/spec/notifications.md#event-types).
 */
import { EVENT_TYPES, type EventPayloads, type EventType, type SatdeskEvent as CoreEvent } from '../core/vocabulary.ts';
import type { Delivery, Invoice } from './contract.ts';

export { EVENT_TYPES, CALLBACK_EVENT_TYPES, isEventType, type EventType } from '../core/vocabulary.ts';

/** The payload of one event type. */
export type EventData<T extends EventType> = EventPayloads<Invoice, Delivery>[T];

/** One published event: its payload plus `id`, `type` and `created_at`. */
export type SatdeskEvent = CoreEvent<Invoice, Delivery>;

/** Everything the event stream (SSE, and the desktop window's subscription) delivers: every type, `reload` included. */
export type StreamEvent = SatdeskEvent;

/** The types a client of the stream listens to. */
export const STREAM_EVENT_TYPES: readonly StreamEvent['type'][] = EVENT_TYPES;
