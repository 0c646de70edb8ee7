/**
 * The watcher's timed chores on a connection: re-checking the tip (a chain that got shorter is not always
 * announced: ElectrumX does not) and checking the addresses past the server's subscription cap.
 */
export class Chores {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly o: { tipCheckMs: number; overflowCheckMs: number; checkTip(): void; checkOverflow(): void },
  ) {}

  start(): void {
    this.stop();
    if (this.o.tipCheckMs > 0) this.timers.push(setInterval(() => this.o.checkTip(), this.o.tipCheckMs));
    if (this.o.overflowCheckMs > 0) this.timers.push(setInterval(() => this.o.checkOverflow(), this.o.overflowCheckMs));
    for (const t of this.timers) t.unref?.();
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }
}
