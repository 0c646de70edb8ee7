/**
 * The event types the console listens to on the stream: every type the server emits (src/core/vocabulary.ts), the
 * stream's own `reload` included. No DOM here, so a Node test can check the list against the core's.
 */
import { STREAM_EVENT_TYPES } from '../../shared/events.ts';

export const SUBSCRIBED_EVENT_TYPES = STREAM_EVENT_TYPES;
