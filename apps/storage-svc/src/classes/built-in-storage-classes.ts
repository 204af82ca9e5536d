import { StorageClass } from '@skiff/kube-types';

/** ASK's disk and NAS provisioners (CSI names; the flexvolume-era names are served too). */
export const DISK_PROVISIONER = 'diskplugin.csi.alibabacloud.com';
export const NAS_PROVISIONER = 'nasplugin.csi.alibabacloud.com';
export const LEGACY_DISK_PROVISIONER = 'alicloud/disk';
export const LEGACY_NAS_PROVISIONER = 'alicloud/nas';
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

function diskClass(name: string, type: string, extra: Partial<StorageClass> = {}): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner: DISK_PROVISIONER,
    parameters: { type },
    reclaimPolicy: 'Delete',
    allowVolumeExpansion: true,
    volumeBindingMode: 'Immediate',
    ...extra,
  } as StorageClass;
}

/** The classes a cluster starts with, as ASK installs them (`alicloud-disk-essd` the default). */
export const BUILT_IN_STORAGE_CLASSES: StorageClass[] = [
  diskClass('alicloud-disk-essd', 'cloud_essd', {
    metadata: { name: 'alicloud-disk-essd', annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
  }),
  diskClass('alicloud-disk-ssd', 'cloud_ssd'),
  diskClass('alicloud-disk-efficiency', 'cloud_efficiency'),
  diskClass('alicloud-disk-available', 'available'),
  diskClass('alicloud-disk-topology', 'available', { volumeBindingMode: 'WaitForFirstConsumer' }),
  {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'alicloud-nas' },
    provisioner: NAS_PROVISIONER,
    parameters: { volumeAs: 'subpath' },
    reclaimPolicy: 'Delete',
    allowVolumeExpansion: true,
    volumeBindingMode: 'Immediate',
  } as StorageClass,
];
