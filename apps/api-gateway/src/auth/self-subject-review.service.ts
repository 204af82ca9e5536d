import { Injectable } from '@nestjs/common';
import { ApiError, JsonObject } from '@skiff/api-machinery';
import { UserInfo } from './request-user';

const API_VERSION = 'authentication.k8s.io/v1';

/** authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`): the caller's own user info, nothing stored. */
@Injectable()
export class SelfSubjectReviewService {
  review(body: JsonObject, user: UserInfo | undefined): JsonObject {
    if (body.kind !== undefined && body.kind !== 'SelfSubjectReview') {
      throw ApiError.badRequest('the object provided is unrecognized (must be of type SelfSubjectReview)');
    }
    if (!user) throw ApiError.unauthorized();
    const userInfo: JsonObject = { username: user.username };
    if (user.uid) userInfo.uid = user.uid;
    userInfo.groups = user.groups;
    if (user.extra && Object.keys(user.extra).length > 0) userInfo.extra = user.extra;
    return {
      kind: 'SelfSubjectReview',
      apiVersion: API_VERSION,
      metadata: { creationTimestamp: null },
      status: { userInfo },
    };
  }
}
