import { claim, storageClass, volume } from './storage-cluster.fixture';
import { DEFAULT_CLASS_ANNOTATION } from './storage-annotations';
import { defaultClassOf, findBestMatch, volumeMismatch } from './volume-matching';

const isDefault = (name: string, creationTimestamp: string) =>
  storageClass(name, { metadata: { name, creationTimestamp, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } } });

describe('volume matching', () => {
  it('takes the newest of several default classes, then the first by name', () => {
    const older = isDefault('alicloud-disk-ssd', '2024-01-01T00:00:00Z');
    const newer = isDefault('alicloud-disk-essd', '2024-02-01T00:00:00Z');
    const twin = isDefault('alicloud-disk-available', '2024-02-01T00:00:00Z');
    expect(defaultClassOf([older, newer, storageClass('plain')])?.metadata.name).toBe('alicloud-disk-essd');
    expect(defaultClassOf([older, newer, twin])?.metadata.name).toBe('alicloud-disk-available');
    expect(defaultClassOf([storageClass('plain')])).toBeUndefined();
  });

  it('finds no volume for a claim whose access modes no volume has, and only a pre-bound one with delayed binding', () => {
    const rwx = claim('shared', { storageClassName: '', accessModes: ['ReadWriteMany'] });
    expect(findBestMatch(rwx, [volume('pv-rwo')], false)).toBeUndefined();

    const data = {
      ...claim('data', { storageClassName: '' }),
      metadata: { namespace: 'team', name: 'data', uid: 'u1' },
    };
    const reserved = volume('pv-reserved', { claimRef: { namespace: 'team', name: 'data' } });
    expect(findBestMatch(data, [volume('pv-free'), reserved], true)?.metadata.name).toBe('pv-reserved');
    expect(findBestMatch(data, [volume('pv-free')], true)).toBeUndefined();
  });

  it('says why a named volume does not fit, in upstream words', () => {
    const data = claim('data', { storageClassName: 'slow' });
    expect(volumeMismatch(volume('pv'), data)).toBe('storageClassName does not match');
    expect(volumeMismatch(volume('pv', { storageClassName: 'slow', volumeMode: 'Block' }), data)).toBe(
      'incompatible volumeMode',
    );
    expect(volumeMismatch(volume('pv', { storageClassName: 'slow', accessModes: ['ReadOnlyMany'] }), data)).toBe(
      'incompatible accessMode',
    );
    expect(volumeMismatch(volume('pv', { storageClassName: 'slow' }), data)).toBeUndefined();
  });
});
