import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiGatewayConfig } from '@skiff/config';
import type { Response } from 'express';
import { GATEWAY_CONFIG } from '../platform/config.provider';
import { ServiceAccountTokenService } from './service-account-token.service';

/**
 * ServiceAccount issuer discovery for external verifiers: the OpenID provider configuration and the signing keys,
 * served without authentication as upstream's system:service-account-issuer-discovery binding allows.
 */
@Controller()
export class IssuerDiscoveryController {
  private readonly jwksUri: string;

  constructor(
    @Inject(GATEWAY_CONFIG) config: ApiGatewayConfig,
    private readonly tokens: ServiceAccountTokenService,
  ) {
    // As upstream without --service-account-jwks-uri: the API server's external address.
    this.jwksUri = `https://${config.advertiseAddress}:${config.port}/openid/v1/jwks`;
  }

  @Get('.well-known/openid-configuration')
  configuration(@Res() res: Response): void {
    res
      .set('Cache-Control', 'public, max-age=3600')
      .type('application/json')
      .send(
        JSON.stringify({
          issuer: this.tokens.issuer,
          jwks_uri: this.jwksUri,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: [this.tokens.key.alg],
        }),
      );
  }

  @Get('openid/v1/jwks')
  jwks(@Res() res: Response): void {
    res
      .set('Cache-Control', 'public, max-age=3600')
      .type('application/jwk-set+json')
      .send(JSON.stringify({ keys: [this.tokens.key.jwk()] }));
  }
}
