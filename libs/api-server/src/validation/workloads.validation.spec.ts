import type { KubeObject } from '@skiff/api-machinery';
import { applyDefaults } from './defaults';
import { validateObject } from './validate-object';
import { resourceType, templateOf } from './spec-fixtures';

const DEPLOY = resourceType('apps', 'Deployment');
const STS = resourceType('apps', 'StatefulSet');
const check = (type = DEPLOY, obj: KubeObject, old?: KubeObject) =>
  validateObject(type, applyDefaults(type, obj), old ? applyDefaults(type, old) : undefined);

function deployment(spec: Record<string, unknown> = {}, name = 'web'): KubeObject {
  return {
    metadata: { name, namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: templateOf(), ...spec },
  };
}

describe('apps/v1 workload validation', () => {
  it('accepts a plain Deployment', () => {
    expect(check(DEPLOY, deployment())).toEqual([]);
  });

  it('requires a selector that matches the template labels', () => {
    expect(check(DEPLOY, deployment({ selector: undefined }))).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' },
    ]);
    expect(check(DEPLOY, deployment({ selector: { matchLabels: { app: 'api' } } }))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.template.metadata.labels',
        message: 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      },
    ]);
  });

  it('rejects an empty selector', () => {
    const causes = check(DEPLOY, deployment({ selector: {} }));
    expect(causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.selector',
        message:
          'Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
      },
    ]);
  });

  it('checks replicas, strategy and surge', () => {
    expect(check(DEPLOY, deployment({ replicas: -1 }))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: -1: must be greater than or equal to 0',
      },
    ]);
    expect(check(DEPLOY, deployment({ strategy: { type: 'BlueGreen' } }))).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.strategy.type',
        message: 'Unsupported value: "BlueGreen": supported values: "Recreate", "RollingUpdate"',
      },
    ]);
    expect(
      check(
        DEPLOY,
        deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } }),
      ),
    ).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.strategy.rollingUpdate.maxUnavailable',
        message: 'Invalid value: 0%: may not be 0 when `maxSurge` is 0',
      },
    ]);
    expect(
      check(DEPLOY, deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots' } } }))[0]
        .message,
    ).toBe(
      "Invalid value: lots: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    );
  });

  it('requires restartPolicy Always in long-running templates', () => {
    expect(check(DEPLOY, deployment({ template: templateOf({ restartPolicy: 'Never' }) }))).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.template.spec.restartPolicy',
        message: 'Unsupported value: "Never": supported values: "Always"',
      },
    ]);
  });

  it('validates the pod template with template paths', () => {
    expect(
      check(
        DEPLOY,
        deployment({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app' }] } } }),
      ),
    ).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.template.spec.containers[0].image', message: 'Required value' },
    ]);
  });

  it('keeps the selector immutable on update', () => {
    const old = deployment();
    const changed = deployment({
      selector: { matchLabels: { app: 'web', tier: 'x' } },
      template: templateOf({}, { app: 'web', tier: 'x' }),
    });
    expect(check(DEPLOY, changed, old)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.selector',
        message:
          'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      },
    ]);
    expect(check(DEPLOY, deployment({ replicas: 5 }), old)).toEqual([]);
  });

  it('uses DNS labels for StatefulSet names and forbids most spec updates', () => {
    const sts = (spec: Record<string, unknown> = {}, name = 'db'): KubeObject => ({
      metadata: { name },
      spec: { serviceName: 'db', selector: { matchLabels: { app: 'web' } }, template: templateOf(), ...spec },
    });
    expect(check(STS, sts())).toEqual([]);
    expect(check(STS, sts({}, 'db.v1')).map((c) => c.message)).toEqual([
      'Invalid value: "db.v1": must not contain dots',
    ]);
    const causes = check(STS, sts({ serviceName: 'other' }), sts());
    expect(causes.map((c) => c.field)).toEqual(['spec']);
    expect(causes[0].message).toContain("Forbidden: updates to statefulset spec for fields other than 'replicas'");
    expect(check(STS, sts({ replicas: 3 }), sts())).toEqual([]);
  });

  it('lets StatefulSet containers mount their volumeClaimTemplates (the public stateful-mysql example)', () => {
    const template = templateOf();
    const podSpec = template.spec as { containers: Array<Record<string, unknown>> };
    podSpec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/var/lib/mysql' }];
    const sts = (claims: string[]): KubeObject => ({
      metadata: { name: 'mysql' },
      spec: {
        serviceName: 'mysql',
        selector: { matchLabels: { app: 'web' } },
        template,
        volumeClaimTemplates: claims.map((name) => ({
          metadata: { name },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        })),
      },
    });
    expect(check(STS, sts(['data']))).toEqual([]);
    expect(check(STS, sts(['other'])).map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data"',
    ]);
  });

  it('checks matchExpressions syntax', () => {
    const causes = check(
      DEPLOY,
      deployment({ selector: { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] } }),
    );
    expect(causes).toContainEqual({
      reason: 'FieldValueRequired',
      field: 'spec.selector.matchExpressions[0].values',
      message: "Required value: must be specified when `operator` is 'In' or 'NotIn'",
    });
  });
});
