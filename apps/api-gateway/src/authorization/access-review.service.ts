import { Injectable } from '@nestjs/common';
import { ApiError, isJsonObject, JsonObject } from '@skiff/api-machinery';
import { AccessReviewKind, validateAccessReview } from '@skiff/api-server';
import type { UserInfo } from '../auth/request-user';
import { AuthorizationAttributes } from './policy-rules';
import { RbacPolicyCache } from './rbac-policy.cache';

export const AUTHORIZATION_GROUP = 'authorization.k8s.io';
const API_VERSION = `${AUTHORIZATION_GROUP}/v1`;

type Review = AccessReviewKind | 'SelfSubjectRulesReview';

/**
 * authorization.k8s.io/v1 reviews (pkg/registry/authorization): questions to the authorizer,
 * answered in the status, nothing stored.
 */
@Injectable()
export class AccessReviewService {
  constructor(private readonly policy: RbacPolicyCache) {}

  /** `kind` is the resource's kind; `namespace` the request path's ('' for cluster-scoped reviews). */
  async review(
    kind: Review,
    body: JsonObject,
    namespace: string,
    requester: UserInfo | undefined,
  ): Promise<JsonObject> {
    if (!requester) throw ApiError.unauthorized();
    const spec = isJsonObject(body.spec) ? body.spec : {};
    const metadata = isJsonObject(body.metadata) ? body.metadata : {};
    if (kind === 'SelfSubjectRulesReview') return this.rules(spec, requester);
    const causes = validateAccessReview(kind, body);
    if (causes.length > 0) throw ApiError.invalid(AUTHORIZATION_GROUP, kind, '', causes);
    const resource = isJsonObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
    if (kind === 'LocalSubjectAccessReview') {
      if (metadata.namespace !== undefined && metadata.namespace !== namespace)
        throw ApiError.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      if ((resource?.namespace ?? '') !== namespace)
        throw ApiError.badRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace}`);
    }
    const user: UserInfo =
      kind === 'SelfSubjectAccessReview'
        ? requester
        : { username: strOf(spec.user), groups: Array.isArray(spec.groups) ? spec.groups.map(String) : [] };
    const attrs: AuthorizationAttributes = resource
      ? {
          resourceRequest: true,
          verb: strOf(resource.verb),
          apiGroup: strOf(resource.group),
          resource: strOf(resource.resource),
          ...(resource.subresource ? { subresource: strOf(resource.subresource) } : {}),
          ...(resource.namespace ? { namespace: strOf(resource.namespace) } : {}),
          ...(resource.name ? { name: strOf(resource.name) } : {}),
        }
      : {
          resourceRequest: false,
          verb: strOf((spec.nonResourceAttributes as JsonObject).verb),
          path: strOf((spec.nonResourceAttributes as JsonObject).path),
        };
    const decision = (await this.policy.authorizer()).authorize(user, attrs);
    return {
      kind,
      apiVersion: API_VERSION,
      metadata: { ...metadata, creationTimestamp: null },
      spec,
      status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
    };
  }

  private async rules(spec: JsonObject, user: UserInfo): Promise<JsonObject> {
    const namespace = strOf(spec.namespace);
    if (!namespace) throw ApiError.badRequest('no namespace on request');
    const { rules, errors } = (await this.policy.authorizer()).rulesFor(user, namespace);
    const resourceRules = rules
      .filter((r) => (r.resources ?? []).length > 0)
      .map((r) => ({
        verbs: r.verbs,
        ...(r.apiGroups?.length ? { apiGroups: r.apiGroups } : {}),
        resources: r.resources ?? [],
        ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
      }));
    const nonResourceRules = rules
      .filter((r) => (r.nonResourceURLs ?? []).length > 0)
      .map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs ?? [] }));
    return {
      kind: 'SelfSubjectRulesReview',
      apiVersion: API_VERSION,
      metadata: { creationTimestamp: null },
      spec: {},
      status: {
        resourceRules,
        nonResourceRules,
        incomplete: false,
        ...(errors.length > 0 ? { evaluationError: errors.length === 1 ? errors[0] : `[${errors.join(', ')}]` } : {}),
      },
    };
  }
}

function strOf(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
