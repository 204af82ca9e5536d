/** At most `slots` pieces of work at once; the rest wait their turn in order, `first` ones ahead of the others. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** How many of `waiting` (at its front) came with `first`. */
  private firstWaiting = 0;

  constructor(private readonly slots: number) {}

  async run<T>(fn: () => Promise<T>, first = false): Promise<T> {
    if (this.active >= this.slots) {
      await new Promise<void>((resolve) => {
        if (!first) return void this.waiting.push(resolve);
        this.waiting.splice(this.firstWaiting++, 0, resolve);
      });
    } else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (this.firstWaiting > 0) this.firstWaiting--;
      if (next) next();
      else this.active--;
    }
  }
}
