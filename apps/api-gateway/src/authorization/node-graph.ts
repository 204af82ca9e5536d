// What a sandbox host's pods reference, as upstream's node authorizer graph (plugin/pkg/auth/authorizer/node/graph.go):
// the Secrets, ConfigMaps, PersistentVolumeClaims and ServiceAccount of every pod bound to a host.
import { Injectable, Logger } from '@nestjs/common';
import { errorMessage, isJsonObject, KubeObject } from '@skiff/api-machinery';
import { Pod, SANDBOX_HOST_ANNOTATION, Volume } from '@skiff/kube-types';
import { claimNameOf } from '@skiff/messaging';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { CachedChange, WatchCacheService } from '../storage/watch-cache.service';

/** The kinds a node reaches only through its pods. */
export type PodReferenceKind = 'secrets' | 'configmaps' | 'persistentvolumeclaims' | 'serviceaccounts';

/** `kind/name` of what one pod references, in the pod's namespace. */
export type PodReferences = ReadonlySet<string>;

type Json = Record<string, unknown>;

const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);
const field = (o: unknown, k: string): Json | undefined => {
  const v = isJsonObject(o) ? o[k] : undefined;
  return isJsonObject(v) ? v : undefined;
};
const text = (o: unknown, k: string): string | undefined => {
  const v = isJsonObject(o) ? o[k] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/**
 * Every Secret, ConfigMap, PersistentVolumeClaim and the ServiceAccount a pod uses: volumes (projected sources,
 * CSI node-publish secrets, the claims made for the pod), env and envFrom of every container, image pull secrets.
 */
export function podReferences(pod: KubeObject): PodReferences {
  const refs = new Set<string>();
  const add = (kind: PodReferenceKind, name: string | undefined): void => {
    if (name) refs.add(`${kind}/${name}`);
  };
  const spec = field(pod, 'spec') ?? {};
  add('serviceaccounts', text(spec, 'serviceAccountName') ?? 'default');
  for (const s of objects(spec.imagePullSecrets)) add('secrets', text(s, 'name'));
  for (const v of objects(spec.volumes)) {
    add('secrets', text(field(v, 'secret'), 'secretName'));
    add('configmaps', text(field(v, 'configMap'), 'name'));
    // A claim named, or made for the pod (generic ephemeral volumes, ASK's dynamic flexvolume disks).
    add('persistentvolumeclaims', claimNameOf(pod as Pod, v as unknown as Volume));
    add('secrets', text(field(field(v, 'csi'), 'nodePublishSecretRef'), 'name'));
    for (const source of objects(field(v, 'projected')?.sources)) {
      add('secrets', text(field(source, 'secret'), 'name'));
      add('configmaps', text(field(source, 'configMap'), 'name'));
    }
  }
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of objects(spec[list])) {
      for (const e of objects(c.env)) {
        add('secrets', text(field(field(e, 'valueFrom'), 'secretKeyRef'), 'name'));
        add('configmaps', text(field(field(e, 'valueFrom'), 'configMapKeyRef'), 'name'));
      }
      for (const e of objects(c.envFrom)) {
        add('secrets', text(field(e, 'secretRef'), 'name'));
        add('configmaps', text(field(e, 'configMapRef'), 'name'));
      }
    }
  }
  return refs;
}

/** The sandbox host an object is bound to (a pod its agent runs, a disk's VolumeAttachment), if any. */
export function hostOf(object: KubeObject): string | undefined {
  return object.metadata.annotations?.[SANDBOX_HOST_ANNOTATION] || undefined;
}

const CLAIM_PREFIX = 'persistentvolumeclaims/';

interface GraphPod {
  host: string;
  namespace: string;
  refs: PodReferences;
}

/**
 * The pods bound to each host and what they reference, kept in memory from the watch cache's pod events (as
 * upstream's graph populator follows informers). Until the watch cache runs, and for anything it does not show yet (a
 * pod bound a moment ago), the store is asked: a decision is never denied only because an event is late.
 */
@Injectable()
export class NodeGraph {
  private readonly log = new Logger(NodeGraph.name);
  /** By `namespace/name`. */
  private readonly pods = new Map<string, GraphPod>();
  private following = false;

  constructor(
    private readonly store: ObjectStoreRepository,
    private readonly watchCache: WatchCacheService,
  ) {}

  /** Does a pod bound to `host` in `namespace` reference `kind/name`? */
  async related(host: string, namespace: string, kind: PodReferenceKind, name: string): Promise<boolean> {
    await this.follow();
    const ref = `${kind}/${name}`;
    for (const pod of this.pods.values()) {
      if (pod.host === host && pod.namespace === namespace && pod.refs.has(ref)) return true;
    }
    // Not (yet) in memory: the store has the last word.
    const { items } = await this.store.list({ group: '', resource: 'pods', namespace });
    return items.some((pod) => hostOf(pod) === host && podReferences(pod).has(ref));
  }

  /** The PersistentVolumeClaims (`namespace/name`) of pods bound to `host`: from memory, or from the store. */
  async claimsOn(host: string, fromStore: boolean): Promise<string[]> {
    await this.follow();
    const pods: GraphPod[] = fromStore
      ? (await this.store.list({ group: '', resource: 'pods' })).items.map((pod) => ({
          host: hostOf(pod) ?? '',
          namespace: pod.metadata.namespace ?? '',
          refs: podReferences(pod),
        }))
      : [...this.pods.values()];
    const claims = new Set<string>();
    for (const pod of pods) {
      if (pod.host !== host) continue;
      for (const ref of pod.refs) {
        if (ref.startsWith(CLAIM_PREFIX)) claims.add(`${pod.namespace}/${ref.slice(CLAIM_PREFIX.length)}`);
      }
    }
    return [...claims];
  }

  private async follow(): Promise<void> {
    if (this.following || !this.watchCache.isReady()) return;
    this.following = true;
    const from = this.watchCache.latestResourceVersion();
    // Events from `from` on are applied after the list, in order: a pod changed meanwhile ends up as its last event.
    const pending: CachedChange[] = [];
    let loaded = false;
    this.watchCache.watch({ group: '', resource: 'pods' }, from, (e) => (loaded ? this.apply(e) : pending.push(e)));
    try {
      for (const pod of (await this.store.list({ group: '', resource: 'pods' })).items) this.put(pod);
    } catch (err) {
      this.log.warn(`node graph: cannot list pods, deciding from the store until it can: ${errorMessage(err)}`);
    }
    loaded = true;
    for (const e of pending.splice(0)) this.apply(e);
  }

  private apply(e: CachedChange): void {
    if (e.error) return;
    if (e.type === 'DELETED') this.pods.delete(`${e.namespace}/${e.name}`);
    else this.put(e.object as KubeObject);
  }

  private put(pod: KubeObject): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const host = hostOf(pod);
    if (!host) {
      this.pods.delete(key);
      return;
    }
    this.pods.set(key, { host, namespace: pod.metadata.namespace ?? '', refs: podReferences(pod) });
  }
}
