import { JsonObject, KubeObject } from '@skiff/api-machinery';
import { deploymentSchema } from '../patch/k8s-schema.fixture';
import { serverSideApply } from './server-side-apply';
import { updateManagedFields, UpdateManagedFieldsInput } from './update-managed-fields';

const T0 = '2025-01-01T00:00:00Z';
const T1 = '2025-01-01T00:01:00Z';

function deployment(replicas: number, image: string, labels: Record<string, string> = { app: 'web' }): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '1', labels },
    spec: { replicas, template: { spec: { containers: [{ name: 'c', image }] } } },
  };
}

function update(
  old: KubeObject | undefined,
  updated: KubeObject,
  extra: Partial<UpdateManagedFieldsInput> = {},
): KubeObject {
  return updateManagedFields({
    old,
    updated,
    manager: 'm',
    schema: deploymentSchema,
    apiVersion: 'apps/v1',
    now: T1,
    ...extra,
  });
}

function withSpec(obj: KubeObject, patch: JsonObject): KubeObject {
  return { ...structuredClone(obj), spec: { ...(obj.spec as JsonObject), ...patch } };
}

describe(updateManagedFields.name, () => {
  it('gives every set field to the creator, marking new user-keyed maps with "."', () => {
    const created = update(undefined, deployment(1, 'nginx'), { manager: 'kubectl-create', now: T0 });
    expect(created.metadata.managedFields).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:template': {
              'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
            },
          },
        },
      },
    ]);
  });

  it('moves changed fields from other managers to the writer', () => {
    const created = update(undefined, deployment(1, 'nginx'), { manager: 'creator', now: T0 });
    const scaled = update(created, withSpec(created, { replicas: 3 }), { manager: 'kubectl', subresource: 'scale' });
    const byManager = Object.fromEntries((scaled.metadata.managedFields ?? []).map((m) => [m.manager, m]));
    expect(byManager.kubectl).toMatchObject({
      operation: 'Update',
      subresource: 'scale',
      time: T1,
      fieldsV1: { 'f:spec': { 'f:replicas': {} } },
    });
    expect(byManager.creator.fieldsV1?.['f:spec']).not.toHaveProperty('f:replicas');
    expect(byManager.creator.time).toBe(T0);
  });

  it('takes fields away from appliers too (updates always win)', () => {
    const applied = serverSideApply({
      live: undefined,
      applied: deployment(1, 'nginx'),
      manager: 'kubectl',
      force: false,
      schema: deploymentSchema,
      apiVersion: 'apps/v1',
      now: T0,
    });
    const edited = update(applied, withSpec(applied, { replicas: 4 }), { manager: 'kubectl-edit' });
    const apply = edited.metadata.managedFields?.find((m) => m.operation === 'Apply');
    expect(apply?.fieldsV1?.['f:spec']).not.toHaveProperty('f:replicas');
  });

  it('drops removed fields from every manager and drops empty entries', () => {
    const created = update(undefined, deployment(1, 'nginx', { app: 'web', tier: 'fe' }), { manager: 'a', now: T0 });
    const relabeled = update(
      created,
      { ...created, metadata: { ...created.metadata, labels: { app: 'web' } } },
      { manager: 'b' },
    );
    const a = relabeled.metadata.managedFields?.find((m) => m.manager === 'a');
    expect(a?.fieldsV1?.['f:metadata']).toEqual({ 'f:labels': { '.': {}, 'f:app': {} } });
    // b changed nothing but removed a field: it owns nothing, so it gets no entry.
    expect(relabeled.metadata.managedFields?.map((m) => m.manager)).toEqual(['a']);
  });

  it('leaves managedFields untouched by a write that changes nothing', () => {
    const created = update(undefined, deployment(1, 'nginx'), { manager: 'a', now: T0 });
    const same = update(created, structuredClone(created), { manager: 'b' });
    expect(same.metadata.managedFields).toEqual(created.metadata.managedFields);
  });

  it('keeps one entry per manager, operation and apiVersion', () => {
    const created = update(undefined, deployment(1, 'nginx'), { manager: 'a', apiVersion: 'apps/v1', now: T0 });
    const v2 = update(created, withSpec(created, { replicas: 2 }), { manager: 'a', apiVersion: 'apps/v1beta2' });
    expect(v2.metadata.managedFields?.map((m) => m.apiVersion)).toEqual(['apps/v1', 'apps/v1beta2']);
    const v1Again = update(v2, withSpec(v2, { replicas: 3 }), { manager: 'a', apiVersion: 'apps/v1' });
    expect(v1Again.metadata.managedFields?.map((m) => [m.apiVersion, m.time])).toEqual([['apps/v1', T1]]);
  });

  it('honours managedFields a client replaces explicitly', () => {
    const created = update(undefined, deployment(1, 'nginx'), { manager: 'a', now: T0 });
    const reset = update(
      created,
      { ...structuredClone(created), metadata: { ...created.metadata, managedFields: [] } },
      { manager: 'b' },
    );
    expect(reset.metadata.managedFields).toBeUndefined();
  });
});
