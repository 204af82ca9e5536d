import { isDns1123Label } from '@skiff/api-machinery';
import { Container, EnvVar, Pod } from '@skiff/kube-types';
import { LogStoreSettings } from '@skiff/messaging';
import * as path from 'node:path';

// ASK's log collection without a DaemonSet: each container's env says what to collect and where it goes
// (see /work/shared/notes on ASK conventions and docs/log-collection.md).

/** `"false"` turns collection off for the pod. */
export const ECI_SLS_ENABLE = 'k8s.aliyun.com/eci-sls-enable';
const PREFIX = 'aliyun_logs_';
const KEY = /^[a-z0-9-]+$/;
const SUFFIXES = ['tags', 'logstore', 'project', 'ttl', 'shard', 'logstoremode', 'machinegroup'] as const;
type Suffix = (typeof SUFFIXES)[number];

/** Where one `aliyun_logs_{key}` sends what it collects. */
export interface LogTarget {
  key: string;
  store: LogStoreSettings;
  tags: Record<string, string>;
}

/** `aliyun_logs_{key}=/dir/pattern`: files on one of the container's volumes. */
export interface FileLogTarget extends LogTarget {
  /** The value as written: the path or glob inside the container. */
  glob: string;
  /** The directory inside the container, and where it is in the volume (subPath included). */
  containerDir: string;
  volume: string;
  dirInVolume: string;
  /** The file name, `*` and `?` as wildcards. */
  pattern: string;
}

export interface ContainerLogTargets {
  container: string;
  stdout: LogTarget[];
  files: FileLogTarget[];
}

export function logCollectionEnabled(pod: Pod): boolean {
  return pod.metadata.annotations?.[ECI_SLS_ENABLE] !== 'false';
}

interface KeyVars {
  main?: EnvVar;
  suffixes: Partial<Record<Suffix, EnvVar>>;
}

/**
 * What the container's `aliyun_logs_*` env asks to collect. Only plain `value`s count: `valueFrom` and `$(VAR)`
 * references are not resolved. Each variable that is wrong is skipped, and said so in `problems`.
 */
export function containerLogTargets(pod: Pod, c: Container): { targets: ContainerLogTargets; problems: string[] } {
  const problems: string[] = [];
  const targets: ContainerLogTargets = { container: c.name, stdout: [], files: [] };
  const problem = (v: EnvVar, why: string) => problems.push(`container ${c.name}: ${v.name}: ${why}; ignored`);
  const byKey = new Map<string, KeyVars>();
  for (const v of c.env ?? []) {
    if (!v.name.startsWith(PREFIX)) continue;
    const rest = v.name.slice(PREFIX.length);
    const cut = rest.indexOf('_');
    const key = cut < 0 ? rest : rest.slice(0, cut);
    const suffix = cut < 0 ? undefined : rest.slice(cut + 1);
    if (!KEY.test(key)) {
      problem(v, 'the logstore key must be lowercase letters, digits and "-"');
      continue;
    }
    if (suffix !== undefined && !(SUFFIXES as readonly string[]).includes(suffix)) {
      problem(v, `unknown suffix "_${suffix}" (one of ${SUFFIXES.map((s) => `_${s}`).join(', ')})`);
      continue;
    }
    if (v.value === undefined || v.value === '') {
      problem(v, v.valueFrom ? 'valueFrom is not resolved for log collection, give a plain value' : 'empty value');
      continue;
    }
    const vars = byKey.get(key) ?? { suffixes: {} };
    byKey.set(key, vars);
    // As in the container's env, a later entry of the same name wins.
    if (suffix === undefined) vars.main = v;
    else vars.suffixes[suffix as Suffix] = v;
  }
  for (const [key, vars] of byKey) {
    if (!vars.main) {
      for (const v of Object.values(vars.suffixes))
        problem(v, `there is no ${PREFIX}${key} saying what to collect for it`);
      continue;
    }
    const target = targetOf(pod, key, vars, problem);
    if (!target) continue;
    const value = vars.main.value!;
    if (value === 'stdout') {
      targets.stdout.push(target);
      continue;
    }
    const where = fileLocation(c, value);
    if (typeof where === 'string') problem(vars.main, where);
    else targets.files.push({ ...target, glob: value, ...where });
  }
  return { targets, problems };
}

function targetOf(
  pod: Pod,
  key: string,
  vars: KeyVars,
  problem: (v: EnvVar, why: string) => void,
): LogTarget | undefined {
  const s = vars.suffixes;
  let name = key;
  if (s.logstore) {
    if (isDns1123Label(s.logstore.value!)) name = s.logstore.value!;
    else problem(s.logstore, 'a logstore name must be a DNS label (lowercase letters, digits, "-", at most 63)');
  }
  if (!isDns1123Label(name)) {
    problem(vars.main!, `"${name}" cannot name a logstore (a DNS label: lowercase letters, digits, "-", at most 63)`);
    return undefined;
  }
  const number = (v: EnvVar | undefined, lo: number, hi: number, fallback: number): number => {
    if (!v) return fallback;
    const n = /^\d+$/.test(v.value!) ? Number(v.value) : NaN;
    if (n >= lo && n <= hi) return n;
    problem(v, `"${v.value}" must be a whole number from ${lo} to ${hi}`);
    return fallback;
  };
  let mode: LogStoreSettings['mode'] = 'standard';
  if (s.logstoremode) {
    const m = s.logstoremode.value;
    if (m === 'standard' || m === 'query') mode = m;
    else problem(s.logstoremode, `"${m}" must be "standard" or "query"`);
  }
  const store: LogStoreSettings = {
    namespace: pod.metadata.namespace ?? 'default',
    name,
    ttlDays: number(s.ttl, 1, 3650, 90),
    shards: number(s.shard, 1, 10, 2),
    mode,
    ...(s.project ? { project: s.project.value } : {}),
  };
  return { key, store, tags: s.tags ? tagsOf(s.tags, problem) : {} };
}

// `k=v,k2=v2`: a variable with any entry that is not k=v is skipped whole.
function tagsOf(v: EnvVar, problem: (v: EnvVar, why: string) => void): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const entry of v.value!.split(',')) {
    const eq = entry.indexOf('=');
    const k = eq < 0 ? '' : entry.slice(0, eq).trim();
    if (!k) {
      problem(v, `"${entry}" is not key=value (tags are comma-separated key=value pairs)`);
      return {};
    }
    tags[k] = entry.slice(eq + 1).trim();
  }
  return tags;
}

// The path's directory must be on a volume mounted in the container: the agent reads it there, on the host.
function fileLocation(
  c: Container,
  value: string,
): Pick<FileLogTarget, 'containerDir' | 'volume' | 'dirInVolume' | 'pattern'> | string {
  if (!value.startsWith('/'))
    return `"${value}" must be "stdout" or an absolute path or pattern such as /var/log/app/*.log`;
  if (value.endsWith('/')) return `"${value}" names a directory: give a file name or a pattern such as ${value}*.log`;
  const file = path.posix.normalize(value);
  const containerDir = path.posix.dirname(file);
  const pattern = path.posix.basename(file);
  if (/[*?]/.test(containerDir)) return `"${value}": wildcards are only supported in the file name`;
  let best: { volume: string; dirInVolume: string; depth: number } | undefined;
  for (const m of c.volumeMounts ?? []) {
    const mount = path.posix.normalize(m.mountPath).replace(/\/$/, '') || '/';
    const inside = containerDir === mount || containerDir.startsWith(mount === '/' ? '/' : `${mount}/`);
    if (!inside || (best && best.depth >= mount.length) || m.subPathExpr) continue;
    const rel = path.posix.relative(mount, containerDir);
    best = { volume: m.name, dirInVolume: path.posix.join(m.subPath ?? '', rel), depth: mount.length };
  }
  if (!best)
    return `"${value}" is not on a volume mounted in the container (an emptyDir, say): only volumes are collected from`;
  return { containerDir, volume: best.volume, dirInVolume: best.dirInVolume, pattern };
}

/** The file-name pattern as a matcher: `*` any run, `?` one character; neither matches a leading dot. */
export function fileNameMatcher(pattern: string): (name: string) => boolean {
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((ch) => (ch === '*' ? '[^/]*' : ch === '?' ? '[^/]' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join('')}$`,
  );
  const dotted = pattern.startsWith('.');
  return (name) => (dotted || !name.startsWith('.')) && re.test(name);
}
