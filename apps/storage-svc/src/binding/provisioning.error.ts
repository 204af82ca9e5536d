/** The gRPC codes CSI drivers answer with, which the backends use too. */
export type ProvisioningErrorCode =
  'InvalidArgument' | 'OutOfRange' | 'NotFound' | 'ResourceExhausted' | 'Unavailable' | 'Internal';

// Upstream's external-provisioner counts InvalidArgument as infeasible; a size beyond the backend's limit
// (OutOfRange, as CSI answers it) will not succeed later either.
const INFEASIBLE: readonly ProvisioningErrorCode[] = ['InvalidArgument', 'OutOfRange'];

/**
 * A backend could not provision, delete or expand a volume. The message reads as a CSI driver's error does in
 * upstream's events (`rpc error: code = InvalidArgument desc = ...`).
 */
export class ProvisioningError extends Error {
  constructor(
    readonly code: ProvisioningErrorCode,
    readonly detail: string,
  ) {
    super(`rpc error: code = ${code} desc = ${detail}`);
    this.name = 'ProvisioningError';
  }

  /** Trying again may succeed (a busy or full backend); an infeasible request is retried only after a long delay. */
  get transient(): boolean {
    return !INFEASIBLE.includes(this.code);
  }
}
