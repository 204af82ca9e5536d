import type { KubeObject } from '@skiff/api-machinery';
import { applyDefaults } from './defaults';
import { validateLimitRange, validateResourceQuota, validateResourceQuotaStatus } from './quota.validation';
import { resourceType } from './spec-fixtures';
import { validateObject } from './validate-object';

const check = (kind: string, obj: KubeObject, old?: KubeObject) => {
  const t = resourceType('', kind);
  return validateObject(t, applyDefaults(t, obj), old ? applyDefaults(t, old) : undefined);
};
const lines = (kind: string, obj: KubeObject, old?: KubeObject) =>
  check(kind, obj, old).map((c) => `${c.field}: ${c.message}`);
const quota = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'q', namespace: 'default' }, spec });
const limits = (...items: Record<string, unknown>[]): KubeObject => ({
  metadata: { name: 'lr', namespace: 'default' },
  spec: { limits: items },
});

describe(validateResourceQuota.name, () => {
  it('accepts standard, hugepage and domain-prefixed resources', () => {
    expect(
      lines(
        'ResourceQuota',
        quota({
          hard: {
            pods: '10',
            cpu: '2',
            'requests.memory': '1Gi',
            'hugepages-2Mi': '1Gi',
            'count/deployments.apps': 3,
            'example.com/gpu': '4',
          },
        }),
      ),
    ).toEqual([]);
  });

  it('refuses unknown names, negative quantities and fractions of countable resources', () => {
    expect(
      lines('ResourceQuota', quota({ hard: { cpus: '1', pods: '1500m', memory: '-1Gi', 'example.com/gpu': '0.5' } })),
    ).toEqual([
      'spec.hard[cpus]: Invalid value: "cpus": must be a standard resource type or fully qualified',
      'spec.hard[cpus]: Invalid value: "cpus": must be a standard resource for quota',
      'spec.hard[pods]: Invalid value: 1500m: must be an integer',
      'spec.hard[memory]: Invalid value: "-1Gi": must be greater than or equal to 0',
      'spec.hard[example.com/gpu]: Invalid value: 500m: must be an integer',
    ]);
    expect(lines('ResourceQuota', quota({ hard: { pods: 'ten' } }))[0]).toContain(
      'spec.hard[pods]: Invalid value: "ten": quantities must match the regular expression',
    );
  });

  it('checks scopes against the resources they limit', () => {
    expect(
      lines('ResourceQuota', quota({ hard: { pods: '5', cpu: '1' }, scopes: ['NotBestEffort', 'NotTerminating'] })),
    ).toEqual([]);
    expect(lines('ResourceQuota', quota({ hard: { cpu: '1' }, scopes: ['BestEffort'] }))).toEqual([
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource',
    ]);
    expect(
      lines('ResourceQuota', quota({ hard: { pods: '1' }, scopes: ['BestEffort', 'NotBestEffort', 'Sometimes'] })),
    ).toEqual([
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort", "Sometimes"}: unsupported scope',
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort", "Sometimes"}: conflicting scopes',
    ]);
  });

  it('checks scopeSelector operators and values', () => {
    const sel = (...matchExpressions: Record<string, unknown>[]) =>
      quota({ hard: { pods: '1' }, scopeSelector: { matchExpressions } });
    expect(lines('ResourceQuota', sel({ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }))).toEqual([]);
    expect(lines('ResourceQuota', sel({ scopeName: 'PriorityClass', operator: 'In' }))).toEqual([
      "spec.scopeSelector.matchExpressions.values: Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
    ]);
    expect(lines('ResourceQuota', sel({ scopeName: 'BestEffort', operator: 'In', values: ['x'] }))).toEqual([
      'spec.scopeSelector.matchExpressions.operator: Invalid value: "In": must be \'Exists\' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity',
    ]);
    expect(lines('ResourceQuota', sel({ scopeName: 'Terminating', operator: 'Exists', values: ['x'] }))).toEqual([
      "spec.scopeSelector.matchExpressions.values: Invalid value: []string{\"x\"}: must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
    ]);
    expect(lines('ResourceQuota', sel({ scopeName: 'Nope', operator: 'Like' }))).toEqual([
      'spec.scopeSelector.matchExpressions.scopeName: Invalid value: "Nope": unsupported scope',
      'spec.scopeSelector.matchExpressions.operator: Invalid value: "Like": not a valid selector operator',
    ]);
  });

  it('keeps scopes fixed on update', () => {
    const old = {
      ...quota({ hard: { pods: '1' }, scopes: ['NotTerminating'] }),
      metadata: { name: 'q', namespace: 'default', resourceVersion: '1' },
    };
    expect(lines('ResourceQuota', { ...old, spec: { hard: { pods: '2' }, scopes: ['NotTerminating'] } }, old)).toEqual(
      [],
    );
    expect(lines('ResourceQuota', { ...old, spec: { hard: { pods: '1' }, scopes: ['Terminating'] } }, old)).toEqual([
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"Terminating"}: field is immutable',
    ]);
  });

  it('has status rules for the quota controller', () => {
    expect(
      validateResourceQuotaStatus({ metadata: {}, status: { hard: { pods: '2' }, used: { pods: '-1' } } }).map(
        (c) => c.field,
      ),
    ).toEqual(['status.used[pods]']);
  });
});

describe(validateLimitRange.name, () => {
  it('accepts min <= defaultRequest <= default <= max', () => {
    expect(
      lines(
        'LimitRange',
        limits({
          type: 'Container',
          min: { cpu: '100m' },
          defaultRequest: { cpu: '200m' },
          default: { cpu: '500m' },
          max: { cpu: '1' },
          maxLimitRequestRatio: { cpu: '4' },
        }),
      ),
    ).toEqual([]);
    expect(
      lines(
        'LimitRange',
        limits({ type: 'PersistentVolumeClaim', max: { storage: '10Gi' } }, { type: 'Pod', max: { memory: '1Gi' } }),
      ),
    ).toEqual([]);
  });

  it('reports out-of-order bounds with upstream words', () => {
    expect(
      lines(
        'LimitRange',
        limits({
          type: 'Container',
          min: { cpu: '2' },
          max: { cpu: '1' },
          default: { cpu: '3' },
          defaultRequest: { cpu: '500m' },
        }),
      ),
    ).toEqual([
      'spec.limits[0].min[cpu]: Invalid value: 2: min value 2 is greater than max value 1',
      'spec.limits[0].defaultRequest[cpu]: Invalid value: 500m: min value 2 is greater than default request value 500m',
      // Upstream reports the max as the bad value here.
      'spec.limits[0].default[cpu]: Invalid value: 1: default value 3 is greater than max value 1',
    ]);
    expect(
      lines(
        'LimitRange',
        limits({
          type: 'Container',
          min: { memory: '1Gi' },
          max: { memory: '2Gi' },
          maxLimitRequestRatio: { memory: '3' },
        }),
      ),
    ).toEqual([
      'spec.limits[0].maxLimitRequestRatio[memory]: Invalid value: 3: ratio 3 is greater than max/min = 2.000000',
    ]);
    expect(lines('LimitRange', limits({ type: 'Container', maxLimitRequestRatio: { cpu: '500m' } }))).toEqual([
      'spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: 500m: ratio 500m is less than 1',
    ]);
  });

  it('checks types, names and what each type may carry', () => {
    expect(
      lines('LimitRange', limits({ type: 'Node' }, { type: 'Pod', default: { cpu: '1' } }, { type: 'Pod' })),
    ).toEqual([
      'spec.limits[0].type: Invalid value: "Node": must be a standard limit type or fully qualified',
      "spec.limits[1].default: Forbidden: may not be specified when `type` is 'Pod'",
      'spec.limits[2].type: Duplicate value: "Pod"',
    ]);
    expect(lines('LimitRange', limits({ type: 'PersistentVolumeClaim', max: { cpu: '1' } }))).toEqual([
      'spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided',
    ]);
    expect(lines('LimitRange', limits({ type: 'Container', max: { storage: '1Gi' } }))).toEqual([
      'spec.limits[0].max[storage]: Invalid value: "storage": must be a standard resource for containers',
    ]);
    expect(
      lines(
        'LimitRange',
        limits({ type: 'Container', default: { 'example.com/gpu': '2' }, defaultRequest: { 'example.com/gpu': '1' } }),
      ),
    ).toEqual([
      'spec.limits[0].defaultRequest[example.com/gpu]: Invalid value: 1: default value 2 must equal to defaultRequest value 1 in example.com/gpu',
    ]);
  });
});
