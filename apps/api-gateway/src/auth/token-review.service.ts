import { Injectable } from '@nestjs/common';
import { ApiError, isJsonObject, JsonObject } from '@skiff/api-machinery';
import { AuthenticatorService } from './authenticator.service';
import { userInfoJson } from './request-user';

const API_VERSION = 'authentication.k8s.io/v1';

/**
 * authentication.k8s.io/v1 TokenReview (pkg/registry/authentication/tokenreview): is `spec.token` valid, and for whom?
 * Answered by the chain that authenticates bearer tokens, for `spec.audiences` (default the API server's); nothing
 * stored. A token that is not valid is an answer too (201, `error` says why), not a failed request.
 */
@Injectable()
export class TokenReviewService {
  constructor(private readonly authenticator: AuthenticatorService) {}

  async review(body: JsonObject): Promise<JsonObject> {
    if (body.kind !== undefined && body.kind !== 'TokenReview')
      throw ApiError.badRequest('the object provided is unrecognized (must be of type TokenReview)');
    const spec = isJsonObject(body.spec) ? body.spec : {};
    const metadata = isJsonObject(body.metadata) ? body.metadata : {};
    if (typeof spec.token !== 'string' || spec.token === '')
      throw ApiError.badRequest('token is required for TokenReview in authentication');
    const audiences = Array.isArray(spec.audiences) ? spec.audiences.map(String) : [];
    const answer = await this.authenticator.authenticateToken(spec.token, audiences.length ? audiences : undefined);
    // As upstream's Go struct: `authenticated` and `error` omitted when empty, `user` always there.
    const status: JsonObject = answer.user
      ? { authenticated: true, user: userInfoJson(answer.user), audiences: answer.audiences }
      : { user: {}, ...(answer.error ? { error: answer.error } : {}) };
    return {
      kind: 'TokenReview',
      apiVersion: API_VERSION,
      metadata: { ...metadata, creationTimestamp: null },
      spec,
      status,
    };
  }
}
