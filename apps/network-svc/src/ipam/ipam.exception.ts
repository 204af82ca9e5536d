import { IpamErrorCode } from '@skiff/messaging';

/** A failure of the IPAM module; the NATS handler turns it into an IpamErrorReply. */
export class IpamException extends Error {
  constructor(
    readonly code: IpamErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IpamException';
  }
}
