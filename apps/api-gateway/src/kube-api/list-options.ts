import {
  ApiError,
  FieldMatcher,
  fieldSelectorExactValue,
  KubeObject,
  LabelMatcher,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '@skiff/api-machinery';
import { ResourceType } from '@skiff/api-server';

export interface ListOptions {
  labelSelector?: LabelMatcher;
  fieldSelector?: FieldMatcher;
  /** metadata.name=<x> from the field selector, pushed down to the store. */
  name?: string;
  limit?: number;
  continueToken?: ContinueToken;
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks: boolean;
  sendInitialEvents: boolean;
}

export interface ContinueToken {
  rv: number;
  namespace: string;
  name: string;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'skiff/v1', ...t })).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Partial<ContinueToken> & { v?: string };
    if (
      t.v === 'skiff/v1' &&
      typeof t.rv === 'number' &&
      typeof t.namespace === 'string' &&
      typeof t.name === 'string'
    ) {
      return { rv: t.rv, namespace: t.namespace, name: t.name };
    }
  } catch {
    // fall through to the error below
  }
  throw ApiError.badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}

export function listOptionsOf(type: ResourceType, query: URLSearchParams): ListOptions {
  const label = query.get('labelSelector');
  const field = query.get('fieldSelector');
  const limitRaw = query.get('limit');
  const timeoutRaw = query.get('timeoutSeconds');
  const cont = query.get('continue');
  const fieldSelector = field ? parseFieldSelector(type, field) : undefined;
  const limit = limitRaw ? Number(limitRaw) : undefined;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0))
    throw ApiError.badRequest(`invalid limit: ${limitRaw}`);
  const timeoutSeconds = timeoutRaw ? Number(timeoutRaw) : undefined;
  if (timeoutSeconds !== undefined && (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0)) {
    throw ApiError.badRequest(`invalid timeoutSeconds: ${timeoutRaw}`);
  }
  const sendInitialEvents = query.get('sendInitialEvents') === 'true';
  if (sendInitialEvents && query.get('resourceVersionMatch') !== 'NotOlderThan') {
    throw ApiError.invalid('meta.k8s.io', 'ListOptions', '', [
      {
        reason: 'FieldValueForbidden',
        field: 'resourceVersionMatch',
        message: 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
      },
    ]);
  }
  return {
    labelSelector: label ? parseLabelSelector(label) : undefined,
    fieldSelector,
    name: fieldSelector ? fieldSelectorExactValue(fieldSelector, 'metadata.name') : undefined,
    limit: limit === 0 ? undefined : limit,
    continueToken: cont ? decodeContinue(cont) : undefined,
    resourceVersion: query.get('resourceVersion') ?? undefined,
    timeoutSeconds,
    allowWatchBookmarks: query.get('allowWatchBookmarks') === 'true',
    sendInitialEvents,
  };
}

export function matchesListOptions(opts: ListOptions, obj: KubeObject): boolean {
  if (opts.labelSelector && !matchesLabels(opts.labelSelector, obj.metadata.labels)) return false;
  if (opts.fieldSelector && !matchesFields(opts.fieldSelector, obj)) return false;
  return true;
}
