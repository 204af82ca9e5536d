/** Kubernetes waiting reasons and runtime failures the agent reports (kubelet's words where they exist). */
export type RuntimeErrorCode =
  | 'CreateContainerConfigError'
  | 'CreateContainerError'
  | 'RunContainerError'
  | 'NotFound'
  | 'MountFailed'
  | 'ExecFailed'
  | 'ListFailed';

export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}
