// Upstream's storage admission plugins (plugin/pkg/admission/storage): DefaultStorageClass and
// PersistentVolumeClaimResize, over the StorageClasses the API server reads from its store.
import { ApiError, isJsonObject, JsonObject, KubeObject, tryParseQuantity } from '@skiff/api-machinery';

const DEFAULT_CLASS_ANNOTATIONS = [
  'storageclass.kubernetes.io/is-default-class',
  'storageclass.beta.kubernetes.io/is-default-class',
];
/** The class a claim asked for before `spec.storageClassName`; where present it still wins. */
const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

const specOf = (obj: KubeObject): JsonObject => (isJsonObject(obj.spec) ? obj.spec : {});

/** Whether the claim asks for a class at all: "" asks for none, which is an answer too. */
function hasClass(claim: KubeObject): boolean {
  const field = specOf(claim).storageClassName;
  return claim.metadata.annotations?.[BETA_CLASS_ANNOTATION] !== undefined || (field !== undefined && field !== null);
}

/** The class the claim is of, "" for none. */
function classOf(claim: KubeObject): string {
  const beta = claim.metadata.annotations?.[BETA_CLASS_ANNOTATION];
  if (beta !== undefined) return beta;
  const field = specOf(claim).storageClassName;
  return typeof field === 'string' ? field : '';
}

/** The default class: of several (a class turning default before the old one stops), the newest, then by name. */
export function defaultStorageClass(classes: readonly KubeObject[]): KubeObject | undefined {
  const created = (c: KubeObject) => c.metadata.creationTimestamp ?? '';
  return classes
    .filter((c) => DEFAULT_CLASS_ANNOTATIONS.some((a) => c.metadata.annotations?.[a] === 'true'))
    .sort(
      (a, b) => created(b).localeCompare(created(a)) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
    )[0];
}

/** DefaultStorageClass: a new claim that asks for no class gets the default one, when there is one. */
export function withDefaultStorageClass(claim: KubeObject, classes: readonly KubeObject[]): KubeObject {
  if (hasClass(claim)) return claim;
  const name = defaultStorageClass(classes)?.metadata.name;
  return name === undefined ? claim : { ...claim, spec: { ...specOf(claim), storageClassName: name } };
}

// Bytes; a claim without a request asks for zero, as upstream's empty Quantity.
function requestedStorage(claim: KubeObject): number {
  const resources = specOf(claim).resources;
  const requests = isJsonObject(resources) && isJsonObject(resources.requests) ? resources.requests : {};
  const storage = requests.storage;
  return (typeof storage === 'string' || typeof storage === 'number' ? tryParseQuantity(storage)?.value : 0) ?? 0;
}

/**
 * PersistentVolumeClaimResize: a claim may grow only in a class, kept through the update, that exists
 * and allows volume expansion; nothing else has a resizer to grow its volume. Shrinking, and growing an
 * unbound claim, are refused before this by validation.
 */
export function checkClaimResize(claim: KubeObject, old: KubeObject, classes: readonly KubeObject[]): void {
  if (requestedStorage(claim) <= requestedStorage(old)) return;
  const name = classOf(claim);
  const storageClass = name !== '' && name === classOf(old) ? classes.find((c) => c.metadata.name === name) : undefined;
  if (storageClass?.allowVolumeExpansion === true) return;
  throw ApiError.forbidden(
    { group: '', resource: 'persistentvolumeclaims', name: claim.metadata.name },
    'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
  );
}
