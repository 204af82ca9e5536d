import { crashBackoff, inBackoff, pullBackoff } from './restart-backoff';

describe('restart back-off', () => {
  it('CrashLoopBackOff: restarts at once, then waits 10 s, 20 s, 40 s … capped at 5 min', () => {
    let s = crashBackoff(undefined, 1_000, 100);
    expect(s.retryAt).toBe(1_000);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      s = crashBackoff(s, 0, 100);
      delays.push(s.retryAt);
    }
    expect(delays).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
    expect(inBackoff(s, 299_999)).toBe(true);
    expect(inBackoff(s, 300_000)).toBe(false);
  });

  it('forgets the back-off after 10 minutes of running', () => {
    const long = crashBackoff(crashBackoff(crashBackoff(undefined, 0, 0), 0, 0), 5_000, 600_000);
    expect(long).toEqual({ nextDelayMs: 10_000, retryAt: 5_000, delayMs: 0 });
  });

  it('ImagePullBackOff: 10 s after the first failure, doubling to 5 min', () => {
    let s = pullBackoff(undefined, 0);
    const waits = [s.delayMs];
    for (let i = 0; i < 7; i++) waits.push((s = pullBackoff(s, 0)).delayMs);
    expect(waits).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });
});
