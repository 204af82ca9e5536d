/** Kubernetes waiting reasons an image problem maps to (kubelet's words). */
export type ImageErrorCode = 'InvalidImageName' | 'ErrImagePull' | 'ErrImageNeverPull' | 'ImageUnpackFailed';

export class ImageError extends Error {
  constructor(
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImageError';
  }
}
