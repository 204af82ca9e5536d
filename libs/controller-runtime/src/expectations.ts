// Upstream's ExpectationsTimeout: a lost watch event must not stall a controller forever.
const EXPIRE_MS = 5 * 60 * 1000;

interface Expected {
  adds: number;
  deletes: Set<string>;
  since: number;
}

/**
 * client-go's ControllerExpectations: after a controller creates or deletes pods it waits to
 * see those changes in its cache before counting again, so a burst of events (or a reconcile
 * that runs before the watch catches up) never creates the same pods twice.
 */
export class ControllerExpectations {
  private readonly byKey = new Map<string, Expected>();

  constructor(private readonly now: () => number = Date.now) {}

  /** True when the key may be reconciled: nothing outstanding, or the wait expired. */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if ((e.adds <= 0 && e.deletes.size === 0) || this.now() - e.since > EXPIRE_MS) {
      this.byKey.delete(key);
      return true;
    }
    return false;
  }

  expectCreations(key: string, n: number): void {
    this.entry(key).adds += n;
  }

  expectDeletions(key: string, uids: readonly string[]): void {
    const e = this.entry(key);
    for (const uid of uids) e.deletes.add(uid);
  }

  /** A create was seen in the cache, or failed (it will never be seen). */
  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.adds--;
  }

  deletionObserved(key: string, uid: string): void {
    this.byKey.get(key)?.deletes.delete(uid);
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }

  clear(): void {
    this.byKey.clear();
  }

  private entry(key: string): Expected {
    let e = this.byKey.get(key);
    if (!e) {
      e = { adds: 0, deletes: new Set(), since: this.now() };
      this.byKey.set(key, e);
    }
    e.since = this.now();
    return e;
  }
}
