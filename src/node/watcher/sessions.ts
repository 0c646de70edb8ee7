/**
 * The connections subscriptions are spread over. ElectrumX 1.20.0 meters each session's cost: a subscription costs
 * about 0.2 plus its bytes / 5,000 and, past the soft limit of 1,000 (`COST_SOFT_LIMIT`, src/electrumx/server/env.py),
 * every answer is delayed; past 10,000 the session is closed. Measured here, a session's answers slow from ~4,500
 * subscriptions on, so Satdesk keeps at most 3,500 per ElectrumX session and opens another session to the same server
 * for more (ElectrumX does not group loopback and private addresses by IP: src/electrumx/server/session.py
 * `_ip_addr_group_name`; on a public server the per-IP group cost makes every session slow, which the pacer sees).
 * Fulcrum and others take all subscriptions on one session (their per-IP cap is handled as overflow).
 */
import type { ElectrumClient, ElectrumConnection } from '../electrum/index.ts';

export const ELECTRUMX_SESSION_BUDGET = 3500;

export interface SubSession {
  client: ElectrumClient;
  /** subscriptions held and reserved on this session */
  used: number;
  budget: number;
}

export interface SessionOptions {
  /** Opens another session to the same server (watcher: the pool's side connection, wired for notifications). */
  open(): Promise<ElectrumClient>;
  /** Sessions at most, the first included (default 32). */
  maxSessions?: number;
  /** Subscriptions per session for a server whose software is ElectrumX (default 3,500). */
  electrumxBudget?: number;
  /** Subscriptions per session for any server (tests; default: no limit except ElectrumX's). */
  budget?: number;
}

export class SubscriptionSessions {
  private list: SubSession[] = [];
  private opening: Promise<SubSession | null> | null = null;

  constructor(private readonly o: SessionOptions) {}

  get count(): number {
    return this.list.length;
  }

  budgetFor(client: ElectrumClient): number {
    if (this.o.budget !== undefined) return this.o.budget;
    return /electrumx/i.test(client.serverSoftware ?? '') ? (this.o.electrumxBudget ?? ELECTRUMX_SESSION_BUDGET) : Number.POSITIVE_INFINITY;
  }

  /** A new connection: it is the first session; extra sessions of the old one are closed. */
  reset(main: ElectrumClient | null): void {
    for (const s of this.list.slice(1)) void s.client.close('subscriptions moved to a new connection');
    this.list = main ? [{ client: main, used: 0, budget: this.budgetFor(main) }] : [];
    this.opening = null;
  }

  /** A session with room for `n` more subscriptions (opening one if needed), reserved; null when none can be had. */
  async reserve(n: number): Promise<SubSession | null> {
    for (;;) {
      const s = this.list.find((x) => x.used + n <= x.budget);
      if (s) {
        s.used += n;
        return s;
      }
      if (this.list.length === 0 || this.list.length >= (this.o.maxSessions ?? 32)) return null;
      this.opening ??= this.openOne();
      const opened = await this.opening;
      this.opening = null;
      if (!opened) return null;
    }
  }

  release(s: SubSession, n: number): void {
    s.used = Math.max(0, s.used - n);
  }

  /** The server slowed this session down: no more subscriptions on it (only where sessions are metered apart). */
  full(s: SubSession): void {
    if (Number.isFinite(s.budget)) s.budget = Math.min(s.budget, s.used);
  }

  private async openOne(): Promise<SubSession | null> {
    try {
      const client = await this.o.open();
      const s = { client, used: 0, budget: this.budgetFor(client) };
      this.list.push(s);
      return s;
    } catch {
      return null;
    }
  }
}

/**
 * Opens another session to the pool's current server (same proxy, IP family, TLS pin) whose notifications feed
 * `notify` while `live()`; if it drops, `main` is closed so the whole connection starts over (its subscriptions are
 * gone on the server).
 */
export async function openWiredSession(
  conn: ElectrumConnection,
  live: () => boolean,
  notify: (sh: string, status: string | null) => void,
  main: ElectrumClient,
): Promise<ElectrumClient> {
  const side = await conn.openSide();
  if (!live()) {
    void side.close('connection changed');
    throw new Error('connection changed');
  }
  side.onScripthash((sh, st) => {
    if (live()) notify(sh, st);
  });
  side.onDisconnected((reason) => {
    if (live()) void main.close(`a subscription session closed: ${reason}`);
  });
  return side;
}
