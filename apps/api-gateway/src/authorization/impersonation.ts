// Impersonation headers (apiserver's WithImpersonation filter): each thing asked for is a
// resource request with the `impersonate` verb, checked for the real user first.
import { ApiError } from '@skiff/api-machinery';
import type { IncomingHttpHeaders } from 'node:http';
import type { UserInfo } from '../auth/request-user';
import { AuthorizationAttributes } from './policy-rules';
import { splitServiceAccountUsername } from './rbac-authorizer';

const EXTRA_PREFIX = 'impersonate-extra-';
const AUTHENTICATED = 'system:authenticated';
const UNAUTHENTICATED = 'system:unauthenticated';
const ANONYMOUS = 'system:anonymous';

export interface Impersonation {
  /** What the real user must be allowed, in order. */
  checks: AuthorizationAttributes[];
  user: UserInfo;
}

type Headers = Record<string, string[] | undefined>;

/** The impersonation a request asks for, or undefined when it carries no Impersonate-* header. */
export function impersonationOf(headers: Headers | IncomingHttpHeaders): Impersonation | undefined {
  const values = (name: string): string[] => {
    const v = headers[name];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  };
  const [username] = values('impersonate-user');
  const groups = values('impersonate-group');
  const uid = values('impersonate-uid')[0];
  const extraKeys = Object.keys(headers).filter((h) => h.startsWith(EXTRA_PREFIX));
  if (username === undefined) {
    if (groups.length === 0 && extraKeys.length === 0 && uid === undefined) return undefined;
    throw ApiError.internal(`requested impersonation of groups, extra or uid without impersonating a user`);
  }
  const checks: AuthorizationAttributes[] = [];
  const sa = splitServiceAccountUsername(username);
  let userGroups = [...groups];
  if (sa) {
    checks.push({
      resourceRequest: true,
      verb: 'impersonate',
      apiGroup: '',
      resource: 'serviceaccounts',
      namespace: sa[0],
      name: sa[1],
    });
    // A service account's groups are fixed: given when none are asked for.
    if (groups.length === 0) userGroups = ['system:serviceaccounts', `system:serviceaccounts:${sa[0]}`];
  } else {
    checks.push({ resourceRequest: true, verb: 'impersonate', apiGroup: '', resource: 'users', name: username });
  }
  for (const g of groups)
    checks.push({ resourceRequest: true, verb: 'impersonate', apiGroup: '', resource: 'groups', name: g });
  const extra: Record<string, string[]> = {};
  for (const header of extraKeys) {
    const key = unescapeExtraKey(header.slice(EXTRA_PREFIX.length));
    for (const value of values(header)) {
      checks.push({
        resourceRequest: true,
        verb: 'impersonate',
        apiGroup: 'authentication.k8s.io',
        resource: 'userextras',
        subresource: key,
        name: value,
      });
      extra[key] = [...(extra[key] ?? []), value];
    }
  }
  if (uid !== undefined)
    checks.push({
      resourceRequest: true,
      verb: 'impersonate',
      apiGroup: 'authentication.k8s.io',
      resource: 'uids',
      name: uid,
    });
  if (username !== ANONYMOUS) {
    if (!userGroups.includes(AUTHENTICATED) && !userGroups.includes(UNAUTHENTICATED)) userGroups.push(AUTHENTICATED);
  } else if (!userGroups.includes(UNAUTHENTICATED)) userGroups.push(UNAUTHENTICATED);
  return {
    checks,
    user: {
      username,
      groups: userGroups,
      ...(uid !== undefined ? { uid } : {}),
      ...(Object.keys(extra).length ? { extra } : {}),
    },
  };
}

// Upstream's unescapeExtraKey: a key that is not valid %-encoding is kept as sent, never an error.
function unescapeExtraKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}
