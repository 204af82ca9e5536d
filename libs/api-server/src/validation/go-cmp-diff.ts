// A go-cmp style report of how one JSON value differs from another, as kube-apiserver appends
// cmp.Diff(old, new) to "pod updates may not change fields other than ...": changed fields as
// -/+ lines with Go field names, identical neighbours folded into "... // N identical fields".
// go-cmp's own output is not stable (it varies its spacing on purpose); readers, not programs, use it.
import { jsonEqual, objAt } from './json-access';

const GO_NAMES: Record<string, string> = {
  dnsPolicy: 'DNSPolicy',
  dnsConfig: 'DNSConfig',
  hostIPC: 'HostIPC',
  hostPID: 'HostPID',
  hostIP: 'HostIP',
  tty: 'TTY',
  uid: 'UID',
};

// Element types of the PodSpec lists a user is likely to touch.
const LIST_TYPES: Record<string, string> = {
  containers: '[]core.Container',
  initContainers: '[]core.Container',
  ephemeralContainers: '[]core.EphemeralContainer',
  volumes: '[]core.Volume',
  tolerations: '[]core.Toleration',
  env: '[]core.EnvVar',
  envFrom: '[]core.EnvFromSource',
  ports: '[]core.ContainerPort',
  volumeMounts: '[]core.VolumeMount',
  imagePullSecrets: '[]core.LocalObjectReference',
  command: '[]string',
  args: '[]string',
};

function goName(key: string): string {
  return GO_NAMES[key] ?? key.charAt(0).toUpperCase() + key.slice(1);
}

function literal(v: unknown, key?: string): string {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `${(key && LIST_TYPES[key]) ?? ''}{${v.map((x) => literal(x)).join(', ')}}`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .map((k) => `${goName(k)}: ${literal(o[k], k)}`)
    .join(', ')}}`;
}

function line(mark: ' ' | '-' | '+', depth: number, text: string): string {
  return `${mark} ${'\t'.repeat(depth)}${text}`;
}

function folded(depth: number, count: number, what: 'fields' | 'elements'): string[] {
  return count === 0 ? [] : [line(' ', depth, `... // ${count} identical ${count === 1 ? what.slice(0, -1) : what}`)];
}

function diffValue(before: unknown, after: unknown, depth: number, label: string, key?: string): string[] {
  const bo = objAt(before);
  const ao = objAt(after);
  if (bo && ao) return diffStruct(bo, ao, depth, label, '');
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    const out = [line(' ', depth, `${label}${(key && LIST_TYPES[key]) ?? ''}{`)];
    let same = 0;
    before.forEach((b, i) => {
      if (jsonEqual(b, after[i])) return void same++;
      out.push(...folded(depth + 1, same, 'elements'));
      same = 0;
      out.push(...diffValue(b, after[i], depth + 1, ''));
    });
    out.push(...folded(depth + 1, same, 'elements'), line(' ', depth, '},'));
    return out;
  }
  return [line('-', depth, `${label}${literal(before, key)},`), line('+', depth, `${label}${literal(after, key)},`)];
}

function diffStruct(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  depth: number,
  label: string,
  typeName: string,
): string[] {
  const out = [line(' ', depth, `${label}${typeName}{`)];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (k) => before[k] !== undefined || after[k] !== undefined,
  );
  let same = 0;
  for (const k of keys) {
    if (jsonEqual(before[k], after[k])) {
      same++;
      continue;
    }
    out.push(...folded(depth + 1, same, 'fields'));
    same = 0;
    out.push(...diffValue(before[k], after[k], depth + 1, `${goName(k)}: `, k));
  }
  out.push(...folded(depth + 1, same, 'fields'), line(' ', depth, depth === 0 ? '}' : '},'));
  return out;
}

/** cmp.Diff(before, after) for two objects of Go type `typeName`, e.g. "core.PodSpec". */
export function goCmpDiff(before: Record<string, unknown>, after: Record<string, unknown>, typeName: string): string {
  return diffStruct(before, after, 0, '', typeName).join('\n');
}
