import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { UserInfo } from '../auth/request-user';
import { impersonationOf } from './impersonation';
import { NodeAuthorizer } from './node-authorizer';
import { AuthorizationAttributes } from './policy-rules';
import { Decision, SYSTEM_MASTERS } from './rbac-authorizer';
import { RbacPolicyCache } from './rbac-policy.cache';
import { forbiddenError, requestAttributes } from './request-attributes';
import { requestUrl } from '../kube-api/request-info';

/** The authorization step every request passes after authentication: impersonation, then Node and RBAC. */
@Injectable()
export class AuthorizationService {
  constructor(
    private readonly policy: RbacPolicyCache,
    private readonly nodes: NodeAuthorizer,
  ) {}

  async authorize(user: UserInfo, attrs: AuthorizationAttributes): Promise<Decision> {
    // system:masters needs no policy: its requests never wait for (or on an outage, fail on) the store.
    if (user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    // Upstream's chain, Node then RBAC: a sandbox agent's requests are decided by what its host runs.
    const node = await this.nodes.authorize(user, attrs);
    if (node) return node;
    return (await this.policy.authorizer()).authorize(user, attrs);
  }

  /** The user the request runs as (the impersonated one, when allowed); throws upstream's 403 when refused. */
  async authorizeRequest(req: IncomingMessage, user: UserInfo): Promise<UserInfo> {
    const impersonation = impersonationOf(req.headersDistinct);
    if (impersonation) {
      for (const check of impersonation.checks) {
        await this.require(user, check);
      }
      user = impersonation.user;
    }
    // Express keeps the full path in originalUrl (req.url is relative to a middleware's mount point).
    const path = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const attrs = requestAttributes(req.method ?? 'GET', requestUrl(path));
    if (attrs) await this.require(user, attrs);
    return user;
  }

  /** Throws upstream's 403 unless the user may do this. */
  async require(user: UserInfo, attrs: AuthorizationAttributes): Promise<void> {
    const decision = await this.authorize(user, attrs);
    if (!decision.allowed) throw forbiddenError(user.username, attrs, decision.reason);
  }
}
