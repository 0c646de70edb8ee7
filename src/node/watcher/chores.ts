/**
 * The watcher's timed chores on a connection: re-checking the tip (a chain that got shorter is not always
 * announced: ElectrumX does not), checking the addresses past the server's subscription cap, and slowly sweeping
 * the addresses no longer watched (a payment to a long-settled invoice is still recorded, if late).
 */
export class Chores {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly o: { tipCheckMs: number; overflowCheckMs: number; sweepMs: number; checkTip(): void; checkOverflow(): void; sweep(): void },
  ) {}

  start(): void {
    this.stop();
    if (this.o.tipCheckMs > 0) this.timers.push(setInterval(() => this.o.checkTip(), this.o.tipCheckMs));
    if (this.o.overflowCheckMs > 0) this.timers.push(setInterval(() => this.o.checkOverflow(), this.o.overflowCheckMs));
    if (this.o.sweepMs > 0) this.timers.push(setInterval(() => this.o.sweep(), this.o.sweepMs));
    for (const t of this.timers) t.unref?.();
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }
}
