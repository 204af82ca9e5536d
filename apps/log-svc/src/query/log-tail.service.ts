import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';
import { LogSvcConfig } from '@skiff/config';
import { LogRecord } from '@skiff/messaging';
import { Client } from 'pg';
import { LOG_SVC_CONFIG } from '../platform/config.provider';
import { RECORDS_CHANNEL, RecordsNotice } from '../store/log-record.writer';
import { StoreRow } from '../store/log-stores.repository';
import { LogQueryError } from './log-query.error';
import { logRecordOf, LogRecordReader } from './log-record.reader';
import { QueryNode } from './query-parser';
import { RecordRow, writtenQuery } from './query-sql';

interface Follower {
  store: StoreRow;
  node?: QueryNode;
  deliver: (records: LogRecord[]) => void;
  /** Notices are read one after the other, so a follower sees commits in their order. */
  chain: Promise<void>;
  end: () => void;
}

/**
 * Live tail: every commit of new records is announced on a Postgres channel (by whichever replica wrote them), with
 * its transaction id and the range of records it wrote per store; each follower of a store reads exactly those rows
 * that match its query. One LISTEN connection per replica, opened by the first tail; if it breaks, the tails end (a
 * client follows again, as `kubectl logs -f` would after a dropped stream) and the next tail opens a new one.
 */
@Injectable()
export class LogTailService implements OnApplicationShutdown {
  private readonly log = new Logger('log-tail');
  private readonly followers = new Set<Follower>();
  private listener?: Promise<Client>;

  constructor(
    @Inject(LOG_SVC_CONFIG) private readonly config: LogSvcConfig,
    private readonly reader: LogRecordReader,
  ) {}

  /**
   * Delivers the store's new records that match `node` until `signal` aborts (or the tail breaks). `started` is
   * called once every record committed from then on will be delivered.
   */
  async follow(
    store: StoreRow,
    node: QueryNode | undefined,
    signal: AbortSignal,
    on: { started: () => void; deliver: (records: LogRecord[]) => void },
  ): Promise<void> {
    const listening = this.listen();
    await listening;
    if (this.listener !== listening) throw new LogQueryError('unavailable', 'the live tail connection was lost');
    const follower: Follower = { store, node, deliver: on.deliver, chain: Promise.resolve(), end: () => undefined };
    const ended = new Promise<void>((resolve) => (follower.end = resolve));
    this.followers.add(follower);
    on.started();
    signal.addEventListener('abort', () => follower.end(), { once: true });
    if (signal.aborted) follower.end();
    await ended;
    this.followers.delete(follower);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const f of this.followers) f.end();
    const listener = this.listener;
    this.listener = undefined;
    await listener?.then((c) => c.end()).catch(() => undefined);
  }

  private listen(): Promise<Client> {
    this.listener ??= (async () => {
      const client = new Client({ connectionString: this.config.databaseUrl });
      client.on('notification', (n) => n.payload && this.announce(n.payload));
      client.on('error', (err) => this.broken(client, err));
      client.on('end', () => this.broken(client, new Error('connection ended')));
      try {
        await client.connect();
        await client.query(`LISTEN ${RECORDS_CHANNEL}`);
      } catch (err) {
        this.listener = undefined;
        await client.end().catch(() => undefined);
        throw new LogQueryError('unavailable', `the log store is unavailable: ${errorMessage(err)}`);
      }
      return client;
    })();
    return this.listener;
  }

  private broken(client: Client, err: Error): void {
    void this.listener?.then((current) => {
      if (current !== client) return;
      this.log.warn(`live tail connection lost: ${err.message}; ending ${this.followers.size} tails`);
      this.listener = undefined;
      for (const f of this.followers) f.end();
    });
  }

  private announce(payload: string): void {
    let notice: RecordsNotice;
    try {
      notice = JSON.parse(payload) as RecordsNotice;
    } catch {
      return;
    }
    // Rows carry the 32-bit transaction id (xmin); the notice has the 64-bit one.
    const xid = (BigInt(notice.xid) & 0xffffffffn).toString();
    for (const [storeId, fromSeq, toSeq, fromTime, toTime] of notice.stores) {
      for (const f of this.followers) {
        if (f.store.id !== storeId) continue;
        f.chain = f.chain
          .then(async () => {
            const rows = await this.reader.rows<RecordRow>(
              writtenQuery(storeId, f.node, { xid, fromSeq, toSeq, fromTime, toTime }),
            );
            if (rows.length > 0) f.deliver(rows.map((r) => logRecordOf(r, f.store.name)));
          })
          .catch((err: unknown) => {
            this.log.warn(`live tail of ${f.store.namespace}/${f.store.name}: ${errorMessage(err)}; ending it`);
            f.end();
          });
      }
    }
  }
}
