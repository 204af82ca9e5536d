import type { KubeObject } from '@skiff/api-machinery';
import { applyDefaults } from './defaults';
import { resourceType, templateOf } from './spec-fixtures';
import { validateObject } from './validate-object';

const RC = resourceType('', 'ReplicationController');
const check = (obj: KubeObject) => validateObject(RC, applyDefaults(RC, obj));

function rc(spec: Record<string, unknown> = {}, name = 'web'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name, namespace: 'default' },
    spec: { replicas: 2, selector: { app: 'web' }, template: templateOf(), ...spec },
  };
}

describe('v1 ReplicationController validation and defaults', () => {
  it('accepts a plain ReplicationController', () => {
    expect(check(rc())).toEqual([]);
  });

  it('defaults the selector, the labels and replicas from the template, as SetDefaults_ReplicationController', () => {
    const defaulted = applyDefaults(RC, rc({ selector: undefined, replicas: undefined }));
    expect(defaulted.spec).toMatchObject({ selector: { app: 'web' }, replicas: 1 });
    expect(defaulted.metadata.labels).toEqual({ app: 'web' });
    const own = applyDefaults(RC, {
      ...rc({ selector: { app: 'web' } }),
      metadata: { name: 'web', labels: { tier: 'front' } },
    });
    expect(own.metadata.labels).toEqual({ tier: 'front' });
  });

  it('requires a selector when the template has no labels to default it from', () => {
    expect(check(rc({ selector: undefined, template: templateOf({}, {}) }))).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' },
    ]);
  });

  it('requires the selector to match the template labels', () => {
    expect(check(rc({ selector: { app: 'api' } }))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.template.metadata.labels',
        message: 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      },
    ]);
  });

  it('refuses negative replicas and a missing template', () => {
    expect(check(rc({ replicas: -1 }))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: -1: must be greater than or equal to 0',
      },
    ]);
    expect(check(rc({ template: undefined }))).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.template', message: 'Required value' },
    ]);
  });

  it('requires restartPolicy Always and no activeDeadlineSeconds in the template', () => {
    expect(check(rc({ template: templateOf({ restartPolicy: 'OnFailure', activeDeadlineSeconds: 5 }) }))).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.template.spec.restartPolicy',
        message: 'Unsupported value: "OnFailure": supported values: "Always"',
      },
      {
        reason: 'FieldValueForbidden',
        field: 'spec.template.spec.activeDeadlineSeconds',
        message: 'Forbidden: activeDeadlineSeconds in ReplicationController is not Supported',
      },
    ]);
  });
});
