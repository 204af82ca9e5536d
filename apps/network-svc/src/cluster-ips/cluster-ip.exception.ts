import { ClusterIpErrorCode } from '@skiff/messaging';

/** A failure of the ClusterIP allocator; the NATS handler turns it into a ClusterIpErrorReply. */
export class ClusterIpException extends Error {
  constructor(
    readonly code: ClusterIpErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ClusterIpException';
  }
}
