import { KubeObject } from '@skiff/api-machinery';
import { KubeApiError, KubeClient, ResourceClient } from '@skiff/kube-client';
import { Release, releaseFromSecret, releaseSecret, releaseSecretName } from './release';

const SECRETS = { group: '', version: 'v1', resource: 'secrets', namespaced: true };

/** Helm 3's Secrets storage driver: each revision of a release in its own Secret of the release's namespace. */
export class ReleaseStore {
  private readonly secrets: ResourceClient;

  constructor(
    client: KubeClient,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.secrets = client.resource(SECRETS);
  }

  /** Every revision of a release, oldest first. */
  async history(namespace: string, name: string): Promise<Release[]> {
    const list = await this.secrets.list(namespace, { labelSelector: `owner=helm,name=${name}` });
    return list.items.map(releaseFromSecret).sort((a, b) => a.version - b.version);
  }

  /** The newest revision of each release (of every namespace when none is given). */
  async latest(namespace: string | undefined): Promise<Release[]> {
    const list = await this.secrets.list(namespace, { labelSelector: 'owner=helm' });
    const newest = new Map<string, Release>();
    for (const r of list.items.map(releaseFromSecret)) {
      const key = `${r.namespace}/${r.name}`;
      if ((newest.get(key)?.version ?? 0) < r.version) newest.set(key, r);
    }
    return [...newest.values()].sort((a, b) => a.name.localeCompare(b.name) || a.namespace.localeCompare(b.namespace));
  }

  async get(namespace: string, name: string, version: number): Promise<Release> {
    return releaseFromSecret(await this.secrets.get(namespace, releaseSecretName(name, version)));
  }

  async create(rel: Release): Promise<void> {
    try {
      await this.secrets.create(rel.namespace, releaseSecret(rel, { createdAt: this.unix() }));
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 409)
        throw new Error(
          `create: failed to create: secrets "${releaseSecretName(rel.name, rel.version)}" already exists`,
        );
      throw err;
    }
  }

  async update(rel: Release): Promise<void> {
    const current = await this.secrets.get(rel.namespace, releaseSecretName(rel.name, rel.version));
    const next: KubeObject = releaseSecret(rel, { modifiedAt: this.unix() });
    const createdAt = current.metadata.labels?.createdAt;
    if (createdAt) next.metadata.labels = { ...next.metadata.labels, createdAt };
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    await this.secrets.update(rel.namespace, next);
  }

  async delete(namespace: string, name: string, version: number): Promise<void> {
    await this.secrets.delete(namespace, releaseSecretName(name, version));
  }

  private unix(): number {
    return Math.floor(this.clock().getTime() / 1000);
  }
}
