import type { JsonObject } from '@skiff/api-machinery';
import type { IncomingMessage } from 'node:http';

/** Who a request is, as authentication.k8s.io/v1 UserInfo. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** authentication.k8s.io/v1 UserInfo as served: uid and extra only when there are some. */
export function userInfoJson(user: UserInfo): JsonObject {
  return {
    username: user.username,
    ...(user.uid ? { uid: user.uid } : {}),
    groups: user.groups,
    ...(user.extra && Object.keys(user.extra).length > 0 ? { extra: user.extra } : {}),
  };
}

/**
 * A token authenticator's answer: the user and the audiences (of those asked for) the token is good for; else why it
 * is not valid, or nothing when the token is not one this authenticator knows.
 */
export type TokenAuthentication = { user: UserInfo; audiences: string[] } | { user?: undefined; error?: string };

// The kubeconfig's admin: a member of system:masters, as kubeadm's cluster admin is.
export const ADMIN_USER: UserInfo = { username: 'skiff-admin', groups: ['system:masters', 'system:authenticated'] };

const users = new WeakMap<IncomingMessage, UserInfo>();

/** Authentication's answer, kept with the request for authorization, admission and audit to read. */
export function setRequestUser(req: IncomingMessage, user: UserInfo): void {
  users.set(req, user);
}

/** The user authentication found for the request; undefined for a request that was not authenticated. */
export function requestUser(req: IncomingMessage): UserInfo | undefined {
  return users.get(req);
}
