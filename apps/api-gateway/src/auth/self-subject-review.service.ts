import { Injectable } from '@nestjs/common';
import { ApiError, JsonObject } from '@skiff/api-machinery';
import { AdminTokenService } from './admin-token.service';

const API_VERSION = 'authentication.k8s.io/v1';

/** authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`): the caller's own user info, nothing stored. */
@Injectable()
export class SelfSubjectReviewService {
  constructor(private readonly tokens: AdminTokenService) {}

  review(body: JsonObject, authorization: string | undefined): JsonObject {
    if (body.kind !== undefined && body.kind !== 'SelfSubjectReview') {
      throw ApiError.badRequest('the object provided is unrecognized (must be of type SelfSubjectReview)');
    }
    const user = this.tokens.userFor(authorization);
    if (!user) throw ApiError.unauthorized();
    return {
      kind: 'SelfSubjectReview',
      apiVersion: API_VERSION,
      metadata: { creationTimestamp: null },
      status: { userInfo: { username: user.username, groups: user.groups } },
    };
  }
}
