// log-svc's private tables: logstores, the streams of records in them, and the records (partitioned by day). Only
// log-svc (and the migration runner) may import this lib.
import { LogStore1766000000000 } from './1766000000000-log-store';

export const LOG_MIGRATIONS = [LogStore1766000000000];
