// Kubernetes `Status` failures. Domain code throws ApiError; only the HTTP edge serialises it.
import { errorMessage } from './errors';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Timeout'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** What identifies the resource an error is about: `details.group` and `details.kind` (the resource plural, as upstream). */
export interface ErrorSubject {
  group: string;
  resource: string;
  name?: string;
}

function qualified(s: ErrorSubject): string {
  return s.group ? `${s.resource}.${s.group}` : s.resource;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }

  static badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  }
  static unauthorized(message = 'Unauthorized'): ApiError {
    return new ApiError(401, 'Unauthorized', message);
  }
  static forbidden(s: ErrorSubject, message: string): ApiError {
    const name = s.name ? ` "${s.name}"` : '';
    return new ApiError(403, 'Forbidden', `${qualified(s)}${name} is forbidden: ${message}`, {
      name: s.name,
      group: s.group,
      kind: s.resource,
    });
  }
  static notFound(s: ErrorSubject): ApiError {
    return new ApiError(404, 'NotFound', `${qualified(s)} "${s.name}" not found`, {
      name: s.name,
      group: s.group,
      kind: s.resource,
    });
  }
  static pathNotFound(path: string): ApiError {
    return new ApiError(404, 'NotFound', `the server could not find the requested resource (${path})`);
  }
  static alreadyExists(s: ErrorSubject): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualified(s)} "${s.name}" already exists`, {
      name: s.name,
      group: s.group,
      kind: s.resource,
    });
  }
  static conflict(s: ErrorSubject, message: string, causes?: StatusCause[]): ApiError {
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(s)} "${s.name}": ${message}`, {
      name: s.name,
      group: s.group,
      kind: s.resource,
      ...(causes ? { causes } : {}),
    });
  }
  /** 422: `kind` is the object's Kind (e.g. "Deployment"), as kubectl rebuilds the message from it. */
  static invalid(group: string, kind: string, name: string, causes: StatusCause[]): ApiError {
    const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : (c.message ?? ''))).join(', ');
    const list = causes.length > 1 ? `[${summary}]` : summary;
    return new ApiError(422, 'Invalid', `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${list}`, {
      name,
      group,
      kind,
      causes,
    });
  }
  static methodNotAllowed(message: string): ApiError {
    return new ApiError(405, 'MethodNotAllowed', message);
  }
  /** A verb the resource does not serve (watch on metrics.k8s.io), as the handler's NewMethodNotSupported. */
  static methodNotSupported(s: ErrorSubject, action: string): ApiError {
    return new ApiError(405, 'MethodNotAllowed', `${action} is not supported on resources of kind "${qualified(s)}"`, {
      group: s.group,
      kind: s.resource,
    });
  }
  static notAcceptable(message: string): ApiError {
    return new ApiError(406, 'NotAcceptable', message);
  }
  static unsupportedMediaType(contentType: string): ApiError {
    return new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml (got ${contentType || 'none'})`,
    );
  }
  static tooLarge(limitBytes: number): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limitBytes}`);
  }
  static expired(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  }
  static internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
  }
  static unavailable(message: string): ApiError {
    return new ApiError(503, 'ServiceUnavailable', message);
  }
  /**
   * What a client is told of an error the server did not expect: an ApiError as it is; a
   * programming fault (TypeError and its kin) never in the runtime's words, which the log keeps.
   */
  static from(err: unknown): ApiError {
    if (err instanceof ApiError) return err;
    if (isProgrammingFault(err))
      return ApiError.internal('the server could not complete the request; the failure is in its log');
    return ApiError.internal(errorMessage(err));
  }
}

/** A TypeError and its kin: a fault in the code (a Go panic's equivalent), not a failure of something it used. */
export function isProgrammingFault(err: unknown): err is Error {
  return (
    err instanceof TypeError ||
    err instanceof RangeError ||
    err instanceof ReferenceError ||
    err instanceof SyntaxError ||
    err instanceof EvalError ||
    err instanceof URIError
  );
}

/** A field-level problem found by validation, as it goes into `details.causes`. */
export function fieldCause(
  reason:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueNotSupported'
    | 'FieldValueDuplicate'
    | 'FieldValueForbidden'
    | 'FieldValueTooLong'
    | 'FieldValueTypeInvalid',
  field: string,
  message: string,
): StatusCause {
  return { reason, field, message };
}
