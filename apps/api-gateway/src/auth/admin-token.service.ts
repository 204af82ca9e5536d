import { Inject, Injectable } from '@nestjs/common';
import { ApiGatewayConfig, ConfigError } from '@skiff/config';
import { readFileSync } from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';
import { GATEWAY_CONFIG } from '../platform/config.provider';

/** Who a request is, as authentication.k8s.io/v1 UserInfo. */
export interface UserInfo {
  username: string;
  groups: string[];
}

// The kubeconfig's admin: a member of system:masters, as kubeadm's cluster admin is.
export const ADMIN_USER: UserInfo = { username: 'skiff-admin', groups: ['system:masters', 'system:authenticated'] };

/** Bearer-token authentication: the admin token from the state directory. */
@Injectable()
export class AdminTokenService {
  private readonly digest: Buffer;

  constructor(@Inject(GATEWAY_CONFIG) config: ApiGatewayConfig) {
    let token: string;
    try {
      token = readFileSync(config.adminTokenFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError('SKIFF_ADMIN_TOKEN_FILE', `cannot read ${config.adminTokenFile}: ${(err as Error).message}`);
    }
    if (token.length < 16) throw new ConfigError('SKIFF_ADMIN_TOKEN_FILE', 'the admin token must be at least 16 characters');
    this.digest = sha256(token);
  }

  /** True when the Authorization header carries the admin bearer token. */
  authenticate(authorization: string | undefined): boolean {
    return this.userFor(authorization) !== undefined;
  }

  /** The user the Authorization header names, or undefined when it names none. */
  userFor(authorization: string | undefined): UserInfo | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return m !== null && timingSafeEqual(sha256(m[1]), this.digest) ? ADMIN_USER : undefined;
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
