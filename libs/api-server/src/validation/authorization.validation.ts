// authorization.k8s.io/v1 reviews (pkg/apis/authorization/validation).
import { isJsonObject, type JsonObject, type StatusCause } from '@skiff/api-machinery';
import { invalid } from './field-errors';

export type AccessReviewKind = 'SelfSubjectAccessReview' | 'SubjectAccessReview' | 'LocalSubjectAccessReview';

/** ValidateSubjectAccessReview and its SelfSubjectAccessReview and LocalSubjectAccessReview forms. */
export function validateAccessReview(kind: AccessReviewKind, review: JsonObject): StatusCause[] {
  const spec = isJsonObject(review.spec) ? review.spec : {};
  const causes: StatusCause[] = [];
  const hasResource = isJsonObject(spec.resourceAttributes);
  const hasNonResource = isJsonObject(spec.nonResourceAttributes);
  // A nil pointer is rendered "null" by the field errors.
  if (hasResource && hasNonResource)
    causes.push(
      invalid('spec.nonResourceAttributes', 'null', 'cannot be specified in combination with resourceAttributes'),
    );
  if (!hasResource && !hasNonResource)
    causes.push(
      invalid(
        'spec.resourceAttributes',
        'null',
        'exactly one of nonResourceAttributes or resourceAttributes must be specified',
      ),
    );
  if (kind === 'SelfSubjectAccessReview') return causes;
  const groups = Array.isArray(spec.groups) ? spec.groups : [];
  if (!spec.user && groups.length === 0)
    causes.push(
      invalid(
        'spec.user',
        typeof spec.user === 'string' ? spec.user : '',
        'at least one of user or group must be specified',
      ),
    );
  const metadata = isJsonObject(review.metadata) ? review.metadata : {};
  const local = kind === 'LocalSubjectAccessReview';
  const set = Object.keys(metadata).filter(
    (k) =>
      k !== 'managedFields' && !(k === 'creationTimestamp' && metadata[k] === null) && !(local && k === 'namespace'),
  );
  if (set.length > 0)
    causes.push(invalid('metadata', 'null', local ? 'must be empty except for namespace' : 'must be empty'));
  if (local && hasNonResource)
    causes.push(invalid('spec.nonResourceAttributes', 'null', 'disallowed on this kind of request'));
  return causes;
}
