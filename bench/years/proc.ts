/** What the bench reads of a child process from /proc (Linux): CPU time and resident memory. */
import fs from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of a process, in ms (10 ms resolution). */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** Current resident set size, in MB. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Waits until the process is quiet: a window of `windowMs` in which it used at most one clock tick of CPU
 * (bounded by `maxMs`). Returns the CPU it used meanwhile, so a caller can tell leftover work from a baseline.
 */
export async function quiet(pid: number, windowMs = 500, maxMs = 30_000): Promise<number> {
  const start = cpuMs(pid);
  for (const t0 = Date.now(); Date.now() - t0 < maxMs; ) {
    const c0 = cpuMs(pid);
    await sleep(windowMs);
    if (cpuMs(pid) - c0 <= TICK_MS) break;
  }
  return cpuMs(pid) - start;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
