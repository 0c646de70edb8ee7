/**
 * The unit of work (docs/decisions/0015-service-rooms.md): every change to the store goes through one SQLite write
 * transaction here, so facts, statuses, events and the notifications they cause commit together
 * (docs/decisions/0005-outbox-in-sqlite.md), and what committed is published afterwards.
 *
 * - `write(fn)`: a change to facts, invoices, agents or anything else the shop may be told about. Inside the same
 *   transaction, after `fn`, the planners run (the notification planner registers here).
 * - `record(fn)`: bookkeeping that nobody is told about (the sender's attempts, pruning): no planning.
 * - After the commit the event bus publishes the new events, then each `onCommit` listener runs with the kind.
 *
 * A write inside a write joins the outer one: it commits, plans and publishes with it.
 */
import type { DB } from '../store/sqlite.ts';
import type { EventBus } from '../events.ts';
import type { Clock } from '../invoices.ts';

export type CommitKind = 'facts' | 'bookkeeping';

export interface Commit {
  kind: CommitKind;
}

/**
 * Runs inside a `write` transaction, after its changes, with the transaction's time; `forget` is called when that
 * transaction rolled back (a planner that remembers what it looked at must not trust it then).
 */
export type Planner = ((now: number) => void) & { forget?: () => void };

export class UnitOfWork {
  private readonly planners: Planner[] = [];
  private readonly listeners = new Set<(c: Commit) => void>();
  private open: { plan: boolean } | null = null;

  constructor(
    readonly db: DB,
    readonly clock: Clock,
    readonly bus: EventBus,
    private readonly onListenerError: (e: unknown) => void = (e) => console.error('onCommit listener failed:', e),
  ) {}

  addPlanner(p: Planner): () => void {
    this.planners.push(p);
    return () => {
      const i = this.planners.indexOf(p);
      if (i >= 0) this.planners.splice(i, 1);
    };
  }

  /** Calls `fn` after every commit (not for a rolled-back transaction); returns the function that stops it. */
  onCommit(fn: (c: Commit) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  write<T>(fn: () => T): T {
    return this.run(true, fn);
  }

  record<T>(fn: () => T): T {
    return this.run(false, fn);
  }

  private run<T>(plan: boolean, fn: () => T): T {
    if (this.open) {
      this.open.plan ||= plan;
      return fn();
    }
    const open = { plan };
    this.open = open;
    let result: T;
    try {
      result = this.db.transaction(() => {
        const r = fn();
        if (open.plan) {
          const now = this.clock.now();
          for (const p of this.planners) p(now);
        }
        return r;
      })();
    } catch (e) {
      for (const p of this.planners) p.forget?.();
      throw e;
    } finally {
      this.open = null;
    }
    this.bus.flush();
    const commit: Commit = { kind: open.plan ? 'facts' : 'bookkeeping' };
    for (const l of [...this.listeners]) {
      try {
        l(commit);
      } catch (e) {
        // Committed is committed: a listener's failure must not turn a successful write into an error.
        this.onListenerError(e);
      }
    }
    return result;
  }
}
