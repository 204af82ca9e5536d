import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';

export type JwtClaims = Record<string, unknown>;

/** A JSON Web Key as served in the issuer's JWKS (`/openid/v1/jwks`). */
export type Jwk = Record<string, unknown>;

/**
 * The ServiceAccount token signing key: an EC P-256 key signs ES256, an RSA key RS256, as kube-apiserver's
 * --service-account-signing-key-file. The key id is upstream's: the base64url SHA-256 of the public key's DER.
 */
export class JwtSigningKey {
  readonly alg: 'ES256' | 'RS256';
  readonly kid: string;
  readonly publicKey: KeyObject;

  constructor(private readonly privateKey: KeyObject) {
    const type = privateKey.asymmetricKeyType;
    if (type === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') this.alg = 'ES256';
    else if (type === 'rsa') this.alg = 'RS256';
    else throw new Error(`unsupported ServiceAccount signing key: ${type} (want EC P-256 or RSA)`);
    this.publicKey = createPublicKey(privateKey);
    this.kid = createHash('sha256')
      .update(this.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64url');
  }

  static fromPem(pem: string | Buffer): JwtSigningKey {
    return new JwtSigningKey(createPrivateKey(pem));
  }

  sign(claims: JwtClaims): string {
    const header = b64json({ alg: this.alg, kid: this.kid });
    const input = `${header}.${b64json(claims)}`;
    const sig = sign('sha256', Buffer.from(input), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${sig.toString('base64url')}`;
  }

  /** The claims of a compact JWS this key signed; undefined when it is malformed or the signature does not verify. */
  verify(token: string): JwtClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const header = parseJson(parts[0]);
    if (!header || header.alg !== this.alg || (header.kid !== undefined && header.kid !== this.kid)) return undefined;
    const ok = verify(
      'sha256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      { key: this.publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(parts[2], 'base64url'),
    );
    return ok ? parseJson(parts[1]) : undefined;
  }

  jwk(): Jwk {
    return { use: 'sig', ...this.publicKey.export({ format: 'jwk' }), kid: this.kid, alg: this.alg };
  }
}

/** True when the string has a JWT's shape (three base64url parts): other bearer tokens are not tried as one. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** A compact JWS's claims, unverified: only to tell whose token it is (its issuer) before checking it. */
export function unverifiedClaims(token: string): JwtClaims | undefined {
  const parts = token.split('.');
  return parts.length === 3 ? parseJson(parts[1]) : undefined;
}

function b64json(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

function parseJson(part: string): JwtClaims | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JwtClaims) : undefined;
  } catch {
    return undefined;
  }
}
