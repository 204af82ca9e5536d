import { ReadThroughCache } from './read-through-cache';

describe(ReadThroughCache.name, () => {
  it('shares one read between concurrent and later callers until the TTL ends, and keeps no failure', async () => {
    let now = 0;
    const cache = new ReadThroughCache<string | undefined>(2_000, () => now);
    let reads = 0;
    const load = async (): Promise<string | undefined> => `v${++reads}`;

    expect(await Promise.all([cache.read('a', load), cache.read('a', load)])).toEqual(['v1', 'v1']);
    now = 1_999;
    expect(await cache.read('a', load)).toBe('v1');
    expect(await cache.read('b', load)).toBe('v2');
    now = 2_000;
    expect(await cache.read('a', load)).toBe('v3');

    await expect(cache.read('c', () => Promise.reject(new Error('503')))).rejects.toThrow('503');
    expect(await cache.read('c', load)).toBe('v4');
  });
});
