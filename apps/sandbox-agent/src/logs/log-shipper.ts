import { Logger } from '@nestjs/common';
import { Clock, errorMessage } from '@skiff/api-machinery';
import { InterruptibleSleep } from '@skiff/controller-runtime';
import { BatchMeta, SealedBatch } from './log-batcher';
import { LogBatchPublisher } from './log-batch.publisher';
import { LogSpool } from './log-spool';

/** What becomes of batches: delivered (JetStream has them), or dropped by a full spool. */
export interface ShipmentListener {
  delivered(meta: BatchMeta): void;
  dropped(metas: BatchMeta[]): void;
}

export interface ShipperOptions {
  /** Waits between publish attempts while JetStream does not answer: from the first to the last, doubling. */
  retryMinMs: number;
  retryMaxMs: number;
}

/**
 * Publishes sealed batches one at a time, in order. When a publish fails it keeps trying the same batch, and the
 * batches behind it go to the on-disk spool (so reading never waits on log-svc); the spool is emptied oldest first
 * before anything newer is sent.
 */
export class LogShipper {
  private readonly log = new Logger(LogShipper.name);
  private readonly queue: { seq: number; batch: SealedBatch }[] = [];
  private submitted = 0;
  /** Every batch submitted up to here is delivered or spooled. */
  private settledSeq = 0;
  private readonly waiters: { seq: number; resolve: () => void }[] = [];
  private readonly roomWaiters: { n: number; resolve: () => void }[] = [];
  private away = false;
  private retryAt = 0;
  private retryMs: number;
  private streamReady = false;
  private readonly nap = new InterruptibleSleep();
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly publisher: LogBatchPublisher,
    private readonly spool: LogSpool,
    private readonly listener: ShipmentListener,
    private readonly clock: Clock,
    private readonly options: ShipperOptions,
  ) {
    this.retryMs = options.retryMinMs;
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Stops after the publish under way; batches still in memory are read again by the next run. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.nap.wake();
    // Whoever waits for room reads on and finds the collector stopped.
    for (const w of this.roomWaiters.splice(0)) w.resolve();
    await this.running;
  }

  submit(batch: SealedBatch): void {
    this.queue.push({ seq: ++this.submitted, batch });
    this.nap.wake();
  }

  /** Batches in memory, neither delivered nor spooled: the collector stops reading while there are many. */
  get backlog(): number {
    return this.queue.length;
  }

  /** True while publishing fails (batches go to the spool). */
  get unreachable(): boolean {
    return this.away;
  }

  /** Resolves once every batch submitted so far is delivered or in the spool. */
  settled(): Promise<void> {
    const seq = this.submitted;
    if (this.settledSeq >= seq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /** Resolves when the backlog is under `n`. */
  below(n: number): Promise<void> {
    if (this.queue.length < n) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push({ n, resolve }));
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.away && this.queue.length) await this.spill();
      const spooled = this.spool.oldest();
      const next = spooled ? undefined : this.queue[0];
      if (!spooled && !next) {
        await this.nap.sleep(1_000);
        continue;
      }
      const wait = this.retryAt - this.clock.nowMs();
      if (this.away && wait > 0) {
        await this.nap.sleep(wait);
        continue;
      }
      let batch: SealedBatch;
      if (spooled) {
        try {
          batch = { meta: spooled.meta, payload: await this.spool.payload(spooled) };
        } catch (err) {
          this.log.warn(`log spool: batch ${spooled.meta.id} unreadable, dropped: ${errorMessage(err)}`);
          await this.spool.remove(spooled);
          this.listener.dropped([spooled.meta]);
          continue;
        }
      } else batch = next!.batch;
      this.spool.pin(spooled);
      try {
        if (!this.streamReady) await this.publisher.ensureStream();
        this.streamReady = true;
        await this.publisher.publish(batch.meta.id, batch.payload);
      } catch (err) {
        if (!this.away)
          this.log.warn(`publishing logs: ${errorMessage(err)}; batches are spooled on disk until JetStream answers`);
        this.away = true;
        this.streamReady = false;
        this.retryAt = this.clock.nowMs() + this.retryMs;
        this.retryMs = Math.min(this.retryMs * 2, this.options.retryMaxMs);
        continue;
      } finally {
        this.spool.pin(undefined);
      }
      if (spooled) await this.spool.remove(spooled);
      else this.settle(this.queue.shift()!.seq);
      if (this.away) this.log.log(`publishing logs works again (${this.spool.length} batches spooled)`);
      this.away = false;
      this.retryMs = this.options.retryMinMs;
      this.listener.delivered(batch.meta);
    }
  }

  // In order: a batch the spool cannot take is dropped and reported like one it dropped to make room.
  private async spill(): Promise<void> {
    while (this.queue.length) {
      const { seq, batch } = this.queue[0];
      let dropped: BatchMeta[];
      try {
        dropped = await this.spool.append(batch);
      } catch (err) {
        this.log.warn(`log spool: cannot write batch ${batch.meta.id}, dropped: ${errorMessage(err)}`);
        dropped = [batch.meta];
      }
      this.queue.shift();
      this.settle(seq);
      if (dropped.length) this.listener.dropped(dropped);
    }
  }

  // The head of the queue was delivered or spooled.
  private settle(seq: number): void {
    this.settledSeq = seq;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].seq <= seq) this.waiters.splice(i, 1)[0].resolve();
    }
    for (let i = this.roomWaiters.length - 1; i >= 0; i--) {
      if (this.queue.length < this.roomWaiters[i].n) this.roomWaiters.splice(i, 1)[0].resolve();
    }
  }
}
