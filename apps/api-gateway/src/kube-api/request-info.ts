import { ApiError } from '@skiff/api-machinery';

export type RequestVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** What a resource URL addresses, as kube-apiserver's RequestInfo. */
export interface RequestInfo {
  verb: RequestVerb;
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
}

/** A request's path as sent, and its query. */
export interface RequestUrl {
  pathname: string;
  search: string;
  searchParams: URLSearchParams;
}

/**
 * The request target split, not resolved: WHATWG URL parsing folds `.` and `..` segments (also `%2e%2e`), which
 * kube-apiserver never does — `configmaps/x/..` is a sub-resource of x, not the collection, and no `..` reaches
 * another namespace.
 */
export function requestUrl(target: string): RequestUrl {
  const end = target.search(/[?#]/);
  const pathname = end < 0 ? target : target.slice(0, end);
  const search = end < 0 || target[end] === '#' ? '' : target.slice(end).split('#')[0];
  return { pathname: pathname || '/', search: search === '?' ? '' : search, searchParams: new URLSearchParams(search) };
}

/**
 * Parses `/api/v1/...` and `/apis/<group>/<version>/...` resource paths. Returns undefined for
 * discovery paths (`/api`, `/apis/<group>`...), which other routes serve.
 */
export function parseRequestInfo(method: string, pathname: string, query: URLSearchParams): RequestInfo | undefined {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }

  let namespace: string | undefined;
  // `/namespaces/<ns>/<resource>...` is namespaced; `/namespaces/<ns>` alone (or with its
  // status/finalize subresource) addresses the Namespace object itself, as upstream.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !NAMESPACE_SUBRESOURCES.has(rest[2])) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest;
  if (extra.length > 0) throw ApiError.pathNotFound(pathname);

  const watchParam = query.get('watch');
  const isWatch = watchParam === 'true' || watchParam === '1';
  let verb: RequestVerb;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = name ? 'get' : isWatch ? 'watch' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      throw ApiError.methodNotAllowed(`the server does not allow this method on the requested resource (${method})`);
  }
  // `GET /api/v1/namespaces/x/pods/p?watch=true` is still a get in modern clients; legacy
  // name-scoped watch is served through fieldSelector=metadata.name by clients.
  if (name && isWatch && verb === 'get') verb = 'watch';
  return { verb, group, version, namespace, resource, name, subresource };
}
