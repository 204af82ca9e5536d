import { ensureLogStream, LogStreamNames, logStreamNames } from '@skiff/messaging';
import { JetStreamClient, NatsConnection } from 'nats';

/** Where sealed batches go: JetStream in the agent, something that fails at will in specs. */
export interface LogBatchPublisher {
  /** Creates the log stream when it is missing. */
  ensureStream(): Promise<void>;
  /** Resolves once the stream has stored the batch (or already had its id). */
  publish(id: string, payload: Uint8Array): Promise<void>;
  /** The largest message the server takes. */
  maxPayload(): number;
}

/** Publishes on `<subjectPrefix>.<hostId>` of the log stream, with the batch id as Nats-Msg-Id. */
export class JetStreamLogPublisher implements LogBatchPublisher {
  private readonly names: LogStreamNames;
  private readonly subject: string;
  private js?: JetStreamClient;

  constructor(
    private readonly nc: NatsConnection,
    natsPrefix: string,
    hostId: string,
    private readonly streamMaxBytes: number,
    private readonly timeoutMs = 5_000,
  ) {
    this.names = logStreamNames(natsPrefix);
    this.subject = `${this.names.subjectPrefix}.${hostId}`;
  }

  async ensureStream(): Promise<void> {
    await ensureLogStream(await this.nc.jetstreamManager({ timeout: this.timeoutMs }), this.names, this.streamMaxBytes);
  }

  async publish(id: string, payload: Uint8Array): Promise<void> {
    this.js ??= this.nc.jetstream({ timeout: this.timeoutMs });
    await this.js.publish(this.subject, payload, { msgID: id, timeout: this.timeoutMs });
  }

  maxPayload(): number {
    return this.nc.info?.max_payload ?? 1 << 20;
  }
}
