/**
 * The watcher's work queue. Two kinds of job: a tip update (header sync, reorg) and a history (one script hash).
 * The rule that makes merkle checks sound: **a tip update runs alone** — it waits for the histories in flight, and
 * no history starts until it is done — so every proof is checked against the header chain it commits with. A
 * history that needs headers we do not have yet is not synced inline: it asks for a tip update and goes back in the
 * queue. A history whose status does not match what the server announced is parked until the server's next
 * notification for it, as Electrum's synchronizer does, and blamed only after `staleTimeoutMs` (docs/electrum.md).
 */
import { ServerMisbehaviour } from './errors.ts';

/** A header notification to follow, or a request to ask the server where its tip is (a check, or a refresh). */
export type TipRequest = { info: { height: number; hex: string } } | { check: true } | { refresh: true };

export type HistoryOutcome = 'done' | 'ahead' | 'stale';

export interface SchedulerJobs {
  tip(req: TipRequest): Promise<void>;
  /** `final`: the last try after the stale timeout; the job throws if it is still inconsistent. */
  history(sh: string, final: boolean): Promise<HistoryOutcome>;
}

export interface SchedulerOptions {
  /** Histories processed at once (each script hash by one worker at a time). */
  concurrency: number;
  staleTimeoutMs: number;
  onError(e: unknown): void;
  /** Called whenever the queue may have become idle (waiters re-check). */
  onSettled(): void;
}

export class Scheduler {
  private tipReq: TipRequest | null = null;
  private dirty = new Set<string>();
  /** Low-priority checks (addresses past the subscription cap): run when nothing else waits; not part of "idle". */
  private background = new Set<string>();
  /** script hash → when its status first failed to match (waiting for the server's next notification) */
  private parked = new Map<string, number>();
  /** script hash → when its history first named blocks beyond our headers (ElectrumX's tip can trail its histories) */
  private aheadSince = new Map<string, number>();
  private finalTry = new Set<string>();
  private inflight = new Set<Promise<void>>();
  private processing = new Set<string>();
  private pumping = false;
  private tipRunning = false;
  private runningCheck = false;
  private wake: (() => void) | null = null;
  private epoch = 0;
  private staleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly jobs: SchedulerJobs, private readonly opts: SchedulerOptions) {}

  /** Nothing queued, running or parked (a routine tip check does not count: it changes nothing unless it finds news). */
  get idle(): boolean {
    const tipWork = (this.tipReq !== null && !('check' in this.tipReq)) || (this.tipRunning && !this.runningCheck);
    return !tipWork && this.dirty.size === 0 && this.inflight.size === 0 && this.parked.size === 0;
  }
  get parkedCount(): number {
    return this.parked.size;
  }
  get queued(): number {
    return this.dirty.size;
  }
  isDirty(sh: string): boolean {
    return this.dirty.has(sh) || this.processing.has(sh) || this.parked.has(sh);
  }

  /** Drops all queued work (a new connection starts over); jobs of the old epoch finish unheard. */
  reset(): void {
    this.epoch++;
    this.tipReq = null;
    this.dirty.clear();
    this.background.clear();
    this.parked.clear();
    this.aheadSince.clear();
    this.finalTry.clear();
    this.wake?.();
    if (this.staleTimer) clearTimeout(this.staleTimer);
    this.staleTimer = null;
  }

  /** A newer header notification replaces an older one; a check or refresh never replaces a notification. */
  requestTip(req: TipRequest): void {
    if (!('info' in req) && this.tipReq && 'info' in this.tipReq) return;
    if ('check' in req && this.tipReq && 'refresh' in this.tipReq) return;
    this.tipReq = req;
    this.kick();
  }

  markDirty(sh: string): void {
    this.parked.delete(sh);
    this.dirty.add(sh);
    this.kick();
  }

  markBackground(sh: string): void {
    if (this.dirty.has(sh) || this.parked.has(sh)) return;
    this.background.add(sh);
    this.kick();
  }

  kick(): void {
    if (this.pumping) this.wake?.();
    else void this.pump(this.epoch);
  }

  private async pump(epoch: number): Promise<void> {
    this.pumping = true;
    let failed: { e: unknown } | null = null;
    try {
      while (epoch === this.epoch && failed === null) {
        if (this.tipReq) {
          if (this.inflight.size) {
            await Promise.race(this.inflight);
            continue;
          }
          const req = this.tipReq;
          this.tipReq = null;
          this.tipRunning = true;
          this.runningCheck = 'check' in req;
          try {
            await this.jobs.tip(req);
          } finally {
            this.tipRunning = false;
            this.runningCheck = false;
          }
          continue;
        }
        let next: string | undefined;
        if (this.inflight.size < this.opts.concurrency) for (const sh of this.dirty) if (!this.processing.has(sh)) { next = sh; break; }
        if (next === undefined && this.inflight.size < Math.max(1, this.opts.concurrency / 4)) {
          for (const sh of this.background) if (!this.processing.has(sh)) { next = sh; break; }
          if (next !== undefined) {
            this.background.delete(next);
            this.dirty.add(next);
          }
        }
        if (next !== undefined) {
          const sh = next;
          this.dirty.delete(sh);
          this.processing.add(sh);
          const final = this.finalTry.delete(sh);
          const p: Promise<void> = this.jobs
            .history(sh, final)
            .then((outcome) => {
              if (epoch === this.epoch) this.settle(sh, outcome);
            })
            .catch((e: unknown) => {
              failed ??= { e };
            })
            .finally(() => {
              this.inflight.delete(p);
              this.processing.delete(sh);
            });
          this.inflight.add(p);
          continue;
        }
        if (this.inflight.size === 0) break;
        await Promise.race([...this.inflight, new Promise<void>((r) => (this.wake = r))]);
        this.wake = null;
      }
      await Promise.all(this.inflight);
      if (failed) throw (failed as { e: unknown }).e;
    } catch (e) {
      if (epoch === this.epoch) this.opts.onError(e);
    } finally {
      this.wake = null;
      this.pumping = false;
      this.opts.onSettled();
    }
    // Work queued by a newer epoch while this pump was finishing.
    if (epoch !== this.epoch && (this.tipReq || this.dirty.size)) this.kick();
  }

  private settle(sh: string, outcome: HistoryOutcome): void {
    if (outcome === 'done') {
      this.aheadSince.delete(sh);
      this.parked.delete(sh);
      return;
    }
    if (outcome === 'ahead') {
      // The history names a block our headers do not reach: a tip update first, then once more — again each second
      // while the server's tip trails its own histories (ElectrumX mid-reorg), an error only past the grace.
      const first = !this.aheadSince.has(sh);
      const since = this.aheadSince.get(sh) ?? Date.now();
      this.aheadSince.set(sh, since);
      if (Date.now() - since > this.opts.staleTimeoutMs) throw new ServerMisbehaviour(`the history of ${sh} names blocks beyond the server's own headers`);
      this.requestTip({ refresh: true });
      if (first) {
        this.dirty.add(sh);
        return;
      }
      this.parked.set(sh, since);
      const epoch = this.epoch;
      setTimeout(() => epoch === this.epoch && this.parked.has(sh) && (this.requestTip({ refresh: true }), this.markDirty(sh)), 1000).unref?.();
      return;
    }
    // A notification that came while this history was fetched has already queued it again: no need to wait.
    if (this.dirty.has(sh)) return;
    if (!this.parked.has(sh)) this.parked.set(sh, Date.now());
    this.armStaleTimer();
  }

  private armStaleTimer(): void {
    if (this.staleTimer || this.parked.size === 0) return;
    const oldest = Math.min(...this.parked.values());
    const wait = Math.max(10, oldest + this.opts.staleTimeoutMs - Date.now());
    this.staleTimer = setTimeout(() => {
      this.staleTimer = null;
      const now = Date.now();
      for (const [sh, since] of this.parked) {
        if (now - since < this.opts.staleTimeoutMs) continue;
        this.parked.delete(sh);
        this.finalTry.add(sh);
        this.dirty.add(sh);
      }
      this.armStaleTimer();
      this.kick();
    }, wait);
    this.staleTimer.unref?.();
  }

  get tipInProgress(): boolean {
    return this.tipRunning;
  }
}
