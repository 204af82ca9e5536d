import { errorMessage } from '@skiff/api-machinery';

/** The SQLSTATE of a Postgres error (TypeORM's QueryFailedError or the driver's own), or ''. */
export function sqlState(err: unknown): string {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | undefined;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : '';
}

// Connection exceptions (08), admin/crash shutdown and "starting up" (57P0x), too many clients (53300).
const UNAVAILABLE_CODE = /^(08|57P0|53300)/;
const UNAVAILABLE_MESSAGE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection terminated|connection timeout|not queryable|Client has encountered a connection error/i;

/** The database is away (or going): the work is tried again once it is back. */
export function isDatabaseUnavailable(err: unknown): boolean {
  return UNAVAILABLE_CODE.test(sqlState(err)) || UNAVAILABLE_MESSAGE.test(errorMessage(err));
}

/** A row was refused for what it holds (data exception, a check): trying the same rows again cannot help. */
export function isDataError(err: unknown): boolean {
  const code = sqlState(err);
  return code.startsWith('22') || (code.startsWith('23') && code !== '23514') || code === '54000';
}

/** No partition holds a row's time (retention dropped it since the writer looked). */
export function isNoPartition(err: unknown): boolean {
  return sqlState(err) === '23514' && /no partition/i.test(errorMessage(err));
}
