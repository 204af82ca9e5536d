import type { Pod } from '@skiff/kube-types';
import { ServiceAccountTokenCache, TokenRequestOptions } from './service-account-tokens';

const pod = (uid: string): Pod => ({ metadata: { name: 'p', namespace: 'ns', uid }, spec: { containers: [] } });

describe(ServiceAccountTokenCache.name, () => {
  it("reuses a pod's token until 80 % of its lifetime, then requests a new one", async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const requests: string[] = [];
    const cache = new ServiceAccountTokenCache(
      async (p: Pod, o: TokenRequestOptions) => {
        requests.push(`${p.metadata.uid}:${o.audience ?? ''}`);
        return {
          token: `t${requests.length}`,
          expirationTimestamp: new Date(now + o.expirationSeconds * 1000).toISOString(),
        };
      },
      () => now,
    );
    const opts = { expirationSeconds: 1000 };
    expect(await cache.token(pod('a'), opts)).toBe('t1');
    now += 799_000;
    expect(await cache.token(pod('a'), opts)).toBe('t1');
    now += 2_000;
    expect(await cache.token(pod('a'), opts)).toBe('t2');
    // Another pod, or another audience, is another token.
    expect(await cache.token(pod('b'), opts)).toBe('t3');
    expect(await cache.token(pod('a'), { ...opts, audience: 'vault' })).toBe('t4');
    expect(requests).toEqual(['a:', 'a:', 'b:', 'a:vault']);
  });
});
