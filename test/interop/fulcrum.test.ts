/** Satdesk on Fulcrum 2.1.1 with the per-IP limits a remote client gets (--public-limits) and its default 2 s polling. */
import { describeInterop } from './scenarios.ts';

describeInterop('fulcrum', { poll: 2, publicLimits: true });
