import { Informer } from '@skiff/controller-runtime';
import { ignoreNotFound, KubeClient, ResourceClient } from '@skiff/kube-client';
import { ConfigObjectSource } from './env-resolver';
import { ConfigMap, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Service } from '@skiff/kube-types';
import { ReadThroughCache } from './read-through-cache';
import { IssuedToken, ServiceAccountTokenCache, TokenRequestOptions } from './service-account-tokens';

// Long enough that a burst of pods (or one volume refresh pass) reads each ConfigMap or Secret once.
const OBJECT_TTL_MS = 2_000;

/** The agent's Service cache (the data plane's informer); read once it has listed. */
export type ServiceLister = Pick<Informer<Service>, 'list' | 'hasSynced'>;

/**
 * ConfigMaps, Secrets, claims and volumes read through the Kubernetes API (ConfigMaps and Secrets shared for two
 * seconds between the pods that use them), Services from the agent's informer as kubelet's lister; not-found is
 * undefined.
 */
export class ApiConfigSource implements ConfigObjectSource {
  private readonly configMaps: ResourceClient<ConfigMap>;
  private readonly secrets: ResourceClient<Secret>;
  private readonly serviceClient: ResourceClient<Service>;
  private readonly claims: ResourceClient<PersistentVolumeClaim>;
  private readonly volumes: ResourceClient<PersistentVolume>;
  private readonly tokens: ServiceAccountTokenCache;
  private readonly objects: ReadThroughCache<ConfigMap | Secret | undefined>;

  constructor(
    private readonly client: KubeClient,
    private readonly serviceLister: ServiceLister,
    nowMs: () => number = Date.now,
  ) {
    this.tokens = new ServiceAccountTokenCache((pod, opts) => this.requestToken(pod, opts), nowMs);
    this.objects = new ReadThroughCache(OBJECT_TTL_MS, nowMs);
    this.configMaps = client.resource<ConfigMap>({
      group: '',
      version: 'v1',
      resource: 'configmaps',
      namespaced: true,
    });
    this.secrets = client.resource<Secret>({ group: '', version: 'v1', resource: 'secrets', namespaced: true });
    this.serviceClient = client.resource<Service>({ group: '', version: 'v1', resource: 'services', namespaced: true });
    this.claims = client.resource<PersistentVolumeClaim>({
      group: '',
      version: 'v1',
      resource: 'persistentvolumeclaims',
      namespaced: true,
    });
    this.volumes = client.resource<PersistentVolume>({
      group: '',
      version: 'v1',
      resource: 'persistentvolumes',
      namespaced: false,
    });
  }

  configMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    return this.objects.read(`configmaps/${namespace}/${name}`, () =>
      this.configMaps.get(namespace, name).catch(ignoreNotFound),
    ) as Promise<ConfigMap | undefined>;
  }

  secret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.objects.read(`secrets/${namespace}/${name}`, () =>
      this.secrets.get(namespace, name).catch(ignoreNotFound),
    ) as Promise<Secret | undefined>;
  }

  // Until the informer has listed, the API answers (kubelet refuses to start containers then instead).
  async services(namespace: string): Promise<Service[]> {
    if (!this.serviceLister.hasSynced()) return (await this.serviceClient.list(namespace)).items;
    return this.serviceLister.list().filter((s) => s.metadata.namespace === namespace);
  }

  claim(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined> {
    return this.claims.get(namespace, name).catch(ignoreNotFound);
  }

  volume(name: string): Promise<PersistentVolume | undefined> {
    return this.volumes.get(undefined, name).catch(ignoreNotFound);
  }

  async claimResized(claim: PersistentVolumeClaim, capacity: string): Promise<void> {
    const conditions = (claim.status?.conditions ?? []).filter((c) => c.type !== 'FileSystemResizePending');
    // The resourceVersion makes a stale view fail with a conflict instead of undoing a newer status.
    const patch = {
      metadata: { resourceVersion: claim.metadata.resourceVersion },
      status: { capacity: { ...(claim.status?.capacity ?? {}), storage: capacity }, conditions },
    };
    await this.claims
      .patch(claim.metadata.namespace, claim.metadata.name!, patch, 'merge', { subresource: 'status' })
      .catch(ignoreNotFound);
  }

  serviceAccountToken(pod: Pod, opts: TokenRequestOptions): Promise<string> {
    return this.tokens.token(pod, opts);
  }

  // As kubelet: POST serviceaccounts/<sa>/token with the pod as the bound object.
  private async requestToken(pod: Pod, opts: TokenRequestOptions): Promise<IssuedToken> {
    const ns = pod.metadata.namespace ?? 'default';
    const sa = pod.spec?.serviceAccountName || 'default';
    const body = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: opts.audience ? [opts.audience] : [],
        expirationSeconds: opts.expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
      },
    };
    const out = await this.client.request<{ status: IssuedToken }>(
      'POST',
      `/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(sa)}/token`,
      body,
    );
    return out.status;
  }
}
