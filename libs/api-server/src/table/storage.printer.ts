// Storage kinds: persistentvolumes, persistentvolumeclaims and storageclasses.
import { KubeObject } from '@skiff/api-machinery';
import { AGE_COLUMN, ageOf, column, NAME_COLUMN, nameOf } from './columns';
import { ResourcePrinter } from './table.types';
import { list, optBool, optStr, quantity, record, str } from './unstructured';

const BETA_STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';
const DEFAULT_CLASS_ANNOTATIONS = [
  'storageclass.kubernetes.io/is-default-class',
  'storageclass.beta.kubernetes.io/is-default-class',
];

// GetAccessModesAsString: fixed order, duplicates dropped.
function accessModes(modes: unknown[]): string {
  const set = new Set(modes);
  return [
    ['ReadWriteOnce', 'RWO'],
    ['ReadOnlyMany', 'ROX'],
    ['ReadWriteMany', 'RWX'],
    ['ReadWriteOncePod', 'RWOP'],
  ]
    .filter(([mode]) => set.has(mode))
    .map(([, short]) => short)
    .join(',');
}

// The beta annotation still wins over spec.storageClassName, as upstream's helper.
function storageClassOf(obj: KubeObject): string {
  const annotation = obj.metadata?.annotations?.[BETA_STORAGE_CLASS_ANNOTATION];
  return annotation !== undefined ? annotation : str(obj, 'spec', 'storageClassName');
}

function phaseOrTerminating(obj: KubeObject): string {
  return typeof obj.metadata?.deletionTimestamp === 'string' ? 'Terminating' : str(obj, 'status', 'phase');
}

export const persistentVolumePrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Capacity', 'string', "capacity is the description of the persistent volume's resources and capacity."),
    column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    column(
      'Reclaim Policy',
      'string',
      'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.',
    ),
    column('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    column(
      'Claim',
      'string',
      'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.',
    ),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    column(
      'Reason',
      'string',
      'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.',
    ),
    AGE_COLUMN,
    column(
      'VolumeMode',
      'string',
      'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.',
      1,
    ),
  ],
  cells: (pv, { now }) => {
    const claimRef = record(pv, 'spec', 'claimRef');
    return [
      nameOf(pv),
      quantity(pv, 'spec', 'capacity', 'storage') ?? '0',
      accessModes(list(pv, 'spec', 'accessModes')),
      str(pv, 'spec', 'persistentVolumeReclaimPolicy'),
      phaseOrTerminating(pv),
      claimRef ? `${str(claimRef, 'namespace')}/${str(claimRef, 'name')}` : '',
      storageClassOf(pv),
      optStr(pv, 'spec', 'volumeAttributesClassName') ?? '<unset>',
      str(pv, 'status', 'reason'),
      ageOf(pv, now),
      optStr(pv, 'spec', 'volumeMode') ?? '<unset>',
    ];
  },
};

export const persistentVolumeClaimPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    column('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    column('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    AGE_COLUMN,
    column('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', 1),
  ],
  cells: (pvc, { now }) => {
    // Capacity and modes are only shown once the claim is bound to a volume.
    const bound = str(pvc, 'spec', 'volumeName') !== '';
    return [
      nameOf(pvc),
      phaseOrTerminating(pvc),
      str(pvc, 'spec', 'volumeName'),
      bound ? (quantity(pvc, 'status', 'capacity', 'storage') ?? '0') : '',
      bound ? accessModes(list(pvc, 'status', 'accessModes')) : '',
      storageClassOf(pvc),
      optStr(pvc, 'spec', 'volumeAttributesClassName') ?? '<unset>',
      ageOf(pvc, now),
      optStr(pvc, 'spec', 'volumeMode') ?? '<unset>',
    ];
  },
};

export const storageClassPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    column(
      'ReclaimPolicy',
      'string',
      'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.',
    ),
    column(
      'VolumeBindingMode',
      'string',
      'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.',
    ),
    column(
      'AllowVolumeExpansion',
      'string',
      'allowVolumeExpansion shows whether the storage class allow volume expand.',
    ),
    AGE_COLUMN,
  ],
  cells: (sc, { now }) => {
    const annotations = sc.metadata?.annotations ?? {};
    const isDefault = DEFAULT_CLASS_ANNOTATIONS.some((a) => annotations[a] === 'true');
    return [
      isDefault ? `${nameOf(sc)} (default)` : nameOf(sc),
      str(sc, 'provisioner'),
      optStr(sc, 'reclaimPolicy') ?? 'Delete',
      optStr(sc, 'volumeBindingMode') ?? 'Immediate',
      optBool(sc, 'allowVolumeExpansion') ?? false,
      ageOf(sc, now),
    ];
  },
};
