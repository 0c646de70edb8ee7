/**
 * detect2: the detect scenario (bench/scenarios/detect.ts) with two servers configured, so every payment is
 * cross-checked in the second server's mempool before it counts (src/node/watcher/witness.ts). Target as for one
 * server: p50 ≤ 25 ms on loopback.
 */
import type { ScenarioResult } from '../lib.ts';
import { runDetect } from './detect.ts';

export const scenario = { name: 'detect2', run: (): Promise<ScenarioResult[]> => runDetect('detect2', 2) };
