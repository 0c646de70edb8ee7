/** Shared bits of the bench harness: stats, result rows, timing helpers. */
export interface ScenarioResult {
  scenario: string;
  figure: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  target: number;
  /** 'le': the figure must be at most the target; 'ge': at least. */
  better: 'le' | 'ge';
  samples: number;
  note?: string;
}

/** A row of bench/results.json (`{"scenarios": [{scenario, figure, unit, median, min, max, target, verdict}]}`): the result with its verdict instead of the comparison. */
export type Row = Omit<ScenarioResult, 'better'> & { verdict: 'met' | 'miss' };

export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summarize(values: number[]): { median: number; min: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), min: s[0]!, max: s[s.length - 1]! };
}

/** One figure measured over several runs: median of the per-run figures, with their min and max. */
export function result(
  scenario: string,
  figure: string,
  unit: string,
  perRun: number[],
  target: number,
  better: 'le' | 'ge',
  note?: string,
): ScenarioResult {
  return { scenario, figure, unit, ...summarize(perRun), target, better, samples: perRun.length, ...(note ? { note } : {}) };
}

export function toRow(r: ScenarioResult): Row {
  const ok = r.better === 'le' ? r.median <= r.target : r.median >= r.target;
  const { better: _better, ...rest } = r;
  return { ...rest, median: round(r.median), min: round(r.min), max: round(r.max), verdict: ok ? 'met' : 'miss' };
}

export function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export const msSince = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
