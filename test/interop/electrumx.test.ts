/** Satdesk on ElectrumX 1.20.0 with its default cost limits and its default 5 s polling of bitcoind. */
import { describeInterop } from './scenarios.ts';

describeInterop('electrumx', { poll: 5 });
