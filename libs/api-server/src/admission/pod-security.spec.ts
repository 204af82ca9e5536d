import { formatViolations, namespacePolicy, podSecurityViolations } from './pod-security';

const meta = { name: 'p', namespace: 'ns' };
const app = (securityContext?: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: 'app',
  image: 'busybox',
  ...(securityContext ? { securityContext } : {}),
  ...extra,
});
const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

describe(podSecurityViolations.name, () => {
  it("words a plain pod's restricted violations as upstream, in upstream's order", () => {
    expect(formatViolations(podSecurityViolations('restricted', meta, { containers: [app()] }))).toBe(
      'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    expect(podSecurityViolations('baseline', meta, { containers: [app()] })).toEqual([]);
    expect(podSecurityViolations('restricted', meta, { containers: [app(RESTRICTED_CONTAINER)] })).toEqual([]);
  });

  it('puts baseline checks first at the restricted level', () => {
    const spec = { hostNetwork: true, containers: [app({ ...RESTRICTED_CONTAINER, privileged: true })] };
    expect(formatViolations(podSecurityViolations('restricted', meta, spec))).toBe(
      'host namespaces (hostNetwork=true), privileged (container "app" must not set securityContext.privileged=true)',
    );
  });

  it('checks the baseline level', () => {
    const spec = {
      hostPID: true,
      hostIPC: true,
      securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }], seccompProfile: { type: 'Unconfined' } },
      volumes: [{ name: 'root', hostPath: { path: '/' } }],
      containers: [
        app(
          { capabilities: { add: ['SYS_ADMIN', 'CHOWN', 'NET_ADMIN'] }, procMount: 'Unmasked' },
          { ports: [{ containerPort: 80, hostPort: 8080 }] },
        ),
        { name: 'b', image: 'busybox', securityContext: { privileged: true, seLinuxOptions: { type: 'spc_t' } } },
      ],
    };
    expect(podSecurityViolations('baseline', meta, spec).map((r) => `${r.reason}: ${r.detail}`)).toEqual([
      'non-default capabilities: container "app" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add',
      'host namespaces: hostPID=true, hostIPC=true',
      'hostPath volumes: volume "root"',
      'hostPort: container "app" uses hostPort 8080',
      'privileged: container "b" must not set securityContext.privileged=true',
      'procMount: container "app" must not set securityContext.procMount to "Unmasked"',
      'seLinuxOptions: container "b" set forbidden securityContext.seLinuxOptions: type "spc_t"',
      'seccompProfile: pod must not set securityContext.seccompProfile.type to "Unconfined"',
      'forbidden sysctls: kernel.msgmax',
    ]);
  });

  it('accepts restricted settings on the pod and words explicit refusals', () => {
    const spec = {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [{ name: 'data', nfs: { server: 'x', path: '/' } }],
      containers: [
        app({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE', 'NET_RAW'] } }),
        { name: 'b', securityContext: { ...RESTRICTED_CONTAINER, runAsNonRoot: false, runAsUser: 0 } },
      ],
    };
    expect(podSecurityViolations('restricted', meta, spec).map((r) => `${r.reason}: ${r.detail}`)).toEqual([
      'unrestricted capabilities: container "app" must not include "NET_RAW" in securityContext.capabilities.add',
      'restricted volume types: volume "data" uses restricted volume type "nfs"',
      'runAsNonRoot != true: container "b" must not set securityContext.runAsNonRoot=false',
      'runAsUser=0: container "b" must not set runAsUser=0',
    ]);
  });
});

describe(namespacePolicy.name, () => {
  it('reads the labels, with warn following enforce when unset', () => {
    const p = namespacePolicy({
      'pod-security.kubernetes.io/enforce': 'baseline',
      'pod-security.kubernetes.io/enforce-version': 'v1.30',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
    expect(p).toEqual({
      enforce: { level: 'baseline', version: 'v1.30' },
      audit: { level: 'restricted', version: 'latest' },
      warn: { level: 'baseline', version: 'v1.30' },
    });
    expect(namespacePolicy(undefined).enforce.level).toBe('privileged');
    expect(namespacePolicy({ 'pod-security.kubernetes.io/enforce': 'bogus' }).enforce.level).toBe('restricted');
  });
});
