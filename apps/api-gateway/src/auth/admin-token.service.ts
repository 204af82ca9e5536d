import { Inject, Injectable } from '@nestjs/common';
import { ApiGatewayConfig, BearerTokenVerifier } from '@skiff/config';
import { GATEWAY_CONFIG } from '../platform/config.provider';
import { ADMIN_USER, UserInfo } from './request-user';

/** Bearer-token authentication: the admin token from the state directory. */
@Injectable()
export class AdminTokenService {
  private readonly verifier: BearerTokenVerifier;

  constructor(@Inject(GATEWAY_CONFIG) config: ApiGatewayConfig) {
    this.verifier = new BearerTokenVerifier(config.adminTokenFile);
  }

  /** The user the Authorization header names, or undefined when it names none. */
  userFor(authorization: string | undefined): UserInfo | undefined {
    return this.verifier.verify(authorization) ? ADMIN_USER : undefined;
  }
}
