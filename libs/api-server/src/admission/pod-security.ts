// Pod Security Admission (k8s.io/pod-security-admission): the Pod Security Standards' checks at the
// baseline and restricted levels, the namespace labels that choose them, and upstream's messages.
import { isJsonObject, JsonObject, KubeObject } from '@skiff/api-machinery';

const obj = (v: unknown): JsonObject => (isJsonObject(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';
export const POD_SECURITY_LABEL_PREFIX = 'pod-security.kubernetes.io/';
export const AUDIT_VIOLATIONS_ANNOTATION = 'pod-security.kubernetes.io/audit-violations';
export const ENFORCE_POLICY_ANNOTATION = 'pod-security.kubernetes.io/enforce-policy';

export interface CheckResult {
  reason: string;
  detail: string;
}
interface PodView {
  meta: KubeObject['metadata'];
  spec: Record<string, unknown>;
  /** Init, app and ephemeral containers, in upstream's visiting order. */
  containers: JsonObject[];
}
interface Check {
  id: string;
  level: 'baseline' | 'restricted';
  overrides?: string[];
  run(p: PodView): CheckResult | undefined;
}

const pluralize = (one: string, many: string, n: number): string => (n === 1 ? one : many);
const joinQuote = (items: readonly string[]): string => items.map((i) => JSON.stringify(i)).join(', ');
const sc = (c: JsonObject): JsonObject => obj(c.securityContext);
const podSc = (p: PodView): JsonObject => obj(p.spec.securityContext);
const nameOf = (c: JsonObject): string => String(c.name ?? '');

/** Containers failing `bad`, as `container "a"` / `containers "a", "b"`. */
function containersWhere(p: PodView, bad: (c: JsonObject) => boolean): string[] {
  return p.containers.filter(bad).map(nameOf);
}
const subject = (names: string[], one = 'container', many = 'containers'): string =>
  `${pluralize(one, many, names.length)} ${joinQuote(names)}`;

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

function addedCapabilities(c: JsonObject): string[] {
  return arr(obj(sc(c).capabilities).add).map(String);
}

function seccompType(o: JsonObject): string | undefined {
  return str(obj(o.seccompProfile).type);
}

const CHECKS: Check[] = [
  {
    id: 'appArmorProfile',
    level: 'baseline',
    run: (p) => {
      const ok = (t: string | undefined) => t === undefined || t === 'RuntimeDefault' || t === 'Localhost';
      const bad: string[] = [];
      const podType = str(obj(podSc(p).appArmorProfile).type);
      if (!ok(podType)) bad.push(`pod securityContext.appArmorProfile.type="${podType}"`);
      for (const c of p.containers) {
        const t = str(obj(sc(c).appArmorProfile).type);
        if (!ok(t)) bad.push(`container "${nameOf(c)}" securityContext.appArmorProfile.type="${t}"`);
      }
      for (const [k, v] of Object.entries(p.meta.annotations ?? {}).sort()) {
        if (
          k.startsWith(APPARMOR_ANNOTATION_PREFIX) &&
          v !== '' &&
          v !== 'runtime/default' &&
          !v.startsWith('localhost/')
        )
          bad.push(`${k}=${JSON.stringify(v)}`);
      }
      return bad.length === 0
        ? undefined
        : {
            reason: pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', bad.length),
            detail: bad.join(', '),
          };
    },
  },
  {
    id: 'capabilities_baseline',
    level: 'baseline',
    run: (p) => {
      const caps = new Set<string>();
      const bad = containersWhere(p, (c) => {
        const extra = addedCapabilities(c).filter((cap) => !BASELINE_CAPABILITIES.has(cap));
        extra.forEach((cap) => caps.add(cap));
        return extra.length > 0;
      });
      if (bad.length === 0) return undefined;
      return {
        reason: 'non-default capabilities',
        detail: `${subject(bad)} must not include ${joinQuote([...caps].sort())} in securityContext.capabilities.add`,
      };
    },
  },
  {
    id: 'hostNamespaces',
    level: 'baseline',
    run: (p) => {
      const set = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((f) => p.spec[f] === true);
      return set.length === 0
        ? undefined
        : { reason: 'host namespaces', detail: set.map((f) => `${f}=true`).join(', ') };
    },
  },
  {
    id: 'hostPathVolumes',
    level: 'baseline',
    run: (p) => {
      const bad = arr(p.spec.volumes)
        .map(obj)
        .filter((v) => v.hostPath !== undefined)
        .map(nameOf);
      return bad.length === 0 ? undefined : { reason: 'hostPath volumes', detail: subject(bad, 'volume', 'volumes') };
    },
  },
  {
    id: 'hostPorts',
    level: 'baseline',
    run: (p) => {
      const ports: string[] = [];
      const bad = containersWhere(p, (c) => {
        const hp = arr(c.ports)
          .map((x) => obj(x).hostPort)
          .filter((x): x is number => typeof x === 'number' && x !== 0);
        ports.push(...hp.map(String));
        return hp.length > 0;
      });
      if (bad.length === 0) return undefined;
      return {
        reason: 'hostPort',
        detail: `${subject(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', ports.length)} ${ports.join(', ')}`,
      };
    },
  },
  {
    id: 'privileged',
    level: 'baseline',
    run: (p) => {
      const bad = containersWhere(p, (c) => sc(c).privileged === true);
      return bad.length === 0
        ? undefined
        : { reason: 'privileged', detail: `${subject(bad)} must not set securityContext.privileged=true` };
    },
  },
  {
    id: 'procMount',
    level: 'baseline',
    run: (p) => {
      const types = new Set<string>();
      const bad = containersWhere(p, (c) => {
        const t = str(sc(c).procMount);
        if (t === undefined || t === '' || t === 'Default') return false;
        types.add(t);
        return true;
      });
      if (bad.length === 0) return undefined;
      return {
        reason: 'procMount',
        detail: `${subject(bad)} must not set securityContext.procMount to ${joinQuote([...types])}`,
      };
    },
  },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    run: (p) => {
      const problems = (o: JsonObject): string[] => {
        const se = obj(o.seLinuxOptions);
        const out: string[] = [];
        const type = str(se.type) ?? '';
        if (!SELINUX_TYPES.has(type)) out.push(`type ${JSON.stringify(type)}`);
        if ((str(se.user) ?? '') !== '') out.push(`user ${JSON.stringify(se.user)}`);
        if ((str(se.role) ?? '') !== '') out.push(`role ${JSON.stringify(se.role)}`);
        return out;
      };
      const setters: string[] = [];
      const podProblems = problems(podSc(p));
      if (podProblems.length > 0)
        setters.push(`pod set forbidden securityContext.seLinuxOptions: ${podProblems.join('; ')}`);
      for (const c of p.containers) {
        const cp = problems(sc(c));
        if (cp.length > 0)
          setters.push(
            `container ${JSON.stringify(nameOf(c))} set forbidden securityContext.seLinuxOptions: ${cp.join('; ')}`,
          );
      }
      return setters.length === 0 ? undefined : { reason: 'seLinuxOptions', detail: setters.join('; ') };
    },
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    run: (p) => {
      const details: string[] = [];
      if (seccompType(podSc(p)) === 'Unconfined')
        details.push('pod must not set securityContext.seccompProfile.type to "Unconfined"');
      const bad = containersWhere(p, (c) => seccompType(sc(c)) === 'Unconfined');
      if (bad.length > 0)
        details.push(`${subject(bad)} must not set securityContext.seccompProfile.type to "Unconfined"`);
      return details.length === 0 ? undefined : { reason: 'seccompProfile', detail: details.join('; ') };
    },
  },
  {
    id: 'sysctls',
    level: 'baseline',
    run: (p) => {
      const bad = arr(podSc(p).sysctls)
        .map((s) => String(obj(s).name ?? ''))
        .filter((n) => !SAFE_SYSCTLS.has(n));
      return bad.length === 0 ? undefined : { reason: 'forbidden sysctls', detail: bad.join(', ') };
    },
  },
  {
    id: 'windowsHostProcess',
    level: 'baseline',
    run: (p) => {
      const details: string[] = [];
      if (obj(podSc(p).windowsOptions).hostProcess === true)
        details.push('pod must not set securityContext.windowsOptions.hostProcess=true');
      const bad = containersWhere(p, (c) => obj(sc(c).windowsOptions).hostProcess === true);
      if (bad.length > 0) details.push(`${subject(bad)} must not set securityContext.windowsOptions.hostProcess=true`);
      return details.length === 0 ? undefined : { reason: 'hostProcess', detail: details.join('; ') };
    },
  },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    run: (p) => {
      const bad = containersWhere(p, (c) => sc(c).allowPrivilegeEscalation !== false);
      return bad.length === 0
        ? undefined
        : {
            reason: 'allowPrivilegeEscalation != false',
            detail: `${subject(bad)} must set securityContext.allowPrivilegeEscalation=false`,
          };
    },
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    overrides: ['capabilities_baseline'],
    run: (p) => {
      const noDrop = containersWhere(p, (c) => !arr(obj(sc(c).capabilities).drop).includes('ALL'));
      const caps = new Set<string>();
      const badAdd = containersWhere(p, (c) => {
        const extra = addedCapabilities(c).filter((cap) => cap !== 'NET_BIND_SERVICE');
        extra.forEach((cap) => caps.add(cap));
        return extra.length > 0;
      });
      const details: string[] = [];
      if (noDrop.length > 0) details.push(`${subject(noDrop)} must set securityContext.capabilities.drop=["ALL"]`);
      if (badAdd.length > 0)
        details.push(
          `${subject(badAdd)} must not include ${joinQuote([...caps].sort())} in securityContext.capabilities.add`,
        );
      return details.length === 0 ? undefined : { reason: 'unrestricted capabilities', detail: details.join('; ') };
    },
  },
  {
    id: 'restrictedVolumes',
    level: 'restricted',
    overrides: ['hostPathVolumes'],
    run: (p) => {
      const names: string[] = [];
      const types = new Set<string>();
      for (const v of arr(p.spec.volumes).map(obj)) {
        const bad = Object.keys(v).filter((k) => k !== 'name' && !RESTRICTED_VOLUME_TYPES.has(k));
        if (bad.length === 0) continue;
        names.push(nameOf(v));
        bad.forEach((t) => types.add(t));
      }
      if (names.length === 0) return undefined;
      return {
        reason: 'restricted volume types',
        detail: `${subject(names, 'volume', 'volumes')} ${pluralize('uses', 'use', names.length)} ${pluralize('restricted volume type', 'restricted volume types', types.size)} ${joinQuote([...types].sort())}`,
      };
    },
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    run: (p) => {
      const details: string[] = [];
      const pod = podSc(p).runAsNonRoot;
      if (pod === false) details.push('pod must not set securityContext.runAsNonRoot=false');
      const explicitFalse = containersWhere(p, (c) => sc(c).runAsNonRoot === false);
      if (explicitFalse.length > 0)
        details.push(`${subject(explicitFalse)} must not set securityContext.runAsNonRoot=false`);
      if (pod !== true) {
        const unset = containersWhere(p, (c) => sc(c).runAsNonRoot === undefined || sc(c).runAsNonRoot === null);
        if (unset.length > 0)
          details.push(
            `${subject(unset, 'pod or container', 'pod or containers')} must set securityContext.runAsNonRoot=true`,
          );
      }
      return details.length === 0 ? undefined : { reason: 'runAsNonRoot != true', detail: details.join('; ') };
    },
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    run: (p) => {
      const details: string[] = [];
      if (podSc(p).runAsUser === 0) details.push('pod must not set runAsUser=0');
      const bad = containersWhere(p, (c) => sc(c).runAsUser === 0);
      if (bad.length > 0) details.push(`${subject(bad)} must not set runAsUser=0`);
      return details.length === 0 ? undefined : { reason: 'runAsUser=0', detail: details.join('; ') };
    },
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    overrides: ['seccompProfile_baseline'],
    run: (p) => {
      const ok = (t: string | undefined) => t === 'RuntimeDefault' || t === 'Localhost';
      const details: string[] = [];
      const podType = seccompType(podSc(p));
      if (podType !== undefined && !ok(podType))
        details.push(`pod must not set securityContext.seccompProfile.type to ${JSON.stringify(podType)}`);
      const badTypes = new Set<string>();
      const bad = containersWhere(p, (c) => {
        const t = seccompType(sc(c));
        if (t === undefined || ok(t)) return false;
        badTypes.add(t);
        return true;
      });
      if (bad.length > 0)
        details.push(`${subject(bad)} must not set securityContext.seccompProfile.type to ${joinQuote([...badTypes])}`);
      if (!ok(podType)) {
        const unset = containersWhere(p, (c) => seccompType(sc(c)) === undefined);
        if (unset.length > 0)
          details.push(
            `${subject(unset, 'pod or container', 'pod or containers')} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
          );
      }
      return details.length === 0 ? undefined : { reason: 'seccompProfile', detail: details.join('; ') };
    },
  },
];

const byId = (a: Check, b: Check): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const BASELINE = CHECKS.filter((c) => c.level === 'baseline').sort(byId);
const RESTRICTED_ONLY = CHECKS.filter((c) => c.level === 'restricted').sort(byId);
const OVERRIDDEN = new Set(RESTRICTED_ONLY.flatMap((c) => c.overrides ?? []));
// Baseline's checks first (less those restricted replaces), then restricted's, each by ID, as upstream's registry.
const RESTRICTED = [...BASELINE.filter((c) => !OVERRIDDEN.has(c.id)), ...RESTRICTED_ONLY];

/** What a pod spec breaks at a level, in order; empty when it meets the level. */
export function podSecurityViolations(
  level: PodSecurityLevel,
  meta: KubeObject['metadata'],
  spec: Record<string, unknown>,
): CheckResult[] {
  if (level === 'privileged') return [];
  const containers = ['initContainers', 'containers', 'ephemeralContainers'].flatMap((k) => arr(spec[k]).map(obj));
  const view: PodView = { meta, spec, containers };
  return (level === 'baseline' ? BASELINE : RESTRICTED)
    .map((c) => c.run(view))
    .filter((r): r is CheckResult => r !== undefined);
}

export function formatViolations(results: readonly CheckResult[]): string {
  return results.map((r) => (r.detail ? `${r.reason} (${r.detail})` : r.reason)).join(', ');
}

/** A level and version chosen by a namespace's labels for one mode. */
export interface LevelVersion {
  level: PodSecurityLevel;
  version: string;
}
export interface NamespacePolicy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
}

const LEVELS = new Set<string>(['privileged', 'baseline', 'restricted']);
const VERSION = /^(latest|v1\.(0|[1-9][0-9]*))$/;

function levelVersion(labels: Record<string, string>, mode: string): LevelVersion | undefined {
  const level = labels[`${POD_SECURITY_LABEL_PREFIX}${mode}`];
  if (level === undefined) return undefined;
  const version = labels[`${POD_SECURITY_LABEL_PREFIX}${mode}-version`];
  // An unreadable label is evaluated at the strictest level, as upstream.
  return {
    level: LEVELS.has(level) ? (level as PodSecurityLevel) : 'restricted',
    version: version !== undefined && VERSION.test(version) ? version : 'latest',
  };
}

/** The policy a namespace's labels ask for; warn defaults to enforce when not set, as upstream. */
export function namespacePolicy(labels: Record<string, string> | undefined): NamespacePolicy {
  const l = labels ?? {};
  const privileged: LevelVersion = { level: 'privileged', version: 'latest' };
  const enforce = levelVersion(l, 'enforce') ?? privileged;
  return {
    enforce,
    audit: levelVersion(l, 'audit') ?? privileged,
    warn: levelVersion(l, 'warn') ?? enforce,
  };
}

export const policyName = (lv: LevelVersion): string => `${lv.level}:${lv.version}`;
