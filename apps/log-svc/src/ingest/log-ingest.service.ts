import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Clock, errorMessage } from '@skiff/api-machinery';
import { LogSvcConfig } from '@skiff/config';
import { ensureLogStream, logStreamNames, LogStreamNames, LogStoreSettings } from '@skiff/messaging';
import { AckPolicy, ConsumerMessages, DeliverPolicy, JsMsg, NatsConnection, nanos } from 'nats';
import { LogstoreObjects } from '../logstores/logstore-objects';
import { LOG_SVC_CONFIG } from '../platform/config.provider';
import { IngestRecord } from '../store/ingest-record';
import { LogRecordWriter } from '../store/log-record.writer';
import { isDatabaseUnavailable, isDataError } from '../store/pg-errors';
import { IngestBatch, MalformedBatchError, parseLogBatch } from './log-batch';
import { NATS_CONNECTION } from './nats.provider';

/** Writers, each a transaction at a time: a host's batches always go to the same one, so they commit in order. */
const WRITERS = 2;
/** Batches taken together into one transaction (group commit) while the writer was busy, up to this many records. */
const MAX_RECORDS_PER_WRITE = 20_000;
/** Messages the consumer asks JetStream for at a time. */
const PULL_BATCH = 256;
/** Records the consumer holds for the writers before it stops taking more. */
const MAX_HELD_RECORDS = 100_000;
const ACK_WAIT_MS = 30_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;
/** A batch that kept failing for reasons other than the database being away is given back to the stream this late. */
const GIVE_BACK_AFTER_ATTEMPTS = 5;

interface Held {
  msg: JsMsg;
  batch: IngestBatch;
}

/**
 * log-svc's durable pull consumer on the log stream (its replicas share it): each message is a LogBatch; its records
 * are written in a transaction and the message is acknowledged only after the commit. A message that is not a batch
 * is taken off the stream (term) and logged. While Postgres is away the writers hold their batches and try again
 * (telling JetStream they are still working on them); NATS outages are the client's to ride out (it reconnects and
 * the consumer resumes where the acks left it).
 */
@Injectable()
export class LogIngestService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('log-ingest');
  private readonly names: LogStreamNames;
  private readonly queues: Held[][] = Array.from({ length: WRITERS }, () => []);
  private readonly wakeWriter: (() => void)[] = [];
  private readonly spaceWaiters: (() => void)[] = [];
  private messages?: ConsumerMessages;
  private stopped = false;
  private running: Promise<void>[] = [];
  private lastProblem = '';

  constructor(
    @Inject(LOG_SVC_CONFIG) private readonly config: LogSvcConfig,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly writer: LogRecordWriter,
    private readonly objects: LogstoreObjects,
    private readonly clock: Clock,
  ) {
    this.names = logStreamNames(config.natsPrefix);
  }

  onApplicationBootstrap(): void {
    this.running = [this.consume(), ...this.queues.map((_, i) => this.runWriter(i))];
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.messages?.close();
    for (const wake of [...this.wakeWriter, ...this.spaceWaiters]) wake();
    await Promise.all(this.running);
    // Batches not yet written go back at once, to another replica or to this one's successor.
    for (const q of this.queues) for (const h of q.splice(0)) h.msg.nak();
    await this.nc.drain().catch(() => undefined);
  }

  private async consume(): Promise<void> {
    while (!this.stopped) {
      try {
        const jsm = await this.nc.jetstreamManager();
        await ensureLogStream(jsm, this.names, this.config.streamMaxBytes);
        await jsm.consumers.info(this.names.stream, this.names.durable).catch(async (err: unknown) => {
          if (!/consumer not found/i.test(errorMessage(err))) throw err;
          await jsm.consumers.add(this.names.stream, {
            durable_name: this.names.durable,
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All,
            ack_wait: nanos(ACK_WAIT_MS),
            max_ack_pending: PULL_BATCH * 8,
          });
        });
        const consumer = await this.nc.jetstream().consumers.get(this.names.stream, this.names.durable);
        this.messages = await consumer.consume({ max_messages: PULL_BATCH });
        if (this.stopped) await this.messages.close();
        this.problemCleared('consuming the log stream');
        for await (const msg of this.messages) {
          this.take(msg);
          while (this.heldRecords() >= MAX_HELD_RECORDS && !this.stopped)
            await new Promise<void>((r) => this.spaceWaiters.push(r));
        }
      } catch (err) {
        this.problem(`log stream consumer: ${errorMessage(err)}`);
      }
      if (!this.stopped) await this.clock.sleep(RETRY_MIN_MS * 4);
    }
  }

  private take(msg: JsMsg): void {
    let batch: IngestBatch;
    try {
      batch = parseLogBatch(msg.data, this.clock.nowMs());
    } catch (err) {
      if (!(err instanceof MalformedBatchError)) throw err;
      this.log.warn(`dropping message ${msg.seq} on ${msg.subject}: ${err.message}`);
      // Without a reason: servers before NATS 2.10 ignore a TERM that carries one.
      msg.term();
      return;
    }
    if (batch.rejected > 0)
      this.log.warn(
        `message ${msg.seq} on ${msg.subject}: left out ${batch.rejected} records that break the contract: ${batch.reasons.join('; ')}`,
      );
    const i = writerOf(msg.subject);
    this.queues[i].push({ msg, batch });
    this.wakeWriter[i]?.();
  }

  private heldRecords(): number {
    let n = 0;
    for (const q of this.queues) for (const h of q) n += h.batch.records.length;
    return n;
  }

  private async runWriter(i: number): Promise<void> {
    const queue = this.queues[i];
    while (!this.stopped) {
      if (queue.length === 0) {
        await new Promise<void>((r) => (this.wakeWriter[i] = r));
        continue;
      }
      const group: Held[] = [];
      let records = 0;
      while (
        queue.length > 0 &&
        (group.length === 0 || records + queue[0].batch.records.length <= MAX_RECORDS_PER_WRITE)
      ) {
        const next = queue.shift()!;
        group.push(next);
        records += next.batch.records.length;
      }
      await this.commit(group);
      for (const wake of this.spaceWaiters.splice(0)) wake();
    }
  }

  /** Writes a group in one transaction and then acknowledges it; a row Postgres refuses is looked for batch by batch. */
  private async commit(group: Held[]): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        const outcome = await this.writer.write(...merged(group));
        for (const h of group) h.msg.ack();
        this.problemCleared('writing log records');
        if (outcome.created.length > 0) this.objects.createSoon(outcome.created);
        return;
      } catch (err) {
        const refused = isDataError(err);
        if (refused || (!isDatabaseUnavailable(err) && attempt >= GIVE_BACK_AFTER_ATTEMPTS)) {
          if (group.length === 1) this.giveUp(group[0], err);
          else for (const h of group) await this.commit([h]);
          return;
        }
        this.problem(`writing log records: ${errorMessage(err)}; trying again`);
        for (const h of group) h.msg.working();
        await this.clock.sleep(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt, 10)));
      }
    }
  }

  /** A batch Postgres refuses is dropped; one that failed otherwise goes back to the stream for later. */
  private giveUp(h: Held, err: unknown): void {
    if (isDataError(err)) {
      this.log.error(`dropping message ${h.msg.seq} on ${h.msg.subject}: Postgres refuses it: ${errorMessage(err)}`);
      h.msg.term();
    } else {
      this.log.error(`message ${h.msg.seq} on ${h.msg.subject} failed: ${errorMessage(err)}; redelivered later`);
      h.msg.nak(RETRY_MAX_MS);
    }
  }

  // Said once per kind of trouble, not once per retry.
  private problem(message: string): void {
    if (message !== this.lastProblem) this.log.warn(message);
    this.lastProblem = message;
  }

  private problemCleared(what: string): void {
    if (this.lastProblem !== '') this.log.log(`${what} again`);
    this.lastProblem = '';
  }
}

function merged(group: Held[]): [LogStoreSettings[], IngestRecord[]] {
  const stores = new Map<string, LogStoreSettings>();
  const records: IngestRecord[] = [];
  for (const { batch } of group) {
    for (const [k, s] of batch.stores) if (!stores.has(k)) stores.set(k, s);
    for (const r of batch.records) records.push(r);
  }
  return [[...stores.values()], records];
}

function writerOf(subject: string): number {
  let h = 0;
  for (let i = 0; i < subject.length; i++) h = (h * 31 + subject.charCodeAt(i)) >>> 0;
  return h % WRITERS;
}
