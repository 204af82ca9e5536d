import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { JwtSigningKey, looksLikeJwt } from './jwt';

describe(JwtSigningKey.name, () => {
  const ec = () => new JwtSigningKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);

  it('signs ES256 with a P-256 key and RS256 with an RSA key; each verifies its own tokens only', () => {
    const es = ec();
    const rs = new JwtSigningKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    expect([es.alg, rs.alg]).toEqual(['ES256', 'RS256']);
    for (const key of [es, rs]) {
      const token = key.sign({ sub: 'x', n: 1 });
      expect(looksLikeJwt(token)).toBe(true);
      expect(key.verify(token)).toEqual({ sub: 'x', n: 1 });
    }
    expect(es.verify(rs.sign({ sub: 'x' }))).toBeUndefined();
    expect(ec().verify(es.sign({ sub: 'x' }))).toBeUndefined();
  });

  it('refuses a token whose header names another algorithm (no "none", no alg swap)', () => {
    const key = ec();
    const [, payload, sig] = key.sign({ sub: 'x' }).split('.');
    const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    expect(key.verify(`${none}.${payload}.`)).toBeUndefined();
    expect(key.verify(`${none}.${payload}.${sig}`)).toBeUndefined();
  });

  it('publishes a JWK that verifies its signatures, with the SHA-256 key id upstream uses', () => {
    const key = ec();
    const jwk = key.jwk();
    expect(jwk).toMatchObject({ use: 'sig', kty: 'EC', crv: 'P-256', alg: 'ES256', kid: key.kid });
    expect(jwk).not.toHaveProperty('d');
    const [h, p, s] = key.sign({ sub: 'x' }).split('.');
    const pub = createPublicKey({ key: jwk as never, format: 'jwk' });
    expect(
      verify('sha256', Buffer.from(`${h}.${p}`), { key: pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url')),
    ).toBe(true);
  });

  it('refuses keys it cannot sign ServiceAccount tokens with', () => {
    expect(() => new JwtSigningKey(generateKeyPairSync('ed25519').privateKey)).toThrow(/unsupported/);
  });
});
