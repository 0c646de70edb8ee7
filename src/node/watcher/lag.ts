/**
 * lag_blocks: with several servers configured, at most once a minute a short-lived connection to another server
 * compares tips (its tip − ours, floored at 0). With one server there is nothing to compare with: null. The probe
 * opens its connection with the watcher's own transport settings (proxy, IP family): it must never leak around Tor.
 */
import type { NetworkName } from '../../core/network.ts';
import { ElectrumClient, type IpFamily, type ProxyConfig } from '../electrum/index.ts';

export class LagProbe {
  lag: number | null = null;
  private at = 0;

  constructor(
    private readonly o: { servers: string[]; network: NetworkName; family: IpFamily; proxy: ProxyConfig | undefined },
  ) {}

  /** Returns a reason to leave the current server when it is 3 or more blocks behind another one. */
  async probe(ourTip: number, current: string | null): Promise<string | null> {
    const servers = this.o.servers;
    if (servers.length < 2) return null;
    const now = Date.now();
    if (now - this.at < 60_000) return null;
    this.at = now;
    const other = servers.find((s) => !current || !s.startsWith(current.split('#')[0]!)) ?? servers[1]!;
    const probe = new ElectrumClient({
      server: other,
      network: this.o.network,
      family: this.o.family,
      ...(this.o.proxy ? { proxy: this.o.proxy } : {}),
      pingIntervalMs: 0,
      connectTimeoutMs: 10_000,
      onListenerError: () => {},
    });
    try {
      await probe.connect();
      const t = await probe.headersSubscribe();
      this.lag = Math.max(0, t.height - ourTip);
      return this.lag >= 3 ? `server is ${this.lag} blocks behind ${probe.label}` : null;
    } catch {
      return null; // the other server is unreachable: keep the last figure
    } finally {
      await probe.close('lag probe done');
    }
  }
}
