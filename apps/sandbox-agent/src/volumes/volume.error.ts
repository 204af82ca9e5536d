/** FailedMount: the pod's volumes cannot be set up (kubelet's event reason); the pod stays ContainerCreating and is retried. */
export type VolumeErrorCode = 'FailedMount' | 'InvalidSubPath' | 'UnsupportedVolume';

export class VolumeError extends Error {
  constructor(
    readonly code: VolumeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'VolumeError';
  }
}
