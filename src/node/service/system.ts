/**
 * The system room: health, sysinfo, settings and backups. The chain watcher registers itself here as the provider
 * of the chain status; with none registered, sysinfo says the chain is not connected.
 */
import type { Sysinfo } from '../../shared/contract.ts';
import { writeBackup } from '../datadir.ts';
import { applySettingsPatch, publicSettings, type StoredSettings } from '../settings.ts';
import { VERSION } from '../version.ts';
import { plaintextWarning } from '../transport-warning.ts';
import type { OutboxCounts } from './callbacks.ts';
import type { Handlers, ServiceCore } from './context.ts';

/** What the chain watcher reports (docs/spec/api.md#routes, sysinfo.chain). */
export interface ChainStatus {
  connected: boolean;
  server: string | null;
  tipHeight: number | null;
  synced: boolean;
  lagBlocks: number | null;
  error: string | null;
  /** How the watched addresses are watched: subscribed, or checked on a schedule past the server's cap. */
  watch?: { subscribed: number; scheduled: number; scheduledEveryS: number | null; subscriptionCap: number | null; sessions: number };
  /** With two or more servers: the witness server, verified blocks we are behind it, recent alerts (witness.ts). */
  crossCheck?: { server: string | null; lagBlocks: number | null; alerts: { kind: string; server: string; message: string; at: number }[] };
  /** Where the header chain stands (src/node/watcher/header-sync.ts): until it is verified nothing gets paid. */
  headers?: { state: 'waiting' | 'anchoring' | 'syncing' | 'verified' | 'refused'; checkpointHeight: number; verifiedHeight: number | null; claimedHeight: number | null; server: string | null; reason: string | null };
}

export type ChainStatusProvider = () => ChainStatus;

/** The parts of the service the system room reads and changes. */
export interface SystemDeps {
  dataDir: string;
  outboxCounts(): OutboxCounts;
  /** Replaces the service's settings (a PATCH). */
  setSettings(next: StoredSettings): void;
  overrides(): Sysinfo['overrides'];
  /** The Electrum servers the chain is watched through. */
  electrumServers(): string[];
  /** The pruning schedule (src/node/retention.ts). */
  maintenance(): Sysinfo['maintenance'];
}

export class SystemRoom {
  private provider: ChainStatusProvider | null = null;
  private readonly settingsListeners = new Set<(changed: ReadonlySet<string>) => void>();

  constructor(
    private readonly s: ServiceCore,
    private readonly deps: SystemDeps,
  ) {}

  /** What sysinfo says of the chain when no watcher runs (no Electrum server configured). */
  readonly disconnected: ChainStatusProvider = () => ({
    connected: false,
    server: null,
    tipHeight: this.s.tipHeight() || null,
    synced: false,
    lagBlocks: null,
    error: null,
  });

  /** Registers the chain status provider; the returned function unregisters it (if it is still the one). */
  provideChainStatus(fn: ChainStatusProvider): () => void {
    this.provider = fn;
    return () => {
      if (this.provider === fn) this.provider = null;
    };
  }

  chainStatus(): ChainStatus {
    return (this.provider ?? this.disconnected)();
  }

  /** Calls `fn` after a settings change, with the top-level keys that changed; returns the function that stops it. */
  onSettingsChange(fn: (changed: ReadonlySet<string>) => void): () => void {
    this.settingsListeners.add(fn);
    return () => {
      this.settingsListeners.delete(fn);
    };
  }

  sysinfo(): Sysinfo {
    const c = this.chainStatus();
    const pool = this.s.pool;
    return {
      version: VERSION,
      network: this.s.network,
      chain: {
        connected: c.connected,
        server: c.server,
        tip_height: c.tipHeight,
        synced: c.synced,
        lag_blocks: c.lagBlocks,
        watch: c.watch
          ? { subscribed: c.watch.subscribed, scheduled: c.watch.scheduled, scheduled_every_s: c.watch.scheduledEveryS, subscription_cap: c.watch.subscriptionCap, sessions: c.watch.sessions }
          : null,
        error: c.error,
        transport_warning: plaintextWarning(this.s.network, this.deps.electrumServers()),
        cross_check: c.crossCheck
          ? {
              server: c.crossCheck.server,
              lag_blocks: c.crossCheck.lagBlocks,
              alerts: c.crossCheck.alerts.map((a) => ({ kind: a.kind, server: a.server, message: a.message, at: new Date(a.at).toISOString() })),
            }
          : null,
        headers: c.headers
          ? {
              state: c.headers.state,
              checkpoint_height: c.headers.checkpointHeight,
              verified_height: c.headers.verifiedHeight,
              claimed_height: c.headers.claimedHeight,
              server: c.headers.server,
              reason: c.headers.reason,
            }
          : null,
      },
      addresses: {
        ...pool.counts(),
        gap: pool.hasWallet() ? pool.gap() : 0,
      },
      accepting_orders: pool.acceptingOrders(),
      outbox: this.deps.outboxCounts(),
      overrides: this.deps.overrides(),
      maintenance: this.deps.maintenance(),
    };
  }

  readonly handlers = {
    health: () => ({ ok: true as const, version: VERSION }),
    sysinfo: () => this.sysinfo(),
    getSettings: () => publicSettings(this.s.settings),
    patchSettings: ({ body }) => {
      const before = this.s.settings;
      const next = applySettingsPatch(this.s.db, before, body, this.s.clock.now());
      this.deps.setSettings(next);
      const changed = new Set((Object.keys(next) as (keyof StoredSettings)[]).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(next[k])));
      if (changed.size) for (const l of [...this.settingsListeners]) l(changed);
      return publicSettings(next);
    },
    backup: async () => ({
      path: await writeBackup(this.s.db, this.deps.dataDir, this.s.clock.now()),
      warning: 'This backup holds your agents\u2019 callback tokens and your xpub: keep it private (it is readable only by you).',
    }),
  } satisfies Partial<Handlers>;
}
