// storage.k8s.io/v1 CSIDrivers (printCSIDriver) and VolumeAttachments (printVolumeAttachment).
import { AGE_COLUMN, ageOf, column, NAME_COLUMN, nameOf } from './columns';
import { ResourcePrinter } from './table.types';
import { at, list, optBool, optStr, str } from './unstructured';

// Unset pointers print as their defaults, as upstream's printer does.
export const csiDriverPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column(
      'AttachRequired',
      'boolean',
      'attachRequired indicates this CSI volume driver requires an attach operation.',
    ),
    column(
      'PodInfoOnMount',
      'boolean',
      'podInfoOnMount indicates this CSI volume driver requires additional pod information (like podName, podUID, etc.) during mount operations, if set to true.',
    ),
    column(
      'StorageCapacity',
      'boolean',
      'storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity that the driver deployment will report.',
    ),
    column(
      'TokenRequests',
      'string',
      "tokenRequests indicates the CSI driver needs pods' service account tokens it is mounting volume for to do necessary authentication.",
    ),
    column(
      'RequiresRepublish',
      'boolean',
      'requiresRepublish indicates the CSI driver wants `NodePublishVolume` being periodically called to reflect any possible change in the mounted volume.',
    ),
    column('Modes', 'string', 'volumeLifecycleModes defines what kind of volumes this CSI volume driver supports.'),
    AGE_COLUMN,
  ],
  cells: (driver, { now }) => {
    const modes = list(driver, 'spec', 'volumeLifecycleModes').map(String).join(',');
    const tokenRequests = at(driver, 'spec', 'tokenRequests');
    return [
      nameOf(driver),
      optBool(driver, 'spec', 'attachRequired') ?? true,
      optBool(driver, 'spec', 'podInfoOnMount') ?? false,
      optBool(driver, 'spec', 'storageCapacity') ?? false,
      Array.isArray(tokenRequests) ? tokenRequests.map((t) => str(t, 'audience')).join(',') : '<unset>',
      optBool(driver, 'spec', 'requiresRepublish') ?? false,
      modes === '' ? '<none>' : modes,
      ageOf(driver, now),
    ];
  },
};

export const volumeAttachmentPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column(
      'Attacher',
      'string',
      'attacher indicates the name of the volume driver that MUST handle this request.',
      0,
      'name',
    ),
    column('PV', 'string', 'persistentVolumeName represents the name of the persistent volume to attach.'),
    column('Node', 'string', 'nodeName represents the node that the volume should be attached to.'),
    column('Attached', 'boolean', 'attached indicates the volume is successfully attached.'),
    AGE_COLUMN,
  ],
  cells: (va, { now }) => [
    nameOf(va),
    str(va, 'spec', 'attacher'),
    optStr(va, 'spec', 'source', 'persistentVolumeName') ?? '',
    str(va, 'spec', 'nodeName'),
    optBool(va, 'status', 'attached') ?? false,
    ageOf(va, now),
  ],
};
