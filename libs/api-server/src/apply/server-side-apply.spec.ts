import { JsonObject, KubeObject, ApiError } from '@skiff/api-machinery';
import { deploymentSchema } from '../patch/k8s-schema.fixture';
import { serverSideApply, ServerSideApplyInput } from './server-side-apply';
import { updateManagedFields } from './update-managed-fields';

const T0 = '2025-01-01T00:00:00Z';
const T1 = '2025-01-01T00:01:00Z';
const T2 = '2025-01-01T00:02:00Z';

function config(
  over: { replicas?: number; image?: string; labels?: Record<string, string>; env?: JsonObject[] } = {},
): KubeObject {
  const container: JsonObject = { name: 'c', image: over.image ?? 'nginx:1.27' };
  if (over.env) container.env = over.env;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: over.labels ?? { app: 'web' } },
    spec: {
      ...(over.replicas === undefined ? {} : { replicas: over.replicas }),
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } },
    },
  };
}

function apply(
  live: KubeObject | undefined,
  applied: KubeObject,
  extra: Partial<ServerSideApplyInput> = {},
): KubeObject {
  return serverSideApply({
    live,
    applied,
    manager: 'kubectl',
    force: false,
    schema: deploymentSchema,
    apiVersion: 'apps/v1',
    now: T1,
    ...extra,
  });
}

// What the registry does on a stored object: server fields stay.
function stored(obj: KubeObject): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, uid: 'uid-1', resourceVersion: '5', creationTimestamp: T0 } };
}

function spec(obj: KubeObject): JsonObject {
  return obj.spec as JsonObject;
}

function container(obj: KubeObject): JsonObject {
  return ((((spec(obj).template as JsonObject).spec as JsonObject).containers as JsonObject[]) ?? [])[0];
}

function conflictOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected a conflict');
}

describe(serverSideApply.name, () => {
  it('creates an object (kubectl apply --server-side on a new object)', () => {
    const created = apply(undefined, config({ replicas: 2 }), { now: T0 });
    expect(spec(created).replicas).toBe(2);
    expect(created.metadata.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
            },
          },
        },
      },
    ]);
  });

  it('is a no-op when the same configuration is applied again (time included)', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), { now: T0 }));
    const again = apply(live, config({ replicas: 2 }), { now: T2 });
    expect(again).toEqual(live);
  });

  it('never modifies its inputs', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), { now: T0 }));
    const liveCopy = structuredClone(live);
    const applied = config({ replicas: 4 });
    const appliedCopy = structuredClone(applied);
    apply(live, applied);
    expect(live).toEqual(liveCopy);
    expect(applied).toEqual(appliedCopy);
  });

  it('keeps server-owned metadata of the live object and never tracks it', () => {
    const live = stored(apply(undefined, config(), { now: T0 }));
    const applied = config({ replicas: 1 });
    applied.metadata.uid = 'forged';
    applied.metadata.resourceVersion = '1';
    const out = apply(live, applied);
    expect(out.metadata).toMatchObject({ uid: 'uid-1', resourceVersion: '5', creationTimestamp: T0 });
    expect(out.metadata.managedFields?.[0].fieldsV1?.['f:metadata']).toEqual({ 'f:labels': { 'f:app': {} } });
  });

  it('removes fields dropped from the applied configuration', () => {
    const live = stored(
      apply(
        undefined,
        config({
          replicas: 2,
          labels: { app: 'web', tier: 'fe' },
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        }),
        { now: T0 },
      ),
    );
    const out = apply(live, config({ labels: { app: 'web' }, env: [{ name: 'A', value: '1' }] }));
    expect(out.metadata.labels).toEqual({ app: 'web' });
    expect(spec(out)).not.toHaveProperty('replicas');
    expect(container(out).env).toEqual([{ name: 'A', value: '1' }]);
    expect(out.metadata.managedFields?.[0].time).toBe(T1);
  });

  it('keeps a dropped field that another manager also owns', () => {
    const byA = stored(apply(undefined, config({ labels: { app: 'web', tier: 'fe' } }), { manager: 'a', now: T0 }));
    const byB = apply(byA, config({ labels: { app: 'web', tier: 'fe' } }), { manager: 'b' });
    const out = apply(byB, config({ labels: { app: 'web' } }), { manager: 'a', now: T2 });
    expect(out.metadata.labels).toEqual({ app: 'web', tier: 'fe' });
  });

  it('reports a conflict between two appliers and force takes ownership', () => {
    const byA = stored(apply(undefined, config({ replicas: 2 }), { manager: 'a', now: T0 }));
    const err = conflictOf(() => apply(byA, config({ replicas: 5 }), { manager: 'b' }));
    expect(err.code).toBe(409);
    expect(err.reason).toBe('Conflict');
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "a": .spec.replicas');
    expect(err.details?.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "a"', field: '.spec.replicas' },
    ]);

    const forced = apply(byA, config({ replicas: 5 }), { manager: 'b', force: true });
    expect(spec(forced).replicas).toBe(5);
    const a = forced.metadata.managedFields?.find((m) => m.manager === 'a');
    const b = forced.metadata.managedFields?.find((m) => m.manager === 'b');
    expect(a?.fieldsV1?.['f:spec']).not.toHaveProperty('f:replicas');
    expect(b?.fieldsV1?.['f:spec']).toHaveProperty('f:replicas');
  });

  it('shares ownership without conflict when the values agree', () => {
    const byA = stored(apply(undefined, config({ replicas: 2 }), { manager: 'a', now: T0 }));
    const both = apply(byA, config({ replicas: 2 }), { manager: 'b' });
    expect(both.metadata.managedFields?.map((m) => m.manager)).toEqual(['a', 'b']);
    expect(both.metadata.managedFields?.every((m) => (m.fieldsV1?.['f:spec'] as JsonObject)['f:replicas'])).toBe(true);
  });

  it('lists several conflicts grouped by manager', () => {
    const byA = stored(apply(undefined, config({ replicas: 2, image: 'x:1' }), { manager: 'a', now: T0 }));
    const err = conflictOf(() => apply(byA, config({ replicas: 3, image: 'x:2' }), { manager: 'b' }));
    expect(err.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "a":\n- .spec.replicas\n- .spec.template.spec.containers[name="c"].image',
    );
  });

  it('conflicts with an update by client-side apply that left no last-applied annotation', () => {
    // kubectl apply (client-side) creates with fieldManager=kubectl-client-side-apply.
    const csa = stored(
      updateManagedFields({
        old: undefined,
        updated: config({ replicas: 2 }),
        manager: 'kubectl-client-side-apply',
        schema: deploymentSchema,
        apiVersion: 'apps/v1',
        now: T0,
      }),
    );
    const err = conflictOf(() => apply(csa, config({ replicas: 3 })));
    expect(err.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    );
    expect(err.details?.causes?.[0]).toEqual({
      reason: 'FieldManagerConflict',
      message: 'conflict with "kubectl-client-side-apply" using apps/v1',
      field: '.spec.replicas',
    });
    // Same values: no conflict, the applier becomes co-owner.
    expect(() => apply(csa, config({ replicas: 2 }))).not.toThrow();
  });

  it('conflicts on .spec.replicas after kubectl scale', () => {
    const created = stored(apply(undefined, config({ replicas: 2 }), { now: T0 }));
    const scaled = updateManagedFields({
      old: created,
      updated: { ...created, spec: { ...spec(created), replicas: 5 } },
      manager: 'kubectl',
      schema: deploymentSchema,
      apiVersion: 'apps/v1',
      now: T1,
    });
    const applyEntry = scaled.metadata.managedFields?.find((m) => m.operation === 'Apply');
    expect(applyEntry?.fieldsV1?.['f:spec']).not.toHaveProperty('f:replicas');
    const err = conflictOf(() => apply(scaled, config({ replicas: 2, image: 'nginx:1.27' }), { now: T2 }));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas');
    const forced = apply(scaled, config({ replicas: 2 }), { now: T2, force: true });
    expect(spec(forced).replicas).toBe(2);
    expect(forced.metadata.managedFields?.map((m) => [m.manager, m.operation])).toEqual([['kubectl', 'Apply']]);
  });

  it('merges list items by key and keeps items other managers added', () => {
    const live = stored(apply(undefined, config({ env: [{ name: 'A', value: '1' }] }), { manager: 'a', now: T0 }));
    const liveEnv = structuredClone(live);
    (container(liveEnv).env as JsonObject[]).push({ name: 'X', value: 'x' });
    const edited = updateManagedFields({
      old: live,
      updated: liveEnv,
      manager: 'kubectl-edit',
      schema: deploymentSchema,
      apiVersion: 'apps/v1',
      now: T1,
    });
    const out = apply(edited, config({ env: [{ name: 'A', value: '2' }] }), { manager: 'a', now: T2 });
    expect(container(out).env).toEqual([
      { name: 'A', value: '2' },
      { name: 'X', value: 'x' },
    ]);
  });

  it('lets kubectl take over from client-side apply the fields the last-applied annotation still describes', () => {
    // kubectl apply (client-side): an Update by kubectl-client-side-apply that records the annotation.
    const applied = config({ replicas: 2 });
    const annotation = JSON.stringify(applied);
    const withAnnotation = (o: KubeObject, replicas: number): KubeObject => ({
      ...o,
      metadata: { ...o.metadata, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': annotation } },
      spec: { ...spec(o), replicas },
    });
    const live = stored(
      updateManagedFields({
        old: undefined,
        updated: withAnnotation(applied, 2),
        manager: 'kubectl-client-side-apply',
        schema: deploymentSchema,
        apiVersion: 'apps/v1',
        now: T0,
      }),
    );
    const upgraded = apply(live, config({ replicas: 3 }));
    expect(spec(upgraded).replicas).toBe(3);
    expect(upgraded.metadata.managedFields?.find((m) => m.manager === 'kubectl')?.operation).toBe('Apply');
    // A field changed since the annotation was written (by someone else) still conflicts.
    const drifted = stored(
      updateManagedFields({
        old: live,
        updated: withAnnotation(live, 4),
        manager: 'kubectl-client-side-apply',
        schema: deploymentSchema,
        apiVersion: 'apps/v1',
        now: T1,
      }),
    );
    expect(conflictOf(() => apply(drifted, config({ replicas: 3 }))).message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    );
    // Only kubectl gets the upgrade path.
    expect(conflictOf(() => apply(live, config({ replicas: 3 }), { manager: 'helm' })).code).toBe(409);
  });
});
