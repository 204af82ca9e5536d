import { WorkQueue } from './work-queue';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe(WorkQueue.name, () => {
  it('coalesces a key queued many times and re-runs one that changed while active', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue('test', async (key) => {
      seen.push(key);
      if (seen.length === 1) await gate;
    });
    q.add('a');
    q.add('a'); // active now: marked dirty
    q.add('a');
    release();
    await tick(10);
    expect(seen).toEqual(['a', 'a']);
    q.stop();
  });

  it('retries failures with backoff', async () => {
    let calls = 0;
    const q = new WorkQueue('test', async () => {
      calls++;
      if (calls < 3) throw new Error('not yet');
    });
    q.add('k');
    await tick(900);
    expect(calls).toBe(3);
    q.stop();
  });

  it('keeps the earliest of several delayed looks at a key', async () => {
    const seen: string[] = [];
    const q = new WorkQueue('test', async (key) => void seen.push(key));
    q.addAfter('k', 10_000);
    q.addAfter('k', 20);
    q.addAfter('k', 5_000);
    await tick(100);
    expect(seen).toEqual(['k']);
    await q.stop();
  });

  it('stops taking work and resolves stop() once the running reconcile finished', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: string[] = [];
    const q = new WorkQueue('test', async (key) => {
      seen.push(key);
      await gate;
    });
    q.add('a');
    q.add('b');
    await tick(5);
    let stopped = false;
    const stopping = q.stop().then(() => (stopped = true));
    q.add('c');
    await tick(5);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(seen).toEqual(['a', 'b']);
  });
});
