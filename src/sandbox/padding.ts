/**
 * ElectrumX's traffic-analysis padding, as the sandbox's ElectrumX profile rehearses it (ElectrumX 1.18 and later;
 * 1.20.0 `src/electrumx/server/transport.py`, `PaddedRSTransport`): after a session's first `warmupBytes`, what it
 * writes is queued and goes out only once `minBytes` have queued up or `waitMs` after its previous write. So a small
 * answer or notification can wait up to a second. (ElectrumX also pads each write with spaces to a power of two, and
 * when padding to the next power of two would waste more than padding to half of it, it sends only the lines that
 * fit the half and keeps the rest — a large answer queued behind held notifications then waits for the timer too.
 * The sandbox leaves both out: it rehearses the hold, not that deferral; `TrickleFlush` in
 * src/node/electrum/padding.ts handles both, proven against a scripted peer and the real ElectrumX.)
 */
export interface PaddingProfile {
  minBytes: number;
  waitMs: number;
  warmupBytes: number;
}

/** ElectrumX 1.20.0's numbers: MIN_PACKET_SIZE 1024, WAIT_FOR_BUFFER_GROWTH_SECONDS 1.0, WARMUP_BUDGET_SIZE 1024. */
export const ELECTRUMX_PADDING: PaddingProfile = { minBytes: 1024, waitMs: 1000, warmupBytes: 1024 };

/** Why queued lines went out: the warm-up budget, enough bytes, a quiet session, or the timer after the wait. */
export interface PaddingStats {
  warmup: number;
  bySize: number;
  idle: number;
  byTimer: number;
}

export class PaddedWriter {
  private queue: string[] = [];
  private bytes = 0;
  private sent = 0;
  private lastWrite = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly p: PaddingProfile,
    private readonly out: (data: string) => void,
    private readonly stats: PaddingStats,
  ) {}

  write(data: string): void {
    this.queue.push(data);
    this.bytes += Buffer.byteLength(data);
    this.consume(false);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private consume(fromTimer: boolean): void {
    if (!this.bytes) return;
    const now = Date.now();
    const why: keyof PaddingStats | null =
      this.sent < this.p.warmupBytes ? 'warmup'
      : this.bytes >= this.p.minBytes ? 'bySize'
      : now - this.lastWrite >= this.p.waitMs ? (fromTimer ? 'byTimer' : 'idle')
      : null;
    if (!why) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.consume(true);
      }, this.lastWrite + this.p.waitMs - now);
      this.timer.unref?.();
      return;
    }
    this.stats[why]++;
    this.out(this.queue.join(''));
    this.sent += this.bytes;
    this.queue = [];
    this.bytes = 0;
    this.lastWrite = now;
  }
}
