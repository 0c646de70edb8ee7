/**
 * Header sync: brings our checked header chain to the server's tip and says what that means — new headers, and the
 * fork point when the server's chain left ours (a reorg, or a chain that got shorter). It reads the network and
 * checks headers (the rules are in headers.ts); it writes nothing but the first anchor: the recorder commits the
 * plan it returns. This is the seam where stronger header trust (checkpoints, bounded streaming) slots in.
 */
import { checkProofOfWork, headerHash, parseHeader } from '../../core/chain/index.ts';
import type { NetworkName } from '../../core/network.ts';
import { ElectrumRpcError, GENESIS_HASHES, type ElectrumClient, type HeaderInfo } from '../electrum/index.ts';
import type { DB } from '../store/sqlite.ts';
import { anchorHeight, CHAIN_PARAMS, checkHeader, HeaderCheckError, HeaderStore, type StoredHeader } from './headers.ts';
import { InconsistentTip, ServerMisbehaviour } from './errors.ts';

/** What a tip update changes; committed by the recorder in one write. */
export interface TipPlan {
  /** Highest height shared by our old chain and the server's. */
  fork: number;
  /** Checked headers fork+1.. (empty when the chain only got shorter). */
  checked: StoredHeader[];
  newTip: StoredHeader;
  /** Our tip height before. */
  oldTip: number;
  /** Blocks of ours the server's chain no longer has (fork < oldTip). */
  reorg: boolean;
}

export class HeaderSync {
  readonly store: HeaderStore;

  constructor(
    private readonly db: DB,
    private readonly network: NetworkName,
    private readonly write: <T>(fn: () => T) => T,
    private readonly maxReorgDepth: number,
  ) {
    this.store = new HeaderStore(db);
  }

  tip(): StoredHeader | undefined {
    return this.store.tip();
  }

  private params() {
    return CHAIN_PARAMS[this.network];
  }

  /**
   * The plan that brings our chain to the server's tip `info`, or null when nothing changes. A tip lower than ours
   * is followed back (the server's chain got shorter, or it lags: its headers decide), never ignored.
   */
  async plan(client: ElectrumClient, live: () => boolean, info: HeaderInfo): Promise<TipPlan | null> {
    let local = this.store.tip();
    if (!local) {
      local = await this.anchor(client, info.height);
      if (!live()) return null;
    }
    const infoHash = headerHash(info.hex);
    if (info.height === local.height && infoHash === local.hash) return null;
    const lowest = this.store.lowest() ?? local.height;
    if (info.height < local.height) {
      const ours = this.store.get(info.height);
      if (ours && ours.hash === infoHash) {
        if (local.height - info.height > this.maxReorgDepth) throw new ServerMisbehaviour(`the server's tip ${info.height} is ${local.height - info.height} blocks below ours`);
        return { fork: info.height, checked: [], newTip: ours, oldTip: local.height, reorg: true };
      }
    }
    // Fetch forward from our tip; find the fork point if the first new header does not link.
    let fork = local.height;
    let fetched = info.height > local.height ? await this.fetchHeaders(client, local.height + 1, info.height, info) : [];
    if (!live()) return null;
    const linksToTip = fetched.length > 0 && parseHeader(fetched[0]!).prevHash === local.hash;
    if (!linksToTip) {
      fork = await this.findFork(client, live, Math.min(local.height, info.height), lowest);
      if (!live()) return null;
      fetched = await this.fetchHeaders(client, fork + 1, info.height, info);
      if (!live()) return null;
    }
    const overlay = new Map<number, StoredHeader>();
    const lookup = (h: number): StoredHeader | undefined => overlay.get(h) ?? (h <= fork ? this.store.get(h) : undefined);
    let prev = this.store.get(fork);
    if (!prev) throw new ServerMisbehaviour(`no stored header at fork point ${fork}`);
    const checked: StoredHeader[] = [];
    for (let i = 0; i < fetched.length; i++) {
      const h = checkHeader(this.params(), fork + 1 + i, fetched[i]!, prev, lookup);
      overlay.set(h.height, h);
      checked.push(h);
      prev = h;
    }
    if (info.height > fork && (checked.length === 0 || checked[checked.length - 1]!.hash !== infoHash)) {
      throw new InconsistentTip(`the headers the server sent do not lead to the tip it announced (${info.height})`);
    }
    const newTip = checked.length ? checked[checked.length - 1]! : this.store.get(fork)!;
    return { fork, checked, newTip, oldTip: local.height, reorg: fork < local.height };
  }

  /**
   * The server's view at our tip, for a chain that may have become shorter without a notification (ElectrumX does
   * not announce one): null when the server still has our tip, else the tip to follow.
   */
  async probe(client: ElectrumClient): Promise<HeaderInfo | null> {
    const local = this.store.tip();
    if (!local) return null;
    let hex: string | null;
    try {
      hex = await client.blockHeader(local.height);
    } catch (e) {
      if (!(e instanceof ElectrumRpcError)) throw e;
      hex = null; // "height out of range": the server's chain is shorter than ours
    }
    if (hex !== null && headerHash(hex) === local.hash) return null;
    if (hex !== null) return client.headersSubscribe();
    // Walk down until the server has headers: its highest one is its tip.
    for (let span = 16; ; span *= 4) {
      const start = Math.max(0, local.height - span);
      const r = await client.blockHeaders(start, local.height - start + 1);
      if (r.count > 0) return { height: start + r.count - 1, hex: r.hex.slice((r.count - 1) * 160) };
      if (start === 0) throw new ServerMisbehaviour('the server has no headers at all');
    }
  }

  private async anchor(client: ElectrumClient, tipHeight: number): Promise<StoredHeader> {
    const height = anchorHeight(this.network, tipHeight);
    const hex = await client.blockHeader(height);
    const h = { ...parseHeader(hex), height, hex: hex.toLowerCase() };
    if (height === 0) {
      if (h.hash !== GENESIS_HASHES[this.network]) throw new HeaderCheckError(`genesis header from server hashes to ${h.hash}`);
    } else if (!checkProofOfWork(h, this.params().powLimitBits)) {
      throw new HeaderCheckError(`anchor header ${height} does not meet its target`);
    }
    this.write(() => {
      this.store.insert(h);
      this.db.prepare("INSERT OR REPLACE INTO chain_state (key, value) VALUES ('header_anchor', ?)").run(String(height));
    });
    return h;
  }

  /** Headers start..end (hex), using `info` for the tip itself. */
  private async fetchHeaders(client: ElectrumClient, start: number, end: number, info: HeaderInfo): Promise<string[]> {
    const out: string[] = [];
    let h = start;
    while (h <= end) {
      if (h === end && h === info.height) {
        out.push(info.hex);
        break;
      }
      const count = Math.min(2016, end - h + 1);
      const r = await client.blockHeaders(h, count);
      if (r.count === 0) throw new InconsistentTip(`server returned no headers from ${h} though its tip is ${end}`);
      for (let i = 0; i < r.count; i++) out.push(r.hex.slice(i * 160, (i + 1) * 160));
      h += r.count;
    }
    return out;
  }

  /** Highest height ≤ from where the server's header equals ours. */
  private async findFork(client: ElectrumClient, live: () => boolean, from: number, lowest: number): Promise<number> {
    let top = from;
    let window = 8;
    while (top >= lowest && live()) {
      const start = Math.max(lowest, top - window + 1);
      const r = await client.blockHeaders(start, top - start + 1);
      for (let i = r.count - 1; i >= 0; i--) {
        const height = start + i;
        const ours = this.store.get(height);
        if (ours && headerHash(r.hex.slice(i * 160, (i + 1) * 160)) === ours.hash) return height;
      }
      if (from - start >= this.maxReorgDepth) break;
      top = start - 1;
      window *= 4;
    }
    throw new ServerMisbehaviour(`the server's chain does not share a header with ours in the last ${this.maxReorgDepth} blocks`);
  }
}
