/**
 * The order vitest starts test files in (docs/decisions/0018-tests-prove-by-state.md#a-suite-that-runs-in-parallel).
 * Files run in parallel workers; the suite lasts at least as long as its longest file, so that file must start
 * first. The interop files (test/interop) are the longest and mostly wait on the real servers' polling of bitcoind
 * (ElectrumX every 5 s), which costs no CPU: started first, their waiting overlaps everything else. The rest keep
 * vitest's own order: a file that failed last time first, then the longest by the last run's durations (on a fresh
 * clone, with no durations yet, the largest files first).
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const FIRST: RegExp[] = [/^test\/interop\/electrumx\./, /^test\/interop\//];

function rank(spec: TestSpecification): number {
  const rel = spec.moduleId.slice(spec.project.config.root.length + 1).replaceAll('\\', '/');
  const i = FIRST.findIndex((re) => re.test(rel));
  return i < 0 ? FIRST.length : i;
}

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // Array.prototype.sort is stable: within a rank, vitest's order stands.
    return sorted.map((spec) => ({ spec, rank: rank(spec) })).sort((a, b) => a.rank - b.rank).map((x) => x.spec);
  }
}
