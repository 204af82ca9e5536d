/**
 * FailedMount: the pod's volumes cannot be set up (kubelet's event reason); the pod stays ContainerCreating and is retried.
 * FailedAttachVolume / FailedDetachVolume: a cloud disk cannot be attached to or detached from this host (retried).
 * FileSystemResizeFailed: a grown disk's filesystem could not be grown here (kubelet's event reason on the claim).
 */
export type VolumeErrorCode =
  | 'FailedMount'
  | 'InvalidSubPath'
  | 'UnsupportedVolume'
  | 'FailedAttachVolume'
  | 'FailedDetachVolume'
  | 'FileSystemResizeFailed';

export class VolumeError extends Error {
  constructor(
    readonly code: VolumeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'VolumeError';
  }
}
