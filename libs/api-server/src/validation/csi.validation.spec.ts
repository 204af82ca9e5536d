import type { KubeObject } from '@skiff/api-machinery';
import { validateCsiDriver, validateVolumeAttachment } from './csi.validation';
import { applyDefaults } from './defaults';
import { resourceType } from './spec-fixtures';
import { validateObject } from './validate-object';

const check = (kind: string, obj: KubeObject, old?: KubeObject) => {
  const t = resourceType('storage.k8s.io', kind);
  return validateObject(t, applyDefaults(t, obj), old ? applyDefaults(t, old) : undefined).map(
    (c) => `${c.field}: ${c.message}`,
  );
};
const withRv = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, resourceVersion: '1' } });

describe(validateCsiDriver.name, () => {
  it('defaults every flag as upstream', () => {
    const t = resourceType('storage.k8s.io', 'CSIDriver');
    expect(applyDefaults(t, { metadata: { name: 'disk.csi.example.com' }, spec: {} }).spec).toEqual({
      attachRequired: true,
      podInfoOnMount: false,
      storageCapacity: false,
      fsGroupPolicy: 'ReadWriteOnceWithFSType',
      volumeLifecycleModes: ['Persistent'],
      requiresRepublish: false,
      seLinuxMount: false,
    });
  });

  it('checks policies, modes and token requests', () => {
    expect(
      check('CSIDriver', {
        metadata: { name: 'd.example.com' },
        spec: { tokenRequests: [{ audience: 'a', expirationSeconds: 3600 }] },
      }),
    ).toEqual([]);
    expect(
      check('CSIDriver', {
        metadata: { name: 'd.example.com' },
        spec: {
          fsGroupPolicy: 'Always',
          volumeLifecycleModes: ['Forever'],
          tokenRequests: [{ audience: 'a', expirationSeconds: 60 }, { audience: 'a' }],
        },
      }),
    ).toEqual([
      'spec.fsGroupPolicy: Unsupported value: "Always": supported values: "File", "None", "ReadWriteOnceWithFSType"',
      'spec.tokenRequests[0].expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
      'spec.tokenRequests[1].audience: Duplicate value: "a"',
      'spec.volumeLifecycleModes: Unsupported value: "Forever": supported values: "Persistent", "Ephemeral"',
    ]);
  });

  it('keeps attachRequired and volumeLifecycleModes fixed; the rest may change', () => {
    const old = withRv({ metadata: { name: 'd.example.com' }, spec: { attachRequired: true } });
    expect(
      check('CSIDriver', { ...old, spec: { attachRequired: true, podInfoOnMount: true, fsGroupPolicy: 'File' } }, old),
    ).toEqual([]);
    expect(
      check('CSIDriver', { ...old, spec: { attachRequired: false, volumeLifecycleModes: ['Ephemeral'] } }, old),
    ).toEqual([
      'spec.attachedRequired: Invalid value: false: field is immutable',
      'spec.volumeLifecycleModes: Invalid value: []storage.VolumeLifecycleMode{"Ephemeral"}: field is immutable',
    ]);
  });
});

describe(validateVolumeAttachment.name, () => {
  const va = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'csi-123' }, spec });

  it('needs an attacher, a node and exactly one source', () => {
    expect(
      check(
        'VolumeAttachment',
        va({ attacher: 'disk.csi.example.com', nodeName: 'virtual-node-a', source: { persistentVolumeName: 'pv-1' } }),
      ),
    ).toEqual([]);
    expect(check('VolumeAttachment', va({ source: {} }))).toEqual([
      'spec.attacher: Required value',
      expect.stringContaining('spec.attacher: Invalid value: "": a lowercase RFC 1123 subdomain'),
      'spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName',
      expect.stringContaining('spec.nodeName: Invalid value: "": a lowercase RFC 1123 subdomain'),
    ]);
    expect(
      check(
        'VolumeAttachment',
        va({
          attacher: 'd.example.com',
          nodeName: 'n',
          source: { persistentVolumeName: 'pv', inlineVolumeSpec: { csi: {} } },
        }),
      ),
    ).toEqual(['spec.source: Forbidden: must specify exactly one of inlineVolumeSpec and persistentVolumeName']);
    expect(
      check(
        'VolumeAttachment',
        va({
          attacher: 'd.example.com',
          nodeName: 'n',
          source: { inlineVolumeSpec: { capacity: { storage: '1Gi' } } },
        }),
      ),
    ).toEqual([
      'spec.source.inlineVolumeSpec.capacity: Forbidden: may not be specified in the context of inline volumes',
      'spec.source.inlineVolumeSpec.csi: Required value: has to be specified in the context of inline volumes',
      'spec.source.inlineVolumeSpec.accessModes: Required value',
    ]);
  });

  it('keeps the spec fixed on update', () => {
    const old = withRv(va({ attacher: 'd.example.com', nodeName: 'n', source: { persistentVolumeName: 'pv' } }));
    expect(check('VolumeAttachment', { ...old, metadata: { ...old.metadata, labels: { a: 'b' } } }, old)).toEqual([]);
    expect(
      check(
        'VolumeAttachment',
        { ...old, spec: { attacher: 'd.example.com', nodeName: 'm', source: { persistentVolumeName: 'pv' } } },
        old,
      ),
    ).toEqual([
      'spec: Invalid value: storage.VolumeAttachmentSpec{Attacher:"d.example.com", Source:storage.VolumeAttachmentSource{PersistentVolumeName:(*string)(0xc000000000), InlineVolumeSpec:(*core.PersistentVolumeSpec)(nil)}, NodeName:"m"}: field is immutable',
    ]);
  });
});
