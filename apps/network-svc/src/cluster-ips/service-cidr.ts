import { ipv4ToNumber, numberToIpv4 } from '../ipam/cidr';

/**
 * The service CIDR: offset 0 (network) and the last offset (broadcast) are never handed out.
 * Offsets below `dynamicStart` are kept for addresses asked for by value (upstream's static band:
 * 1/16 of the range, at least 16 and at most 256 addresses, none in a range of 16); random picks come
 * from above it first.
 */
export class ServiceCidr {
  readonly cidr: string;
  readonly firstOffset = 1;
  readonly lastOffset: number;
  readonly dynamicStart: number;
  private readonly base: number;

  constructor(cidr: string) {
    const [address, prefix] = cidr.split('/');
    const size = 2 ** (32 - Number(prefix));
    this.base = ipv4ToNumber(address);
    this.cidr = cidr;
    this.lastOffset = size - 2;
    // Upstream's calculateRangeOffset: no static band in ranges of 16 addresses or fewer.
    this.dynamicStart = size <= 16 ? this.firstOffset : Math.min(Math.max(16, Math.floor(size / 16)), 256);
  }

  ipAt(offset: number): string {
    return numberToIpv4(this.base + offset);
  }

  offsetOf(ip: string): number {
    return ipv4ToNumber(ip) - this.base;
  }

  /** True for the addresses a Service may hold. */
  isAssignable(ip: string): boolean {
    let offset: number;
    try {
      offset = this.offsetOf(ip);
    } catch {
      return false;
    }
    return offset >= this.firstOffset && offset <= this.lastOffset;
  }
}
