import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ApiGatewayConfig } from '@skiff/config';
import {
  ChangeEvent,
  changeSubject,
  ChangesStreamNames,
  changesStreamNames,
  ensureChangesStream,
} from '@skiff/messaging';
import { JetStreamClient, NatsConnection } from 'nats';
import { Client } from 'pg';
import { GATEWAY_CONFIG } from '../platform/config.provider';
import { NATS_CONNECTION } from '../platform/nats.provider';
import { CHANGES_CHANNEL } from './object-store.repository';
import { errorMessage } from '@skiff/api-machinery';
import { StoredBody } from '@skiff/api-server';

// Any number 1..2^63: one advisory lock id per cluster elects the single relay.
const RELAY_LOCK_ID = 7_514_521;
const BATCH = 500;

interface ChangeRow {
  resource_version: string;
  type: ChangeEvent['type'];
  api_group: string;
  resource: string;
  namespace: string;
  name: string;
  body: StoredBody;
  prev_body: StoredBody | null;
}

/**
 * Publishes committed changes from the Postgres outbox to JetStream in resourceVersion order.
 * One gateway holds the advisory lock and relays; the others stand by. A crash between
 * commit and publish loses nothing: the next relay resumes from the stream's last message,
 * and JetStream drops duplicates by message id (the resourceVersion).
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(OutboxRelayService.name);
  private client?: Client;
  private stopped = false;
  private leader = false;
  private cursor = 0;
  private wake?: () => void;
  private pendingWake = false;
  private loop?: Promise<void>;

  private readonly names: ChangesStreamNames;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
  ) {
    this.names = changesStreamNames(config.natsPrefix);
  }

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  isLeader(): boolean {
    return this.leader;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.connect();
        if (await this.tryLead()) {
          await this.relay();
        } else {
          await this.sleep(2000);
        }
      } catch (err) {
        this.log.warn(`outbox relay: ${errorMessage(err)}; retrying`);
        this.leader = false;
        await this.disconnect();
        await this.sleep(1000);
      }
    }
    await this.disconnect();
  }

  private async connect(): Promise<void> {
    if (this.client) return;
    const client = new Client({ connectionString: this.config.databaseUrl });
    client.on('error', (err) => this.log.warn(`outbox relay connection: ${err.message}`));
    client.on('notification', () => this.notify());
    client.on('end', () => {
      if (this.client === client) this.client = undefined;
      this.leader = false;
      this.notify();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    this.client = client;
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  private async tryLead(): Promise<boolean> {
    const res = await this.client!.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      RELAY_LOCK_ID,
    ]);
    this.leader = res.rows[0].locked;
    if (this.leader) this.log.log('outbox relay: leading');
    return this.leader;
  }

  private async relay(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    await ensureChangesStream(jsm, this.names, this.config.streamMaxMsgs);
    const js = this.nc.jetstream();
    this.cursor = await this.startCursor();
    let lastPrune = 0;
    while (!this.stopped && this.client && this.leader) {
      const published = await this.drain(js);
      if (Date.now() - lastPrune > 60_000) {
        lastPrune = Date.now();
        await this.client.query('DELETE FROM object_changes WHERE resource_version <= $1', [
          this.cursor - this.config.historyKeep,
        ]);
      }
      if (published < BATCH) await this.waitForNotify(1000);
    }
  }

  // Resume after the last event the stream holds; an empty stream is refilled from history.
  private async startCursor(): Promise<number> {
    const jsm = await this.nc.jetstreamManager();
    const info = await jsm.streams.info(this.names.stream);
    if (info.state.last_seq > 0 && info.state.messages > 0) {
      const last = await jsm.streams.getMessage(this.names.stream, { seq: info.state.last_seq });
      const rv = Number(last.header.get('Nats-Msg-Id'));
      if (Number.isFinite(rv) && rv > 0) return rv;
    }
    const res = await this.client!.query<{ min: string | null }>(
      'SELECT min(resource_version) AS min FROM object_changes',
    );
    return res.rows[0].min === null ? 0 : Number(res.rows[0].min) - 1;
  }

  private async drain(js: JetStreamClient): Promise<number> {
    const res = await this.client!.query<ChangeRow>(
      'SELECT resource_version, type, api_group, resource, namespace, name, body, prev_body FROM object_changes WHERE resource_version > $1 ORDER BY resource_version LIMIT $2',
      [this.cursor, BATCH],
    );
    if (res.rows.length === 0) return 0;
    // One connection keeps publish order; acks are awaited together.
    const acks = res.rows.map((row) => {
      // Published as stored: encrypted bodies stay encrypted on the stream (JetStream keeps them on disk).
      const event: ChangeEvent<StoredBody> = {
        rv: Number(row.resource_version),
        type: row.type,
        group: row.api_group,
        resource: row.resource,
        namespace: row.namespace,
        name: row.name,
        object: row.body,
        ...(row.prev_body ? { prev: row.prev_body } : {}),
      };
      return js.publish(changeSubject(this.names, row.api_group, row.resource), JSON.stringify(event), {
        msgID: row.resource_version,
      });
    });
    await Promise.all(acks);
    this.cursor = Number(res.rows[res.rows.length - 1].resource_version);
    return res.rows.length;
  }

  private notify(): void {
    this.pendingWake = true;
    this.wake?.();
  }

  private waitForNotify(ms: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        this.pendingWake = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private sleep(ms: number): Promise<void> {
    return this.waitForNotify(ms);
  }
}
