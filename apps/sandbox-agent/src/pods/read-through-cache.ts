/**
 * Reads of one key shared for `ttlMs`: concurrent callers wait for the same read, and later ones within the
 * TTL get its answer. A failed read is not kept. What kubelet's TTL-based ConfigMap/Secret manager does,
 * with a TTL short enough that the periodic volume refresh still sees changes within seconds.
 */
export class ReadThroughCache<T> {
  private readonly entries = new Map<string, { value: Promise<T>; expiresMs: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  read(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.nowMs();
    const hit = this.entries.get(key);
    if (hit && hit.expiresMs > now) return hit.value;
    this.evictExpired(now);
    const value = load();
    const entry = { value, expiresMs: now + this.ttlMs };
    this.entries.set(key, entry);
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }

  private evictExpired(now: number): void {
    for (const [key, e] of this.entries) if (e.expiresMs <= now) this.entries.delete(key);
  }
}
