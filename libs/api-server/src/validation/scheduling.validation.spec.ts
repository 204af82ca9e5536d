import type { KubeObject } from '@skiff/api-machinery';
import { applyDefaults } from './defaults';
import { validatePriorityClass } from './scheduling.validation';
import { resourceType } from './spec-fixtures';
import { validateObject } from './validate-object';

const type = resourceType('scheduling.k8s.io', 'PriorityClass');
const check = (obj: KubeObject, old?: KubeObject) =>
  validateObject(type, applyDefaults(type, obj), old ? applyDefaults(type, old) : undefined);
const pc = (name: string, rest: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value: 1000,
  ...rest,
});

describe(validatePriorityClass.name, () => {
  it('defaults preemptionPolicy and a missing value to 0', () => {
    expect(applyDefaults(type, { metadata: { name: 'x' } })).toMatchObject({
      preemptionPolicy: 'PreemptLowerPriority',
      value: 0,
    });
    expect(applyDefaults(type, pc('x', { preemptionPolicy: 'Never' }))).toMatchObject({
      preemptionPolicy: 'Never',
      value: 1000,
    });
  });

  it('accepts user classes up to 1000000000', () => {
    expect(check(pc('high', { value: 1000000000, description: 'x' }))).toEqual([]);
    expect(check(pc('high', { value: 1000000001 }))).toEqual([
      {
        reason: 'FieldValueForbidden',
        field: 'value',
        message: 'Forbidden: maximum allowed value of a user defined priority is 1000000000',
      },
    ]);
  });

  it("reserves the 'system-' prefix for the two system classes with their values", () => {
    expect(check(pc('system-node-critical', { value: 2000001000 }))).toEqual([]);
    expect(check(pc('system-cluster-critical', { value: 2000000000 }))).toEqual([]);
    const msg = (name: string, rest: Record<string, unknown>) =>
      check(pc(name, rest)).map((c) => `${c.field}: ${c.message}`);
    expect(msg('system-mine', { value: 5 })).toEqual([
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
    ]);
    expect(msg('system-node-critical', { value: 5 })).toEqual([
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: value of system-node-critical PriorityClass must be 2000001000",
    ]);
    expect(msg('system-cluster-critical', { value: 2000000000, globalDefault: true })).toEqual([
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: globalDefault of system-cluster-critical PriorityClass must be false",
    ]);
  });

  it('checks the name and preemptionPolicy', () => {
    expect(check(pc('Bad_Name'))[0]).toMatchObject({ field: 'metadata.name', reason: 'FieldValueInvalid' });
    expect(check(pc('p', { preemptionPolicy: 'Sometimes' }))).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'preemptionPolicy',
        message: 'Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"',
      },
    ]);
  });

  it('keeps value and preemptionPolicy fixed on update, metadata may change', () => {
    const old = { ...pc('p'), metadata: { name: 'p', resourceVersion: '1' } };
    expect(check({ ...old, metadata: { ...old.metadata, labels: { a: 'b' } }, description: 'new' }, old)).toEqual([]);
    expect(check({ ...old, value: 2000 }, old)).toEqual([
      { reason: 'FieldValueForbidden', field: 'value', message: 'Forbidden: may not be changed in an update.' },
    ]);
    expect(check({ ...old, preemptionPolicy: 'Never' }, old)).toEqual([
      { reason: 'FieldValueInvalid', field: 'preemptionPolicy', message: 'Invalid value: "Never": field is immutable' },
    ]);
  });
});
