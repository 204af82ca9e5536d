// PersistentVolume, PersistentVolumeClaim (core) and StorageClass (storage.k8s.io).
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { child, forbidden, immutable, index, invalid, key, notSupported, required } from './field-errors';
import { arrAt, jsonEqual, objAt, strAt, type Obj } from './json-access';
import { qualifiedNameErrors, QUANTITY_FORMAT_ERROR, tryParseQuantity } from '@skiff/api-machinery';
import { validateObjectMetaUpdate } from './object-meta.validation';
import { VOLUME_SOURCES } from './pod-volumes.validation';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const PV_SOURCES = [
  ...VOLUME_SOURCES.filter(
    (s) =>
      ![
        'emptyDir',
        'secret',
        'configMap',
        'downwardAPI',
        'projected',
        'persistentVolumeClaim',
        'gitRepo',
        'ephemeral',
        'image',
      ].includes(s),
  ),
  'local',
];

function validateAccessModes(spec: Obj, path: string, detail: string): StatusCause[] {
  const modes = arrAt(spec.accessModes);
  if (modes.length === 0) return [required(path, detail)];
  const out: StatusCause[] = [];
  for (const m of modes)
    if (typeof m !== 'string' || !ACCESS_MODES.includes(m)) out.push(notSupported(path, m, ACCESS_MODES));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1)
    out.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return out;
}

function validateVolumeMode(v: unknown, path: string): StatusCause[] {
  return v === undefined || v === 'Block' || v === 'Filesystem' ? [] : [notSupported(path, v, ['Block', 'Filesystem'])];
}

function validateStorageQuantity(v: unknown, path: string): StatusCause[] {
  const q = typeof v === 'string' || typeof v === 'number' ? tryParseQuantity(v) : undefined;
  if (!q) return [invalid(path, v ?? null, QUANTITY_FORMAT_ERROR)];
  return q.value > 0 ? [] : [invalid(path, v, 'must be greater than zero')];
}

export function validatePvcSpec(spec: Obj, base: string): StatusCause[] {
  const out = validateAccessModes(spec, child(base, 'accessModes'), 'at least 1 access mode is required');
  const requests = objAt(objAt(spec.resources)?.requests);
  const storage = requests?.storage;
  if (storage === undefined) out.push(required(key(child(base, 'resources'), 'storage'), ''));
  else out.push(...validateStorageQuantity(storage, key(child(base, 'resources.requests'), 'storage')));
  out.push(...validateVolumeMode(spec.volumeMode, child(base, 'volumeMode')));
  return out;
}

export function validatePvc(obj: KubeObject): StatusCause[] {
  return validatePvcSpec(objAt(obj.spec) ?? {}, 'spec');
}

export function validatePvcUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const out = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validatePvc(obj)];
  const spec = objAt(obj.spec) ?? {};
  const oldSpec = objAt(old.spec) ?? {};
  const bound = !!strAt(oldSpec.volumeName);
  const strip = (s: Obj, fromOld: Obj): Obj => {
    // Requests may change on a bound claim only (an expansion).
    const copy: Obj = bound ? { ...s, resources: { ...(objAt(s.resources) ?? {}), requests: undefined } } : { ...s };
    delete copy.volumeAttributesClassName;
    // Binding fills volumeName once; a claim without a class gets the default one later (retroactive default class).
    if (!strAt(fromOld.volumeName)) delete copy.volumeName;
    if (fromOld.storageClassName === undefined || fromOld.storageClassName === null) delete copy.storageClassName;
    return copy;
  };
  const size = (x: Obj): number | undefined => {
    const v = objAt(objAt(x.resources)?.requests)?.storage;
    return v === undefined ? undefined : tryParseQuantity(String(v))?.value;
  };
  const [newSize, oldSize] = [size(spec), size(oldSpec)];
  if (bound && newSize !== undefined && oldSize !== undefined && newSize < oldSize)
    out.push(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  if (!jsonEqual(strip(spec, oldSpec), strip(oldSpec, oldSpec))) {
    out.push(
      forbidden(
        'spec',
        'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
      ),
    );
  }
  return out;
}

export function validatePv(obj: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const out = validateAccessModes(spec, 'spec.accessModes', '');
  const capacity = objAt(spec.capacity);
  if (!capacity || Object.keys(capacity).length === 0) out.push(required('spec.capacity', ''));
  else if (!('storage' in capacity) || Object.keys(capacity).length > 1)
    out.push(notSupported('spec.capacity', capacity, ['storage']));
  else out.push(...validateStorageQuantity(capacity.storage, key('spec.capacity', 'storage')));
  const sources = PV_SOURCES.filter((s) => spec[s] != null);
  if (sources.length === 0) out.push(required('spec', 'must specify a volume type'));
  for (const extra of sources.slice(1))
    out.push(forbidden(child('spec', extra), 'may not specify more than 1 volume type'));
  const rp = spec.persistentVolumeReclaimPolicy;
  if (rp !== undefined && !['Delete', 'Recycle', 'Retain'].includes(String(rp)))
    out.push(notSupported('spec.persistentVolumeReclaimPolicy', rp, ['Delete', 'Recycle', 'Retain']));
  out.push(...validateVolumeMode(spec.volumeMode, 'spec.volumeMode'));
  const hp = objAt(spec.hostPath);
  if (hp && !strAt(hp.path)) out.push(required('spec.hostPath.path', ''));
  const nfs = objAt(spec.nfs);
  if (nfs && !strAt(nfs.server)) out.push(required('spec.nfs.server', ''));
  if (nfs && !strAt(nfs.path)) out.push(required('spec.nfs.path', ''));
  const csi = objAt(spec.csi);
  if (csi && !strAt(csi.driver)) out.push(required('spec.csi.driver', ''));
  if (csi && !strAt(csi.volumeHandle)) out.push(required('spec.csi.volumeHandle', ''));
  return out;
}

export function validatePvUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const out = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validatePv(obj)];
  const spec = objAt(obj.spec) ?? {};
  const oldSpec = objAt(old.spec) ?? {};
  if (PV_SOURCES.some((s) => !jsonEqual(spec[s], oldSpec[s])))
    out.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  if (oldSpec.volumeMode !== spec.volumeMode) out.push(immutable('spec.volumeMode', spec.volumeMode ?? null));
  return out;
}

export function validateStorageClass(obj: KubeObject): StatusCause[] {
  const o = obj as Obj;
  const out: StatusCause[] = [];
  const prov = strAt(o.provisioner) ?? '';
  if (!prov) out.push(required('provisioner', ''));
  else for (const m of qualifiedNameErrors(prov.toLowerCase())) out.push(invalid('provisioner', prov, m));
  const rp = o.reclaimPolicy;
  if (rp !== undefined && rp !== 'Delete' && rp !== 'Retain')
    out.push(notSupported('reclaimPolicy', rp, ['Delete', 'Retain']));
  const vbm = o.volumeBindingMode;
  if (vbm !== undefined && vbm !== 'Immediate' && vbm !== 'WaitForFirstConsumer')
    out.push(notSupported('volumeBindingMode', vbm, ['Immediate', 'WaitForFirstConsumer']));
  const params = objAt(o.parameters) ?? {};
  if (Object.keys(params).length > 512) out.push(invalid('parameters', '', 'can have at most 512 parameters'));
  for (const [i, t] of arrAt(o.allowedTopologies).entries()) {
    if (arrAt(objAt(t)?.matchLabelExpressions).length === 0)
      out.push(
        required(
          child(index('allowedTopologies', i), 'matchLabelExpressions'),
          'must have at least one label value requirement',
        ),
      );
  }
  return out;
}

export function validateStorageClassUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const n = obj as Obj;
  const o = old as Obj;
  const out = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateStorageClass(obj)];
  if (!jsonEqual(n.parameters ?? {}, o.parameters ?? {}))
    out.push(forbidden('parameters', 'updates to parameters are forbidden.'));
  if (n.provisioner !== o.provisioner) out.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (n.reclaimPolicy !== o.reclaimPolicy)
    out.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  if (n.volumeBindingMode !== o.volumeBindingMode)
    out.push(immutable('volumeBindingMode', n.volumeBindingMode ?? null));
  return out;
}
