import { ApiError } from '@skiff/api-machinery';
import type { KubeObject } from '@skiff/api-machinery';
import { admitServerless } from './serverless.admission';
import { applyDefaults } from './defaults';
import { podObject, resourceType, templateOf } from './spec-fixtures';

function refusal(fn: () => void): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

const deployment = (spec: Record<string, unknown>): KubeObject => ({
  metadata: { name: 'web' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: templateOf(spec) },
});

describe(admitServerless.name, () => {
  it('refuses every DaemonSet with a reason', () => {
    const err = refusal(() => admitServerless(resourceType('apps', 'DaemonSet'), { metadata: { name: 'x' } }));
    expect(err.code).toBe(403);
    expect(err.message).toBe(
      'daemonsets.apps "x" is forbidden: Skiff is serverless: there are no nodes to run a DaemonSet on; run the workload as a Deployment instead',
    );
  });

  it('refuses NodePort services and node ports, accepts LoadBalancer', () => {
    const svc = resourceType('', 'Service');
    expect(
      refusal(() => admitServerless(svc, { metadata: { name: 's' }, spec: { type: 'NodePort' } })).message,
    ).toContain('services "s" is forbidden: Skiff is serverless: there are no nodes to open a NodePort on');
    const lbWithNodePort = {
      metadata: { name: 's' },
      spec: { type: 'LoadBalancer', ports: [{ port: 80, nodePort: 30080 }] },
    };
    expect(refusal(() => admitServerless(svc, lbWithNodePort)).message).toContain('spec.ports[0].nodePort: 30080');
    const lb = applyDefaults(svc, { metadata: { name: 's' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
    expect(() => admitServerless(svc, lb)).not.toThrow();
  });

  it('names the offending field in pod templates', () => {
    const err = refusal(() =>
      admitServerless(
        resourceType('apps', 'Deployment'),
        deployment({ volumes: [{ name: 'h', hostPath: { path: '/' } }] }),
      ),
    );
    expect(err.message).toContain('spec.template.spec.volumes[0].hostPath');
    expect(err.message).toMatch(/^deployments.apps "web" is forbidden: Skiff is serverless: /);
  });

  it.each([
    [{ hostNetwork: true }, 'spec.hostNetwork'],
    [{ hostPID: true }, 'spec.hostPID'],
    [{ hostIPC: true }, 'spec.hostIPC'],
    [
      { initContainers: [{ name: 'i', image: 'x', securityContext: { privileged: true } }] },
      'spec.initContainers[0].securityContext.privileged',
    ],
    [
      { containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] }] },
      'spec.containers[0].ports[0].hostPort',
    ],
  ])('refuses pods asking for host access %#', (spec, field) => {
    const err = refusal(() => admitServerless(resourceType('', 'Pod'), podObject(spec)));
    expect(err.message).toContain(field);
    expect(err.reason).toBe('Forbidden');
  });

  it('looks inside a CronJob job template', () => {
    const cj = {
      metadata: { name: 'c' },
      spec: { schedule: '@daily', jobTemplate: { spec: { template: templateOf({ hostNetwork: true }) } } },
    };
    expect(refusal(() => admitServerless(resourceType('batch', 'CronJob'), cj)).message).toContain(
      'spec.jobTemplate.spec.template.spec.hostNetwork',
    );
  });

  it('accepts an ordinary pod', () => {
    expect(() => admitServerless(resourceType('', 'Pod'), podObject())).not.toThrow();
  });
});
