import { Injectable } from '@nestjs/common';
import { apiVersionOf, ResourceRegistry, ResourceType } from '@skiff/api-server';
import { createHash } from 'node:crypto';

export const AGGREGATED_DISCOVERY_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_DISCOVERY_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

type Json = Record<string, unknown>;

/** Discovery documents, legacy and aggregated, built from the resource registry. */
@Injectable()
export class DiscoveryService {
  constructor(private readonly registry: ResourceRegistry) {}

  /** Which aggregated discovery version the Accept header asks for, if any. */
  aggregatedVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
    for (const part of (accept ?? '').split(',')) {
      const params = part.split(';').map((p) => p.trim().toLowerCase());
      if (!params.includes('as=apigroupdiscoverylist') || !params.includes('g=apidiscovery.k8s.io')) continue;
      if (params.includes('v=v2')) return 'v2';
      if (params.includes('v=v2beta1')) return 'v2beta1';
    }
    return undefined;
  }

  apiVersions(serverAddress: string): Json {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    };
  }

  apiGroupList(): Json {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: this.groupNames()
        .filter((g) => g !== '')
        .map((g) => this.apiGroup(g)),
    };
  }

  apiGroup(group: string): Json | undefined {
    const versions = this.registry.groups().get(group);
    if (!versions || group === '') return undefined;
    const vs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
    return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: vs, preferredVersion: vs[0] };
  }

  apiResourceList(group: string, version: string): Json | undefined {
    const types = this.registry.all().filter((t) => t.group === group && t.version === version);
    if (types.length === 0) return undefined;
    const resources: Json[] = [];
    for (const t of types) {
      resources.push({
        name: t.resource,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: t.verbs,
        ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
        ...(t.categories.length ? { categories: t.categories } : {}),
        ...(isStored(t) ? { storageVersionHash: storageVersionHash(t) } : {}),
      });
      for (const s of t.subresources) {
        resources.push({
          name: `${t.resource}/${s.name}`,
          singularName: '',
          namespaced: t.namespaced,
          ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
          kind: s.kind,
          verbs: s.verbs,
        });
      }
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
  }

  /** `/api` (core only) or `/apis` (every named group) as an APIGroupDiscoveryList. */
  aggregated(core: boolean, version: 'v2' | 'v2beta1'): Json {
    return {
      kind: 'APIGroupDiscoveryList',
      apiVersion: `apidiscovery.k8s.io/${version}`,
      metadata: {},
      items: (core ? [''] : this.groupNames().filter((g) => g !== '')).map((g) => ({
        metadata: { name: g, creationTimestamp: null },
        versions: (this.registry.groups().get(g) ?? []).map((v) => ({
          version: v,
          freshness: 'Current',
          resources: this.registry
            .all()
            .filter((t) => t.group === g && t.version === v)
            .map((t) => this.discoveryResource(t)),
        })),
      })),
    };
  }

  private discoveryResource(t: ResourceType): Json {
    return {
      resource: t.resource,
      responseKind: { group: t.group, version: t.version, kind: t.kind },
      scope: t.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: t.singular,
      verbs: t.verbs,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
      ...(t.categories.length ? { categories: t.categories } : {}),
      ...(t.subresources.length
        ? {
            subresources: t.subresources.map((s) => ({
              subresource: s.name,
              responseKind: { group: s.group ?? t.group, version: s.version ?? t.version, kind: s.kind },
              verbs: s.verbs,
            })),
          }
        : {}),
    };
  }

  private groupNames(): string[] {
    return [...this.registry.groups().keys()];
  }
}

// Reviews are answered and metrics computed, never stored: upstream lists no hash for them.
function isStored(t: ResourceType): boolean {
  return t.verbs.includes('get') && !t.computed;
}

/**
 * apiserver's StorageVersionHash: base64 of the first 8 bytes of sha256("group/version/kind") of
 * the version objects are stored in, so clients can tell when storage changes.
 */
export function storageVersionHash(t: ResourceType): string {
  const version = t.custom?.storageVersion ?? t.storageVersion ?? t.version;
  return createHash('sha256').update(`${t.group}/${version}/${t.kind}`).digest().subarray(0, 8).toString('base64');
}
