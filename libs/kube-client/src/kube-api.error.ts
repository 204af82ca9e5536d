import { isJsonObject, StatusDetails } from '@skiff/api-machinery';

// The reason a server without a Status body most likely meant, as client-go's reasonForCode.
const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** A failure answered by the Kubernetes API: the `Status` body's code, reason, message and details. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }

  /** Builds the error from an HTTP status and its (parsed or raw) body. */
  static fromResponse(httpCode: number, body: unknown): KubeApiError {
    if (isJsonObject(body) && body.kind === 'Status') {
      const code = typeof body.code === 'number' ? body.code : httpCode;
      const reason =
        typeof body.reason === 'string' && body.reason !== '' ? body.reason : (REASON_BY_CODE[code] ?? 'Unknown');
      const message = typeof body.message === 'string' ? body.message : `the server responded with ${code}`;
      const details = isJsonObject(body.details) ? (body.details as StatusDetails) : undefined;
      return new KubeApiError(code, reason, message, details);
    }
    const text = typeof body === 'string' ? body.trim().slice(0, 500) : '';
    return new KubeApiError(
      httpCode,
      REASON_BY_CODE[httpCode] ?? 'Unknown',
      text || `the server responded with ${httpCode}`,
    );
  }
}

function hasReason(err: unknown, reason: string, code: number): boolean {
  return err instanceof KubeApiError && (err.reason === reason || (err.reason === 'Unknown' && err.code === code));
}

export function isKubeApiError(err: unknown): err is KubeApiError {
  return err instanceof KubeApiError;
}

export function isNotFound(err: unknown): boolean {
  return hasReason(err, 'NotFound', 404);
}

/** 409 Conflict: a stale resourceVersion (optimistic concurrency); re-read and retry. */
export function isConflict(err: unknown): boolean {
  return hasReason(err, 'Conflict', 409);
}

export function isAlreadyExists(err: unknown): boolean {
  return hasReason(err, 'AlreadyExists', 409);
}

/** 410: the resourceVersion asked for is older than the server's history (`Expired` or `Gone`). */
export function isExpired(err: unknown): boolean {
  return err instanceof KubeApiError && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone');
}

export function isInvalid(err: unknown): boolean {
  return hasReason(err, 'Invalid', 422);
}

/** For `.catch(ignoreNotFound)`: a 404 becomes undefined, anything else is thrown again. */
export function ignoreNotFound(err: unknown): undefined {
  if (!isNotFound(err)) throw err;
  return undefined;
}

/** For `.catch(ignoreAlreadyExists)`: a 409 AlreadyExists becomes undefined, anything else is thrown again. */
export function ignoreAlreadyExists(err: unknown): undefined {
  if (!isAlreadyExists(err)) throw err;
  return undefined;
}
