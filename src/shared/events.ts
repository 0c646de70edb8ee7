/**
 * The event vocabulary of src/core/vocabulary.ts with the contract's shapes plugged in: what each event type carries
 * on the event stream, in the desktop window and in `events` callbacks (docs/spec/notifications.md#event-types).
 */
import type { EventPayloads, EventType, SatdeskEvent as CoreEvent } from '../core/vocabulary.ts';
import type { Delivery, Invoice } from './contract.ts';

export { EVENT_TYPES, CALLBACK_EVENT_TYPES, isEventType, type EventType } from '../core/vocabulary.ts';

/** The payload of one event type. */
export type EventData<T extends EventType> = EventPayloads<Invoice, Delivery>[T];

/** One published event: its payload plus `id`, `type` and `created_at`. */
export type SatdeskEvent = CoreEvent<Invoice, Delivery>;
