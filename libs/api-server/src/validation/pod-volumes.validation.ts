// Pod volumes and volume mounts (pkg/apis/core/validation: ValidateVolumes, ValidateVolumeMounts).
import type { StatusCause } from '@skiff/api-machinery';
import { child, duplicate, forbidden, index, invalid, notFound, notSupported, required } from './field-errors';
import { arrAt, numAt, objAt, strAt, type Obj } from './json-access';
import { dns1123LabelErrors, QUANTITY_FORMAT_ERROR, tryParseQuantity } from '@skiff/api-machinery';

export const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
] as const;

const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';

function validateMode(v: unknown, path: string): StatusCause[] {
  const n = numAt(v);
  if (v === undefined || v === null) return [];
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 0o777) return [invalid(path, v, FILE_MODE_ERROR)];
  return [];
}

function validateKeyToPath(items: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [i, raw] of arrAt(items).entries()) {
    const it = objAt(raw) ?? {};
    const p = index(path, i);
    if (!strAt(it.key)) out.push(required(child(p, 'key'), ''));
    const target = strAt(it.path) ?? '';
    if (!target) out.push(required(child(p, 'path'), ''));
    else out.push(...validateLocalDescendingPath(target, child(p, 'path')));
    out.push(...validateMode(it.mode, child(p, 'mode')));
  }
  return out;
}

/** `validateLocalDescendingPath`: relative, no '..' element. */
export function validateLocalDescendingPath(target: string, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (target.startsWith('/')) out.push(invalid(path, target, 'must be a relative path'));
  if (target.split(/[\\/]/).includes('..')) out.push(invalid(path, target, "must not contain '..'"));
  return out;
}

function validateSource(kind: string, src: Obj, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  switch (kind) {
    case 'configMap':
      if (!strAt(src.name)) out.push(required(child(path, 'name'), ''));
      out.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      out.push(...validateKeyToPath(src.items, child(path, 'items')));
      break;
    case 'secret':
      if (!strAt(src.secretName)) out.push(required(child(path, 'secretName'), ''));
      out.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      out.push(...validateKeyToPath(src.items, child(path, 'items')));
      break;
    case 'persistentVolumeClaim':
      if (!strAt(src.claimName)) out.push(required(child(path, 'claimName'), ''));
      break;
    case 'hostPath':
      if (!strAt(src.path)) out.push(required(child(path, 'path'), ''));
      break;
    case 'nfs':
      if (!strAt(src.server)) out.push(required(child(path, 'server'), ''));
      if (!strAt(src.path)) out.push(required(child(path, 'path'), ''));
      else if (!String(src.path).startsWith('/'))
        out.push(invalid(child(path, 'path'), src.path, 'must be an absolute path'));
      break;
    case 'flexVolume':
      if (!strAt(src.driver)) out.push(required(child(path, 'driver'), ''));
      break;
    case 'csi':
      if (!strAt(src.driver)) out.push(required(child(path, 'driver'), ''));
      break;
    case 'emptyDir': {
      const medium = strAt(src.medium) ?? '';
      if (!['', 'Memory', 'HugePages'].includes(medium) && !medium.startsWith('HugePages-')) {
        out.push(invalid(child(path, 'medium'), medium, 'must be empty, "Memory" or "HugePages"'));
      }
      if (src.sizeLimit !== undefined && src.sizeLimit !== null) {
        const q =
          typeof src.sizeLimit === 'string' || typeof src.sizeLimit === 'number'
            ? tryParseQuantity(src.sizeLimit)
            : undefined;
        if (!q) out.push(invalid(child(path, 'sizeLimit'), src.sizeLimit, QUANTITY_FORMAT_ERROR));
        else if (q.value < 0)
          out.push(invalid(child(path, 'sizeLimit'), src.sizeLimit, 'must be greater than or equal to 0'));
      }
      break;
    }
    case 'downwardAPI':
    case 'projected':
      out.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      break;
    default:
      break;
  }
  return out;
}

/** Validates `volumes` and returns the set of declared names for the mount checks. */
export function validateVolumes(volumes: unknown, path: string): { causes: StatusCause[]; names: Set<string> } {
  const out: StatusCause[] = [];
  const names = new Set<string>();
  for (const [i, raw] of arrAt(volumes).entries()) {
    const vol = objAt(raw) ?? {};
    const p = index(path, i);
    const name = strAt(vol.name) ?? '';
    if (!name) out.push(required(child(p, 'name'), ''));
    else {
      for (const m of dns1123LabelErrors(name)) out.push(invalid(child(p, 'name'), name, m));
      if (names.has(name)) out.push(duplicate(child(p, 'name'), name));
      names.add(name);
    }
    const present = VOLUME_SOURCES.filter((k) => vol[k] !== undefined && vol[k] !== null);
    if (present.length === 0) out.push(required(p, 'must specify a volume type'));
    for (const extra of present.slice(1))
      out.push(forbidden(child(p, extra), 'may not specify more than 1 volume type'));
    if (present[0]) out.push(...validateSource(present[0], objAt(vol[present[0]]) ?? {}, child(p, present[0])));
  }
  return { causes: out, names };
}

export function validateVolumeMounts(mounts: unknown, volumes: Set<string>, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  const paths = new Set<string>();
  for (const [i, raw] of arrAt(mounts).entries()) {
    const m = objAt(raw) ?? {};
    const p = index(path, i);
    const name = strAt(m.name) ?? '';
    if (!name) out.push(required(child(p, 'name'), ''));
    else if (!volumes.has(name)) out.push(notFound(child(p, 'name'), name));
    const mountPath = strAt(m.mountPath) ?? '';
    if (!mountPath) out.push(required(child(p, 'mountPath'), ''));
    else if (paths.has(mountPath)) out.push(invalid(child(p, 'mountPath'), mountPath, 'must be unique'));
    paths.add(mountPath);
    const subPath = strAt(m.subPath);
    if (subPath) out.push(...validateLocalDescendingPath(subPath, child(p, 'subPath')));
    const prop = strAt(m.mountPropagation);
    if (prop !== undefined && !['None', 'HostToContainer', 'Bidirectional'].includes(prop)) {
      out.push(notSupported(child(p, 'mountPropagation'), prop, ['Bidirectional', 'HostToContainer', 'None']));
    }
  }
  return out;
}
