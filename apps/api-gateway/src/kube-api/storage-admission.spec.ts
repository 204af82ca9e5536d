import { ApiError, KubeObject } from '@skiff/api-machinery';
import { checkClaimResize, defaultStorageClass, withDefaultStorageClass } from './storage-admission';

const DEFAULT = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT = 'storageclass.beta.kubernetes.io/is-default-class';

const storageClass = (name: string, extra: { created?: string; default?: string; expand?: boolean } = {}) => ({
  metadata: {
    name,
    creationTimestamp: extra.created ?? '2024-01-01T00:00:00Z',
    ...(extra.default ? { annotations: { [extra.default]: 'true' } } : {}),
  },
  provisioner: 'example.com/disk',
  ...(extra.expand !== undefined ? { allowVolumeExpansion: extra.expand } : {}),
});

const claim = (spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject => ({
  metadata: { name: 'data', namespace: 'default', ...(annotations ? { annotations } : {}) },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});

const sized = (c: KubeObject, storage: string): KubeObject => ({
  ...c,
  spec: { ...(c.spec as object), resources: { requests: { storage } } },
});

describe(defaultStorageClass.name, () => {
  it('takes the class marked default by either annotation, "true" only', () => {
    expect(defaultStorageClass([storageClass('plain'), storageClass('beta', { default: BETA_DEFAULT })])).toEqual(
      storageClass('beta', { default: BETA_DEFAULT }),
    );
    const notTrue = { ...storageClass('no'), metadata: { name: 'no', annotations: { [DEFAULT]: 'yes' } } };
    expect(defaultStorageClass([notTrue, storageClass('plain')])).toBeUndefined();
  });

  it('takes the newest of several defaults, then the first by name', () => {
    const older = storageClass('a-older', { default: DEFAULT, created: '2024-01-01T00:00:00Z' });
    const newer = storageClass('z-newer', { default: DEFAULT, created: '2024-01-02T00:00:00Z' });
    const twin = storageClass('m-twin', { default: BETA_DEFAULT, created: '2024-01-02T00:00:00Z' });
    expect(defaultStorageClass([older, newer])?.metadata.name).toBe('z-newer');
    expect(defaultStorageClass([older, newer, twin])?.metadata.name).toBe('m-twin');
  });
});

describe(withDefaultStorageClass.name, () => {
  const classes = [storageClass('standard', { default: DEFAULT }), storageClass('fast')];

  it('gives a claim without a class (absent or null) the default one', () => {
    expect(withDefaultStorageClass(claim({}), classes).spec).toMatchObject({ storageClassName: 'standard' });
    expect(withDefaultStorageClass(claim({ storageClassName: null }), classes).spec).toMatchObject({
      storageClassName: 'standard',
    });
  });

  it('leaves a class asked for, "" (no class) and the beta class annotation alone', () => {
    for (const c of [
      claim({ storageClassName: 'fast' }),
      claim({ storageClassName: '' }),
      claim({}, { 'volume.beta.kubernetes.io/storage-class': 'fast' }),
    ])
      expect(withDefaultStorageClass(c, classes)).toBe(c);
  });

  it('leaves the claim without a class when none is default', () => {
    const c = claim({});
    expect(withDefaultStorageClass(c, [storageClass('fast')])).toBe(c);
  });
});

describe(checkClaimResize.name, () => {
  const classes = [storageClass('expandable', { expand: true }), storageClass('fixed', { expand: false })];
  const refusal = (next: KubeObject, old: KubeObject): ApiError => {
    try {
      checkClaimResize(next, old, classes);
    } catch (err) {
      if (err instanceof ApiError) return err;
      throw err;
    }
    throw new Error('expected a refusal');
  };

  it('lets a claim grow in a class that allows volume expansion', () => {
    const old = claim({ storageClassName: 'expandable', volumeName: 'pv-1' });
    expect(() => checkClaimResize(sized(old, '2Gi'), old, classes)).not.toThrow();
  });

  it("refuses growth in a class that does not allow it, is missing, or is none, in upstream's words", () => {
    for (const storageClassName of ['fixed', 'missing', '']) {
      const old = claim({ storageClassName, volumeName: 'pv-1' });
      const err = refusal(sized(old, '2Gi'), old);
      expect(err.code).toBe(403);
      expect(err.message).toBe(
        'persistentvolumeclaims "data" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
      );
    }
    const beta = claim({ storageClassName: 'expandable' }, { 'volume.beta.kubernetes.io/storage-class': 'fixed' });
    expect(refusal(sized(beta, '2Gi'), beta).code).toBe(403);
  });

  it('compares quantities, not strings, and leaves what does not grow to validation', () => {
    const old = claim({ storageClassName: 'fixed', volumeName: 'pv-1' });
    expect(() => checkClaimResize(sized(old, '1024Mi'), old, classes)).not.toThrow();
    expect(() => checkClaimResize(sized(old, '512Mi'), old, classes)).not.toThrow();
    expect(refusal(sized(old, '1025Mi'), old).code).toBe(403);
  });
});
