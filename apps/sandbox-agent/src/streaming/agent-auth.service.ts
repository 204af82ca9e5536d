import { Injectable } from '@nestjs/common';
import { ApiError } from '@skiff/api-machinery';
import { BearerTokenVerifier } from '@skiff/config';

/** Only the API server (holding the cluster's admin token) may use the agent's endpoint. */
@Injectable()
export class AgentAuthService {
  private readonly verifier = new BearerTokenVerifier(process.env.SKIFF_ADMIN_TOKEN_FILE ?? '.skiff/admin.token');

  check(authorization: string | undefined): void {
    if (!this.verifier.verify(authorization)) throw ApiError.unauthorized();
  }
}
