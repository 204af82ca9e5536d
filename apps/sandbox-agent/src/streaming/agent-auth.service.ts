import { Injectable } from '@nestjs/common';
import { ApiError } from '@skiff/api-machinery';
import { ConfigError } from '@skiff/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Only the API server (holding the cluster's admin token) may use the agent's endpoint. */
@Injectable()
export class AgentAuthService {
  private readonly digest: Buffer;

  constructor() {
    const file = process.env.SKIFF_ADMIN_TOKEN_FILE ?? '.skiff/admin.token';
    try {
      this.digest = sha256(readFileSync(file, 'utf8').trim());
    } catch (err) {
      throw new ConfigError('SKIFF_ADMIN_TOKEN_FILE', `cannot read ${file}: ${(err as Error).message}`);
    }
  }

  check(authorization: string | undefined): void {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m || !timingSafeEqual(sha256(m[1]), this.digest)) throw ApiError.unauthorized();
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
