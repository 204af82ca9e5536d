export type NetworkErrorCode = 'InvalidConfig' | 'SetupFailed' | 'TeardownFailed';

export class NetworkError extends Error {
  constructor(
    readonly code: NetworkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'NetworkError';
  }
}
