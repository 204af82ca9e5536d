/** Why a query could not be answered; the HTTP edge turns it into a Kubernetes Status. */
export type LogQueryErrorCode = 'invalid' | 'not-found' | 'timeout' | 'unavailable';

export class LogQueryError extends Error {
  constructor(
    readonly code: LogQueryErrorCode,
    message: string,
    /** For not-found: what was not found, as the API names it (`logstores.logs.skiff.io`, `pods`) and its name. */
    readonly subject?: { group: string; resource: string; name: string },
  ) {
    super(message);
    this.name = 'LogQueryError';
  }

  static invalid(message: string): LogQueryError {
    return new LogQueryError('invalid', message);
  }
}
