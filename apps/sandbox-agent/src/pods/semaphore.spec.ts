import { Semaphore } from './semaphore';

describe(Semaphore.name, () => {
  it('runs at most `slots` at once, in arrival order, and frees a slot when work fails', async () => {
    const sem = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const gates: (() => void)[] = [];
    const work = (n: number, fail = false) =>
      sem.run(async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(n);
        await new Promise<void>((r) => gates.push(r));
        running--;
        if (fail) throw new Error(`work ${n} failed`);
        return n;
      });
    const failed = work(1, true).catch((err: Error) => err.message);
    const rest = [work(2), work(3), work(4)];
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([1, 2]);
    while (order.length < 4 || gates.length) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await failed).toBe('work 1 failed');
    expect(await Promise.all(rest)).toEqual([2, 3, 4]);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(peak).toBe(2);
  });

  it('lets `first` work ahead of what already waits, in its own arrival order', async () => {
    const sem = new Semaphore(1);
    const order: string[] = [];
    let release!: () => void;
    const blocker = sem.run(() => new Promise<void>((r) => (release = r)));
    const queued = [
      sem.run(async () => void order.push('a')),
      sem.run(async () => void order.push('b')),
      sem.run(async () => void order.push('x'), true),
      sem.run(async () => void order.push('y'), true),
    ];
    release();
    await blocker;
    await Promise.all(queued);
    expect(order).toEqual(['x', 'y', 'a', 'b']);
  });
});
