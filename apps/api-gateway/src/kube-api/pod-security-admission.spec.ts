import { ApiError, KubeObject } from '@skiff/api-machinery';
import { ResourceRegistry } from '@skiff/api-server';
import { admitPodSecurity, namespaceLabelWarnings } from './pod-security-admission';
import { parseRequestInfo } from './request-info';
import { resolveResource, ResourceContext } from './resource-context';

const registry = new ResourceRegistry();
const ctx = (path: string): ResourceContext =>
  resolveResource(registry, parseRequestInfo('POST', path, new URLSearchParams())!, path);
const PODS = ctx('/api/v1/namespaces/dev/pods');
const DEPLOYMENTS = ctx('/apis/apps/v1/namespaces/dev/deployments');

const namespace = (labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'dev', labels },
});
const spec = { containers: [{ name: 'app', image: 'busybox', securityContext: { privileged: true } }] };
const pod = (name = 'p'): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'dev' }, spec });
const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'dev' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec } },
};
const PRIVILEGED = 'privileged (container "app" must not set securityContext.privileged=true)';

describe(admitPodSecurity.name, () => {
  it('refuses a pod under enforce with 403', () => {
    const err = (() => {
      try {
        admitPodSecurity(PODS, pod(), namespace({ 'pod-security.kubernetes.io/enforce': 'baseline' }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(403);
    expect((err as ApiError).message).toBe(
      `pods "p" is forbidden: violates PodSecurity "baseline:latest": ${PRIVILEGED}`,
    );
  });

  it('warns and audits without refusing under warn and audit', () => {
    const out = admitPodSecurity(
      PODS,
      pod(),
      namespace({
        'pod-security.kubernetes.io/warn': 'baseline',
        'pod-security.kubernetes.io/audit': 'baseline',
        'pod-security.kubernetes.io/audit-version': 'v1.30',
      }),
    );
    expect(out.warnings).toEqual([`would violate PodSecurity "baseline:latest": ${PRIVILEGED}`]);
    expect(out.auditAnnotations).toEqual({
      'pod-security.kubernetes.io/audit-violations': `would violate PodSecurity "baseline:v1.30": ${PRIVILEGED}`,
    });
  });

  it('only warns for a workload, even under enforce', () => {
    const out = admitPodSecurity(
      DEPLOYMENTS,
      deployment,
      namespace({ 'pod-security.kubernetes.io/enforce': 'baseline' }),
    );
    expect(out.warnings).toEqual([`would violate PodSecurity "baseline:latest": ${PRIVILEGED}`]);
  });

  it('leaves a namespace without labels alone', () => {
    expect(admitPodSecurity(PODS, pod(), namespace({}))).toEqual({ warnings: [], auditAnnotations: {} });
  });
});

describe(namespaceLabelWarnings.name, () => {
  it('lists the existing pods a new enforce level would refuse, grouped', async () => {
    const next = namespace({ 'pod-security.kubernetes.io/enforce': 'baseline' });
    const warnings = await namespaceLabelWarnings(next, namespace({}), async () => [pod('a'), pod('b'), pod('c')]);
    expect(warnings).toEqual([
      'existing pods in namespace "dev" violate the new PodSecurity enforce level "baseline:latest"',
      'a (and 2 other pods): privileged',
    ]);
    expect(await namespaceLabelWarnings(next, next, async () => [pod()])).toEqual([]);
  });
});
