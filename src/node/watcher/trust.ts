/**
 * The watcher's trust rooms, wired in one place (docs/trust.md): header sync anchored on the checkpoint
 * (header-sync.ts), the wallet scan (wallet-scan.ts) and, with two or more servers, the cross-check witness
 * (witness.ts) — plus the rule that holds them together: nothing a server says about addresses is looked at until its
 * header chain has been verified up to its tip.
 */
import type { ElectrumClient, ElectrumConnection, IpFamily, ProxyConfig } from '../electrum/index.ts';
import type { ChainStatus, Satdesk } from '../service.ts';
import { HeaderSync, type TipPlan } from './header-sync.ts';
import type { HistoryVerifier } from './history.ts';
import type { WatcherOptions } from './options.ts';
import type { Recorder } from './recorder.ts';
import { WalletScan } from './wallet-scan.ts';
import { Witness } from './witness.ts';

export interface TrustOptions {
  opts: WatcherOptions;
  service: Satdesk;
  conn: ElectrumConnection;
  proxy: ProxyConfig | undefined;
  family: IpFamily;
  /** Queue a history fetch for a script hash. */
  markDirty: (sh: string) => void;
  running: () => boolean;
  log: (line: string) => void;
}

export class ChainTrust {
  readonly headerSync: HeaderSync;
  private readonly walletScan: WalletScan;
  private witness: Witness | null = null;
  /** Histories asked for before the header chain passed: run once it has. */
  private readonly held = new Set<string>();

  constructor(private readonly o: TrustOptions) {
    const { opts, service } = o;
    this.headerSync = new HeaderSync(service.db, opts.network, (fn) => service.write(fn), { maxReorgDepth: opts.maxReorgDepth ?? 1000, ...opts.headers });
    this.walletScan = new WalletScan({ service, markDirty: o.markDirty, log: o.log });
  }

  /** The cross-check needs the history verifier and the recorder, which need our header store first. */
  wire(verifier: HistoryVerifier, recorder: Recorder): void {
    const { opts, service, conn } = this.o;
    this.witness = new Witness({
      servers: opts.servers,
      network: opts.network,
      family: this.o.family,
      proxy: this.o.proxy,
      service,
      headerSync: this.headerSync,
      maxReorgDepth: opts.maxReorgDepth ?? 1000,
      primary: () => (conn.connected ? conn.status().server : null),
      leavePrimary: (reason, next) => {
        conn.prefer(next);
        conn.markBad(reason);
      },
      verifier,
      recorder,
      running: this.o.running,
      log: this.o.log,
      ...(opts.crossCheck?.omissionMs !== undefined ? { omissionMs: opts.crossCheck.omissionMs } : {}),
    });
  }

  /** Whether the witness's last history of `sh` showed `txid` (a mempool payment then counts as seen by two). */
  secondServerShows(sh: string, txid: string): boolean {
    return this.witness?.shows(sh, txid) ?? false;
  }

  /** A new connection: its chain is unproven until its headers pass. */
  onConnect(client: ElectrumClient): void {
    this.headerSync.reset(client.label);
    this.held.clear();
    this.walletScan.reset();
  }

  /** A notification the watch set does not know: a wallet-scan look-ahead address, or false. */
  notification(client: ElectrumClient, live: () => boolean, sh: string, status: string | null): boolean {
    return this.walletScan.onNotification(client, live, sh, status);
  }

  /** True (and the history held) while the header chain is not verified. */
  hold(sh: string): boolean {
    if (this.headerSync.verified) return false;
    this.held.add(sh);
    return true;
  }

  /** After each write: the witness's watch set and mempool checks; the wallet scan's look-ahead. */
  afterCommit(client: ElectrumClient | null, live: () => boolean, fail: (e: unknown) => void): void {
    if (this.witness?.enabled) this.witness.afterCommit();
    if (client && this.headerSync.verified) {
      void this.walletScan.maybeRun(client, live).catch(fail);
      this.walletScan.extend(client, live);
    }
  }

  /** After a tip update verified the chain: held histories run, the wallet scan starts, the witness compares. */
  afterTip(client: ElectrumClient, live: () => boolean, fail: (e: unknown) => void, plan: TipPlan | null): void {
    if (plan) this.headerSync.recorded(plan);
    if (this.headerSync.verified) {
      for (const sh of this.held) this.o.markDirty(sh);
      this.held.clear();
      void this.walletScan.maybeRun(client, live).catch(fail);
    }
    this.witness?.ensure();
    this.witness?.primaryTip();
  }

  /** Synced needs a verified chain and no server ahead of ours by verified work. */
  get synced(): boolean {
    return this.headerSync.verified && !this.witness?.lag;
  }

  status(): Pick<ChainStatus, 'lagBlocks' | 'crossCheck' | 'headers'> {
    const c = this.witness?.status() ?? { server: null, lagBlocks: null, alerts: [] };
    return { lagBlocks: c.lagBlocks, crossCheck: c, headers: this.headerSync.trust() };
  }

  async stop(): Promise<void> {
    await this.witness?.stop();
  }
}
