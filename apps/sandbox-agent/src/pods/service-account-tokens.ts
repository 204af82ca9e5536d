import type { Pod } from '@skiff/kube-types';

export interface TokenRequestOptions {
  /** The audience the projection names; none means the API server's. */
  audience?: string;
  expirationSeconds: number;
}

export interface IssuedToken {
  token: string;
  /** RFC 3339, the TokenRequest's status.expirationTimestamp. */
  expirationTimestamp: string;
}

/** Requests a token for the pod's ServiceAccount, bound to the pod (the TokenRequest API). */
export type TokenRequester = (pod: Pod, opts: TokenRequestOptions) => Promise<IssuedToken>;

interface CachedToken {
  token: string;
  refreshAtMs: number;
  expiresAtMs: number;
}

/**
 * kubelet's token manager: a pod's projected token is requested once and reused until 80 % of its lifetime has
 * passed (or 24 h), then requested again, so the file in the pod is always valid.
 */
export class ServiceAccountTokenCache {
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly request: TokenRequester,
    private readonly nowMs: () => number = Date.now,
  ) {}

  async token(pod: Pod, opts: TokenRequestOptions): Promise<string> {
    const now = this.nowMs();
    for (const [k, t] of this.tokens) if (t.expiresAtMs <= now) this.tokens.delete(k);
    const key = `${pod.metadata.uid}/${opts.audience ?? ''}/${opts.expirationSeconds}`;
    const cached = this.tokens.get(key);
    if (cached && now < cached.refreshAtMs) return cached.token;
    const issued = await this.request(pod, opts);
    const expiresAtMs = Date.parse(issued.expirationTimestamp);
    const lifetime = expiresAtMs - now;
    this.tokens.set(key, {
      token: issued.token,
      expiresAtMs,
      refreshAtMs: now + Math.min(lifetime * 0.8, 24 * 3600 * 1000),
    });
    return issued.token;
  }
}
