// storage.k8s.io/v1 CSIDriver and VolumeAttachment (pkg/apis/storage/validation, v1/defaults.go).
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import {
  child,
  duplicate,
  forbidden,
  GoValue,
  immutable,
  index,
  invalid,
  notSupported,
  required,
  tooLong,
} from './field-errors';
import { arrAt, ensureObj, jsonEqual, numAt, objAt, setIfUnset, strAt, type Obj } from './json-access';
import { dns1123SubdomainErrors } from '@skiff/api-machinery';
import { validateObjectMetaUpdate } from './object-meta.validation';

const FS_GROUP_POLICIES = ['File', 'None', 'ReadWriteOnceWithFSType'];
const LIFECYCLE_MODES = ['Persistent', 'Ephemeral'];
const MIN_TOKEN_SECONDS = 10 * 60;
const MAX_TOKEN_SECONDS = 2 ** 32;
const MAX_CSI_DRIVER_NAME = 63;

function goModes(v: unknown): GoValue {
  if (!Array.isArray(v)) return new GoValue('[]storage.VolumeLifecycleMode(nil)');
  return new GoValue(`[]storage.VolumeLifecycleMode{${v.map((m) => JSON.stringify(String(m))).join(', ')}}`);
}

function validateCsiDriverSpec(spec: Obj): StatusCause[] {
  const out: StatusCause[] = [];
  // Upstream reports attachRequired under the misspelt path "attachedRequired".
  if (typeof spec.attachRequired !== 'boolean') out.push(required('spec.attachedRequired', ''));
  if (typeof spec.podInfoOnMount !== 'boolean') out.push(required('spec.podInfoOnMount', ''));
  if (typeof spec.storageCapacity !== 'boolean') out.push(required('spec.storageCapacity', ''));
  const fsGroupPolicy = spec.fsGroupPolicy;
  if (
    fsGroupPolicy !== undefined &&
    fsGroupPolicy !== null &&
    (typeof fsGroupPolicy !== 'string' || !FS_GROUP_POLICIES.includes(fsGroupPolicy))
  ) {
    out.push(notSupported('spec.fsGroupPolicy', fsGroupPolicy, FS_GROUP_POLICIES));
  }
  const audiences = new Set<string>();
  for (const [i, raw] of arrAt(spec.tokenRequests).entries()) {
    const tr = objAt(raw) ?? {};
    const p = index('spec.tokenRequests', i);
    const audience = strAt(tr.audience) ?? '';
    if (audiences.has(audience)) {
      out.push(duplicate(child(p, 'audience'), audience));
      continue;
    }
    audiences.add(audience);
    const seconds = numAt(tr.expirationSeconds);
    if (seconds === undefined) continue;
    if (seconds < MIN_TOKEN_SECONDS)
      out.push(invalid(child(p, 'expirationSeconds'), seconds, 'may not specify a duration less than 10 minutes'));
    if (seconds > MAX_TOKEN_SECONDS)
      out.push(invalid(child(p, 'expirationSeconds'), seconds, 'may not specify a duration larger than 2^32 seconds'));
  }
  for (const mode of arrAt(spec.volumeLifecycleModes)) {
    if (typeof mode !== 'string' || !LIFECYCLE_MODES.includes(mode))
      out.push(notSupported('spec.volumeLifecycleModes', mode, LIFECYCLE_MODES));
  }
  // SELinuxMountReadWriteOncePod is on by default in 1.32, which makes seLinuxMount required.
  if (typeof spec.seLinuxMount !== 'boolean') out.push(required('spec.seLinuxMount', ''));
  return out;
}

export function validateCsiDriver(obj: KubeObject): StatusCause[] {
  return validateCsiDriverSpec(objAt(obj.spec) ?? {});
}

/** attachRequired and volumeLifecycleModes are fixed; the rest may change since 1.28. */
export function validateCsiDriverUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const oldSpec = objAt(old.spec) ?? {};
  const out = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateCsiDriverSpec(spec)];
  if (spec.attachRequired !== oldSpec.attachRequired)
    out.push(immutable('spec.attachedRequired', spec.attachRequired ?? null));
  if (!jsonEqual(spec.volumeLifecycleModes, oldSpec.volumeLifecycleModes))
    out.push(immutable('spec.volumeLifecycleModes', goModes(spec.volumeLifecycleModes)));
  return out;
}

export function defaultCsiDriver(driver: Obj): void {
  const spec = ensureObj(driver, 'spec');
  setIfUnset(spec, 'attachRequired', true);
  setIfUnset(spec, 'podInfoOnMount', false);
  setIfUnset(spec, 'storageCapacity', false);
  setIfUnset(spec, 'fsGroupPolicy', 'ReadWriteOnceWithFSType');
  if (arrAt(spec.volumeLifecycleModes).length === 0) spec.volumeLifecycleModes = ['Persistent'];
  setIfUnset(spec, 'requiresRepublish', false);
  setIfUnset(spec, 'seLinuxMount', false);
}

/** `ValidateCSIDriverName` (core validation), used for a VolumeAttachment's attacher. */
function csiDriverNameErrors(name: string, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (name.length === 0) out.push(required(path, ''));
  if (name.length > MAX_CSI_DRIVER_NAME) out.push(tooLong(path, MAX_CSI_DRIVER_NAME));
  for (const m of dns1123SubdomainErrors(name.toLowerCase())) out.push(invalid(path, name, m));
  return out;
}

/** ValidatePersistentVolumeSpec in its inline form: a CSI source, no capacity or claim. */
function validateInlineVolumeSpec(spec: Obj, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (spec.claimRef !== undefined && spec.claimRef !== null)
    out.push(forbidden(child(path, 'claimRef'), 'may not be specified in the context of inline volumes'));
  if (Object.keys(objAt(spec.capacity) ?? {}).length !== 0)
    out.push(forbidden(child(path, 'capacity'), 'may not be specified in the context of inline volumes'));
  const csi = objAt(spec.csi);
  if (!csi) out.push(required(child(path, 'csi'), 'has to be specified in the context of inline volumes'));
  if (arrAt(spec.accessModes).length === 0) out.push(required(child(path, 'accessModes'), ''));
  if (csi) {
    out.push(...csiDriverNameErrors(strAt(csi.driver) ?? '', child(path, 'csi.driver')));
    if (!strAt(csi.volumeHandle)) out.push(required(child(path, 'csi.volumeHandle'), ''));
  }
  return out;
}

function validateAttachmentSource(source: Obj): StatusCause[] {
  const path = 'spec.source';
  const inline = objAt(source.inlineVolumeSpec);
  const pv = source.persistentVolumeName;
  const hasPv = pv !== undefined && pv !== null;
  if (!inline && !hasPv)
    return [required(path, 'must specify exactly one of inlineVolumeSpec and persistentVolumeName')];
  if (inline && hasPv)
    return [forbidden(path, 'must specify exactly one of inlineVolumeSpec and persistentVolumeName')];
  if (hasPv) {
    const name = strAt(pv) ?? '';
    if (name.length === 0)
      return [required(child(path, 'persistentVolumeName'), 'must specify non empty persistentVolumeName')];
    // ValidateVolumeAttachmentV1: a PV name is a DNS subdomain.
    return dns1123SubdomainErrors(name).map((m) => invalid(child(path, 'persistentVolumeName'), name, m));
  }
  return validateInlineVolumeSpec(inline as Obj, child(path, 'inlineVolumeSpec'));
}

function validateAttachmentSpec(spec: Obj): StatusCause[] {
  const attacher = strAt(spec.attacher) ?? '';
  const nodeName = strAt(spec.nodeName) ?? '';
  return [
    // validateAttacher and the v1 CSI driver name rule both report an empty attacher; the message is the same.
    ...csiDriverNameErrors(attacher, 'spec.attacher'),
    ...validateAttachmentSource(objAt(spec.source) ?? {}),
    ...dns1123SubdomainErrors(nodeName).map((m) => invalid('spec.nodeName', nodeName, m)),
  ];
}

export function validateVolumeAttachment(obj: KubeObject): StatusCause[] {
  return validateAttachmentSpec(objAt(obj.spec) ?? {});
}

/** `%#v` of the new spec, as "field is immutable" shows it (pointers print as addresses upstream). */
function goAttachmentSpec(spec: Obj): GoValue {
  const source = objAt(spec.source) ?? {};
  const pv = strAt(source.persistentVolumeName) !== undefined ? '(*string)(0xc000000000)' : '(*string)(nil)';
  const inline = objAt(source.inlineVolumeSpec)
    ? '(*core.PersistentVolumeSpec)(0xc000000000)'
    : '(*core.PersistentVolumeSpec)(nil)';
  return new GoValue(
    `storage.VolumeAttachmentSpec{Attacher:${JSON.stringify(strAt(spec.attacher) ?? '')}, Source:storage.VolumeAttachmentSource{PersistentVolumeName:${pv}, InlineVolumeSpec:${inline}}, NodeName:${JSON.stringify(strAt(spec.nodeName) ?? '')}}`,
  );
}

/** The whole spec is read-only once created. */
export function validateVolumeAttachmentUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const out = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateAttachmentSpec(spec)];
  if (!jsonEqual(spec, objAt(old.spec) ?? {})) out.push(invalid('spec', goAttachmentSpec(spec), 'field is immutable'));
  return out;
}
