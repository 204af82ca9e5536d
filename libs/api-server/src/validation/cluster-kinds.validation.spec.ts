import type { KubeObject } from '@skiff/api-machinery';
import { applyDefaults } from './defaults';
import { validateObject } from './validate-object';
import { resourceType } from './spec-fixtures';

const check = (group: string, kind: string, obj: KubeObject, old?: KubeObject) => {
  const t = resourceType(group, kind);
  return validateObject(t, applyDefaults(t, obj), old ? applyDefaults(t, old) : undefined);
};

describe('validation of storage, networking, autoscaling and cluster kinds', () => {
  it('Namespace names are DNS labels', () => {
    expect(check('', 'Namespace', { metadata: { name: 'team-a' } })).toEqual([]);
    expect(check('', 'Namespace', { metadata: { name: 'Team_A' } })[0].message).toContain(
      'a lowercase RFC 1123 label must consist of',
    );
  });

  it('PVC needs access modes and a storage request', () => {
    expect(check('', 'PersistentVolumeClaim', { metadata: { name: 'data' }, spec: {} })).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'spec.accessModes',
        message: 'Required value: at least 1 access mode is required',
      },
      { reason: 'FieldValueRequired', field: 'spec.resources[storage]', message: 'Required value' },
    ]);
    const ok: KubeObject = {
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
    };
    expect(check('', 'PersistentVolumeClaim', ok)).toEqual([]);
    expect(
      check('', 'PersistentVolumeClaim', {
        ...ok,
        spec: { ...(ok.spec as object), accessModes: ['ReadWriteSometimes'] },
      })[0],
    ).toEqual({
      reason: 'FieldValueNotSupported',
      field: 'spec.accessModes',
      message:
        'Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
    });
    const bound = { ...ok, spec: { ...(ok.spec as object), storageClassName: 'slow', volumeName: 'pv-1' } };
    const withSize = (pvc: typeof ok, storage: string) => ({
      ...pvc,
      spec: { ...(pvc.spec as object), resources: { requests: { storage } } },
    });
    // A bound claim grows; it never shrinks; an unbound one keeps its request.
    expect(check('', 'PersistentVolumeClaim', withSize(bound, '20Gi'), bound)).toEqual([]);
    expect(check('', 'PersistentVolumeClaim', withSize(bound, '5Gi'), bound)).toEqual([
      {
        reason: 'FieldValueForbidden',
        field: 'spec.resources.requests.storage',
        message: 'Forbidden: field can not be less than previous value',
      },
    ]);
    expect(check('', 'PersistentVolumeClaim', withSize(ok, '20Gi'), ok).map((c) => c.field)).toEqual(['spec']);
    // A claim without a class may get one once (the retroactive default class); a class is not changed.
    expect(
      check('', 'PersistentVolumeClaim', { ...ok, spec: { ...(ok.spec as object), storageClassName: 'fast' } }, ok),
    ).toEqual([]);
    const changed = { ...bound, spec: { ...(bound.spec as object), storageClassName: 'fast' } };
    expect(check('', 'PersistentVolumeClaim', changed, bound).map((c) => c.field)).toEqual(['spec']);
  });

  it('PV needs capacity, access modes and one source', () => {
    expect(check('', 'PersistentVolume', { metadata: { name: 'pv1' }, spec: {} }).map((c) => c.message)).toEqual([
      'Required value',
      'Required value',
      'Required value: must specify a volume type',
    ]);
    expect(
      check('', 'PersistentVolume', {
        metadata: { name: 'pv1' },
        spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany'], nfs: { server: 'nas', path: '/x' } },
      }),
    ).toEqual([]);
  });

  it('StorageClass needs a provisioner', () => {
    expect(check('storage.k8s.io', 'StorageClass', { metadata: { name: 'fast' } })).toEqual([
      { reason: 'FieldValueRequired', field: 'provisioner', message: 'Required value' },
    ]);
    expect(
      check('storage.k8s.io', 'StorageClass', { metadata: { name: 'fast' }, provisioner: 'alicloud/disk' }),
    ).toEqual([]);
  });

  it('Ingress paths need a pathType and a backend', () => {
    const ing: KubeObject = {
      metadata: { name: 'web' },
      spec: {
        rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', backend: { service: { name: 'web' } } }] } }],
      },
    };
    expect(check('networking.k8s.io', 'Ingress', ing)).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'spec.rules[0].http.paths[0].pathType',
        message: 'Required value: pathType must be specified',
      },
      {
        reason: 'FieldValueRequired',
        field: 'spec.rules[0].http.paths[0].backend.service.port',
        message: 'Required value: port name or number is required',
      },
    ]);
    const ok = {
      ...ing,
      spec: {
        rules: [
          {
            http: {
              paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }],
            },
          },
        ],
      },
    };
    expect(check('networking.k8s.io', 'Ingress', ok)).toEqual([]);
  });

  it('HPA bounds', () => {
    const hpa: KubeObject = {
      metadata: { name: 'web' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 5,
        maxReplicas: 3,
      },
    };
    expect(check('autoscaling', 'HorizontalPodAutoscaler', hpa)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.maxReplicas',
        message: 'Invalid value: 3: must be greater than or equal to `minReplicas`',
      },
    ]);
    expect(
      check('autoscaling', 'HorizontalPodAutoscaler', { metadata: { name: 'web' }, spec: { maxReplicas: 3 } }).map(
        (c) => c.field,
      ),
    ).toEqual(['spec.scaleTargetRef.kind', 'spec.scaleTargetRef.name']);
  });

  it('RuntimeClass handler is a DNS label and immutable', () => {
    expect(check('node.k8s.io', 'RuntimeClass', { metadata: { name: 'gvisor' }, handler: 'runsc' })).toEqual([]);
    expect(
      check(
        'node.k8s.io',
        'RuntimeClass',
        { metadata: { name: 'gvisor' }, handler: 'runc' },
        { metadata: { name: 'gvisor' }, handler: 'runsc' },
      ),
    ).toEqual([
      { reason: 'FieldValueInvalid', field: 'handler', message: 'Invalid value: "runc": field is immutable' },
    ]);
  });

  it('Lease duration must be positive', () => {
    expect(
      check('coordination.k8s.io', 'Lease', { metadata: { name: 'scheduler' }, spec: { leaseDurationSeconds: 0 } }),
    ).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.leaseDurationSeconds',
        message: 'Invalid value: 0: must be greater than 0',
      },
    ]);
  });

  it('Event involvedObject must be in the event namespace', () => {
    const ev: KubeObject = {
      metadata: { name: 'e1', namespace: 'a' },
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'b' },
    };
    expect(check('', 'Event', ev)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'involvedObject.namespace',
        message: 'Invalid value: "b": does not match event.namespace',
      },
    ]);
  });

  it('unknown kinds get metadata checks only', () => {
    expect(validateObject({ group: 'example.com', kind: 'Widget' }, { metadata: {} })).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
      },
    ]);
  });
});
