// apiextensions.k8s.io/v1 CustomResourceDefinition, as far as the API server reads it.
import type { KubeObject } from '@skiff/api-machinery';
import type { PrinterColumn, ScalePaths } from '../resources/resource-types';

export const CRD_GROUP = 'apiextensions.k8s.io';
export const CRD_RESOURCE = 'customresourcedefinitions';
/** Upstream's finalizer: a deleted CRD stays until its objects are gone. */
export const CUSTOM_RESOURCE_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

export interface CrdNames {
  plural: string;
  singular?: string;
  kind: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema?: { openAPIV3Schema?: Record<string, unknown> };
  subresources?: { status?: Record<string, never>; scale?: ScalePaths };
  additionalPrinterColumns?: PrinterColumn[];
}

export interface CrdSpec {
  group: string;
  names: CrdNames;
  scope: 'Namespaced' | 'Cluster';
  versions: CrdVersion[];
  conversion?: { strategy?: string };
  preserveUnknownFields?: boolean;
}

export interface CrdCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** The spec of a stored (so validated and defaulted) CRD. */
export function crdSpecOf(crd: KubeObject): CrdSpec {
  const spec = (crd.spec ?? {}) as Partial<CrdSpec>;
  return {
    group: spec.group ?? '',
    names: spec.names ?? { plural: '', kind: '' },
    scope: spec.scope ?? 'Namespaced',
    versions: Array.isArray(spec.versions) ? spec.versions : [],
    conversion: spec.conversion,
    preserveUnknownFields: spec.preserveUnknownFields,
  };
}

export function storageVersionOf(spec: CrdSpec): string | undefined {
  return spec.versions.find((v) => v.storage)?.name;
}
