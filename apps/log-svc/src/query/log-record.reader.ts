import { Inject, Injectable } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';
import { LogSource, LogRecord } from '@skiff/messaging';
import { DATA_SOURCE } from '@skiff/persistence';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable, sqlState } from '../store/pg-errors';
import { recordTimeText } from '../store/record-time';
import { LogQueryError } from './log-query.error';
import { RecordRow, Sql } from './query-sql';

/** A query that runs longer is cancelled (and answered with a timeout), so one search cannot hold the database. */
const STATEMENT_TIMEOUT = '30s';

/** Runs the query endpoint's statements, each bounded in time; failures come out in the query module's terms. */
@Injectable()
export class LogRecordReader {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  async rows<T>(sql: Sql): Promise<T[]> {
    try {
      return await this.ds.transaction(async (m) => {
        await m.query(`SET LOCAL statement_timeout = '${STATEMENT_TIMEOUT}'`);
        return (await m.query(sql.text, sql.params)) as T[];
      });
    } catch (err) {
      if (sqlState(err) === '57014')
        throw new LogQueryError('timeout', `the query ran longer than ${STATEMENT_TIMEOUT}; narrow its time window`);
      if (isDatabaseUnavailable(err))
        throw new LogQueryError('unavailable', `the log store is unavailable: ${errorMessage(err)}`);
      throw err;
    }
  }
}

/** A stored record as the API shows it: the shape agents send (LogRecord). */
export function logRecordOf(row: RecordRow, logstore: string): LogRecord {
  return {
    id: row.id,
    time: recordTimeText(row.time, row.nanos),
    namespace: row.namespace,
    pod: row.pod,
    podUid: row.pod_uid,
    container: row.container,
    host: row.host,
    source: row.source as LogSource,
    logstore,
    tags: row.tags,
    line: row.line,
    ...(row.piece_index !== null ? { piece: { index: row.piece_index, last: row.piece_last === true } } : {}),
  };
}
