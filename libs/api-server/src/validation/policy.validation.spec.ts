import type { KubeObject } from '@skiff/api-machinery';
import { applyDefaults } from './defaults';
import { resourceType } from './spec-fixtures';
import { validateObject } from './validate-object';

const PDB = resourceType('policy', 'PodDisruptionBudget');
const check = (obj: KubeObject, old?: KubeObject) =>
  validateObject(PDB, applyDefaults(PDB, obj), old ? applyDefaults(PDB, old) : undefined);
const messages = (obj: KubeObject) => check(obj).map((c) => `${c.field}: ${c.message}`);

function pdb(spec: Record<string, unknown>, name = 'web'): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
  };
}

describe('policy/v1 PodDisruptionBudget validation', () => {
  it('accepts minAvailable or maxUnavailable as an integer or a percentage, or neither', () => {
    for (const spec of [
      { minAvailable: 2 },
      { minAvailable: '50%' },
      { maxUnavailable: 0 },
      { maxUnavailable: '100%' },
      {},
    ])
      expect(check(pdb(spec))).toEqual([]);
  });

  it('refuses minAvailable and maxUnavailable together, as upstream words it', () => {
    const causes = check(pdb({ minAvailable: 1, maxUnavailable: 1 }));
    expect(causes).toHaveLength(1);
    expect(causes[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'spec' });
    expect(causes[0].message).toMatch(
      /^Invalid value: policy\.PodDisruptionBudgetSpec\{MinAvailable:\(\*intstr\.IntOrString\)\(0x[0-9a-f]+\), .*UnhealthyPodEvictionPolicy:\(\*policy\.UnhealthyPodEvictionPolicyType\)\(nil\)\}: minAvailable and maxUnavailable cannot be both set$/,
    );
  });

  it('refuses negative numbers, bad percentages and more than 100%', () => {
    expect(messages(pdb({ minAvailable: -1 }))).toEqual([
      'spec.minAvailable: Invalid value: -1: must be greater than or equal to 0',
    ]);
    expect(messages(pdb({ maxUnavailable: '150%' }))).toEqual([
      'spec.maxUnavailable: Invalid value: 150%: must not be greater than 100%',
    ]);
    expect(messages(pdb({ minAvailable: 'half' }))).toEqual([
      "spec.minAvailable: Invalid value: half: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    ]);
  });

  it('checks the selector and the unhealthy pod eviction policy', () => {
    expect(
      messages(pdb({ selector: { matchExpressions: [{ key: 'app', operator: 'Near', values: ['x'] }] } })),
    ).toEqual(['spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator']);
    expect(check(pdb({ unhealthyPodEvictionPolicy: 'AlwaysAllow' }))).toEqual([]);
    expect(check(pdb({ unhealthyPodEvictionPolicy: 'Sometimes' }))).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.unhealthyPodEvictionPolicy',
        message: 'Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"',
      },
    ]);
  });

  it('lets the spec change on update (policy/v1 budgets are mutable) but keeps the rules', () => {
    expect(
      check(pdb({ minAvailable: 3 }), {
        ...pdb({ minAvailable: 1 }),
        metadata: { name: 'web', namespace: 'default', resourceVersion: '5' },
      }),
    ).toEqual([]);
    expect(check(pdb({ minAvailable: 1, maxUnavailable: '10%' }), pdb({ minAvailable: 1 }))[0].message).toMatch(
      /cannot be both set$/,
    );
  });

  it('adds no defaults to minAvailable or maxUnavailable', () => {
    expect(applyDefaults(PDB, pdb({})).spec).toEqual({ selector: { matchLabels: { app: 'web' } } });
  });
});
