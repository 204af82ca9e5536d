import { Injectable } from '@nestjs/common';
import { ApiError, JsonObject } from '@skiff/api-machinery';
import { UserInfo, userInfoJson } from './request-user';

const API_VERSION = 'authentication.k8s.io/v1';

/** authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`): the caller's own user info, nothing stored. */
@Injectable()
export class SelfSubjectReviewService {
  review(body: JsonObject, user: UserInfo | undefined): JsonObject {
    if (body.kind !== undefined && body.kind !== 'SelfSubjectReview') {
      throw ApiError.badRequest('the object provided is unrecognized (must be of type SelfSubjectReview)');
    }
    if (!user) throw ApiError.unauthorized();
    return {
      kind: 'SelfSubjectReview',
      apiVersion: API_VERSION,
      metadata: { creationTimestamp: null },
      status: { userInfo: userInfoJson(user) },
    };
  }
}
