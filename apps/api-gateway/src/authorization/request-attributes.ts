// A request's authorization attributes and the 403 that refuses them, as apiserver's
// RequestInfoFactory and responsewriters.ForbiddenStatusError.
import { ApiError } from '@skiff/api-machinery';
import { parseRequestInfo } from '../kube-api/request-info';
import { AuthorizationAttributes } from './policy-rules';

/** What a request asks for. Paths under /api and /apis that cannot be parsed are left to their route to refuse. */
export function requestAttributes(
  method: string,
  url: Pick<URL, 'pathname' | 'searchParams'>,
): AuthorizationAttributes | undefined {
  let info;
  try {
    info = parseRequestInfo(method, url.pathname, url.searchParams);
  } catch {
    return undefined;
  }
  if (!info) return { resourceRequest: false, verb: method.toLowerCase(), path: url.pathname };
  let { name, namespace } = info;
  // GET /api/v1/namespaces/dev addresses namespace "dev" in namespace "dev" (a RoleBinding there may grant it).
  if (info.group === '' && info.resource === 'namespaces' && name) namespace = name;
  // A list or watch of one object by field selector is about that name.
  if (!name && (info.verb === 'list' || info.verb === 'watch'))
    name = selectedName(url.searchParams.get('fieldSelector'));
  return {
    resourceRequest: true,
    verb: info.verb,
    apiGroup: info.group,
    resource: info.resource,
    ...(info.subresource ? { subresource: info.subresource } : {}),
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
  };
}

function selectedName(fieldSelector: string | null): string | undefined {
  for (const term of (fieldSelector ?? '').split(',')) {
    const m = /^metadata\.name==?(.*)$/.exec(term.trim());
    if (m) return m[1];
  }
  return undefined;
}

/** forbiddenMessage: `User "alice" cannot delete resource "pods" in API group "" in the namespace "dev"`. */
export function forbiddenMessage(username: string, attrs: AuthorizationAttributes): string {
  if (!attrs.resourceRequest)
    return `User ${JSON.stringify(username)} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}`;
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const where = attrs.namespace ? `in the namespace ${JSON.stringify(attrs.namespace)}` : 'at the cluster scope';
  return `User ${JSON.stringify(username)} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.apiGroup)} ${where}`;
}

/** ForbiddenStatusError: the 403 kube-apiserver answers a refused request with. */
export function forbiddenError(username: string, attrs: AuthorizationAttributes, reason: string): ApiError {
  const message = reason ? `${forbiddenMessage(username, attrs)}: ${reason}` : forbiddenMessage(username, attrs);
  if (!attrs.resourceRequest) return new ApiError(403, 'Forbidden', `forbidden: ${message}`, {});
  return ApiError.forbidden({ group: attrs.apiGroup, resource: attrs.resource, name: attrs.name }, message);
}
