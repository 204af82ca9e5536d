import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error';
import { errorMessage } from '@skiff/api-machinery';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Checks `Authorization: Bearer <token>` against the cluster's admin token file, in constant
 * time (digests compared, never the raw strings). The API server and the sandbox agents share it.
 */
export class BearerTokenVerifier {
  private readonly digest: Buffer;

  constructor(tokenFile: string) {
    let token: string;
    try {
      token = readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError('SKIFF_ADMIN_TOKEN_FILE', `cannot read ${tokenFile}: ${errorMessage(err)}`);
    }
    if (token.length < 16)
      throw new ConfigError('SKIFF_ADMIN_TOKEN_FILE', 'the admin token must be at least 16 characters');
    this.digest = sha256(token);
  }

  /** True when the header carries the token. */
  verify(authorization: string | undefined): boolean {
    const m = BEARER.exec(authorization ?? '');
    return m !== null && timingSafeEqual(sha256(m[1]), this.digest);
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
