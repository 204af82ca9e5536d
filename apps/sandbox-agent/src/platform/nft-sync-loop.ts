import { Logger } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 10_000;

/** What a host's nft table syncs from its caches. */
export interface NftSyncTarget {
  /** Writes what is pending; throws when the write failed (it is tried again, with backoff). */
  sync(): Promise<void>;
  /** Something is still to be written. */
  pending(): boolean;
}

/**
 * Runs an nft table's syncs: none before its caches have listed, one at a time (a burst of events becomes one
 * write), again at once while something is pending, and after a failed write with backoff (200 ms doubling to 10 s).
 */
export class NftSyncLoop {
  private ready = false;
  private stopped = false;
  private syncing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private failures = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly target: NftSyncTarget,
    private readonly log: Logger,
    private readonly cachesName: string,
  ) {}

  /** Waits until the caches have listed (asking again after each timeout), then syncs. */
  async start(cachesSynced: () => Promise<void>): Promise<void> {
    while (!this.stopped) {
      try {
        await cachesSynced();
        this.ready = true;
        this.schedule(0);
        return;
      } catch (err) {
        this.log.warn(`${this.cachesName} not listed yet: ${errorMessage(err)}`);
      }
    }
  }

  /** Something changed: sync soon. */
  poke(): void {
    this.schedule(0);
  }

  /** Resolves when nothing is pending or being written. */
  whenSynced(): Promise<void> {
    if (this.ready && !this.syncing && !this.timer && !this.target.pending()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.syncing;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private schedule(delayMs: number): void {
    if (!this.ready || this.stopped || this.timer || this.syncing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.syncing = this.run().finally(() => {
        this.syncing = undefined;
        if (this.target.pending()) this.schedule(this.failures ? this.retryDelay() : 0);
        else for (const w of this.idleWaiters.splice(0)) w();
      });
    }, delayMs);
  }

  private async run(): Promise<void> {
    try {
      await this.target.sync();
      this.failures = 0;
    } catch (err) {
      this.failures++;
      this.log.warn(`nft sync failed (retry ${this.failures} in ${this.retryDelay()} ms): ${errorMessage(err)}`);
    }
  }

  private retryDelay(): number {
    return Math.min(RETRY_MIN_MS * 2 ** (this.failures - 1), RETRY_MAX_MS);
  }
}
