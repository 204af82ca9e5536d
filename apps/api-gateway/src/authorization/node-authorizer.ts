// The Node authorizer and NodeRestriction for sandbox agents, as upstream's plugin/pkg/auth/authorizer/node and
// plugin/pkg/admission/noderestriction: an agent is `system:node:<host>` in `system:nodes`, and may read the Secrets,
// ConfigMaps, claims and volumes only of pods bound to its host, and write only those pods.
import { Injectable } from '@nestjs/common';
import { NODE_USER_PREFIX, NODES_GROUP } from '@skiff/config';
import type { PolicyRule } from '@skiff/kube-types';
import type { UserInfo } from '../auth/request-user';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { hostOf, NodeGraph, PodReferenceKind } from './node-graph';
import { AuthorizationAttributes, ruleAllows } from './policy-rules';
import { Decision } from './rbac-authorizer';

const READ = ['get', 'list', 'watch'];

/**
 * What every agent may do regardless of its pods (upstream's NodeRules): watch pods (every agent programs
 * NetworkPolicy peers), Services and what the host's network programming follows, write Events.
 */
export const NODE_RULES: readonly PolicyRule[] = [
  { verbs: READ, apiGroups: [''], resources: ['pods', 'pods/status', 'services', 'namespaces'] },
  { verbs: ['create', 'update', 'patch'], apiGroups: ['', 'events.k8s.io'], resources: ['events'] },
  { verbs: READ, apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'] },
  { verbs: READ, apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'] },
];

interface Scoped {
  group: string;
  resource: string;
  subresource?: string;
  verbs: string[];
}

/** What an agent may do to objects bound to its own host (NodeRestriction): its pods, its disks' attachments. */
const OWN: readonly Scoped[] = [
  { group: '', resource: 'pods', subresource: 'status', verbs: ['update', 'patch'] },
  { group: '', resource: 'pods', verbs: ['delete'] },
  { group: 'storage.k8s.io', resource: 'volumeattachments', verbs: ['get', 'delete'] },
];

/** What an agent reaches only through a pod bound to it (the node authorizer's graph). */
const GRAPH: readonly (Scoped & { kind: PodReferenceKind | 'persistentvolumes' })[] = [
  { group: '', resource: 'secrets', verbs: READ, kind: 'secrets' },
  { group: '', resource: 'configmaps', verbs: READ, kind: 'configmaps' },
  { group: '', resource: 'persistentvolumeclaims', verbs: READ, kind: 'persistentvolumeclaims' },
  // A resize finishes on the host: the claim's status says so.
  {
    group: '',
    resource: 'persistentvolumeclaims',
    subresource: 'status',
    verbs: ['update', 'patch'],
    kind: 'persistentvolumeclaims',
  },
  { group: '', resource: 'persistentvolumes', verbs: READ, kind: 'persistentvolumes' },
  { group: '', resource: 'serviceaccounts', subresource: 'token', verbs: ['create'], kind: 'serviceaccounts' },
];

type ResourceAttributes = AuthorizationAttributes & { resourceRequest: true };

const matches = (s: Scoped, a: ResourceAttributes): boolean =>
  s.group === a.apiGroup &&
  s.resource === a.resource &&
  (s.subresource ?? '') === (a.subresource ?? '') &&
  s.verbs.includes(a.verb);

/** The host of a node user (`system:node:<host>` in `system:nodes`), as upstream's NodeIdentifier. */
export function nodeHostOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.username.startsWith(NODE_USER_PREFIX)) return undefined;
  return user.username.slice(NODE_USER_PREFIX.length) || undefined;
}

@Injectable()
export class NodeAuthorizer {
  constructor(
    private readonly graph: NodeGraph,
    private readonly store: ObjectStoreRepository,
  ) {}

  /** A decision for a node's request; undefined for anyone else (RBAC decides). */
  async authorize(user: UserInfo, attrs: AuthorizationAttributes): Promise<Decision | undefined> {
    const host = nodeHostOf(user);
    if (host === undefined) return undefined;
    if (!attrs.resourceRequest) return undefined;
    const graphed = GRAPH.find((g) => matches(g, attrs));
    if (graphed) return this.throughPods(host, graphed.kind, attrs);
    if (OWN.some((o) => matches(o, attrs))) return this.own(host, attrs);
    if (NODE_RULES.some((r) => ruleAllows(attrs, r))) return { allowed: true, reason: '' };
    return undefined;
  }

  // authorizer/node: a request about one object, allowed when a path leads from the node to it through a pod.
  private async throughPods(
    host: string,
    kind: PodReferenceKind | 'persistentvolumes',
    attrs: ResourceAttributes,
  ): Promise<Decision> {
    const { name, namespace } = attrs;
    const denied = (why: string): Decision => ({ allowed: false, reason: why });
    if (!name) return denied(`can only ${attrs.verb} individual resources of this type`);
    if (kind === 'persistentvolumes') {
      // Memory first; the store has the last word (a pod bound a moment ago).
      for (const fromStore of [false, true]) {
        for (const claim of await this.graph.claimsOn(host, fromStore)) {
          const [ns, claimName] = claim.split('/');
          const pvc = await this.store.get({
            group: '',
            resource: 'persistentvolumeclaims',
            namespace: ns,
            name: claimName,
          });
          if ((pvc?.spec as { volumeName?: string } | undefined)?.volumeName === name)
            return { allowed: true, reason: '' };
        }
      }
    } else if (namespace && (await this.graph.related(host, namespace, kind, name))) {
      return { allowed: true, reason: '' };
    }
    return denied(`no relationship found between node '${host}' and this object`);
  }

  // NodeRestriction: a node writes only the pods bound to it, and handles only its own disks' attachments.
  private async own(host: string, attrs: ResourceAttributes): Promise<Decision> {
    const { apiGroup: group, resource, namespace = '', name } = attrs;
    if (!name) return { allowed: false, reason: `node '${host}' can only ${attrs.verb} individual ${resource}` };
    const object = await this.store.get({ group, resource, namespace, name });
    // An object that is gone is answered 404 by its route.
    if (!object || hostOf(object) === host) return { allowed: true, reason: '' };
    const what = attrs.subresource === 'status' ? 'update pod status for' : attrs.verb;
    return { allowed: false, reason: `node '${host}' can only ${what} ${resource} bound to its own sandbox host` };
  }
}
