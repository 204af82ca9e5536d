import { Ipv4Range } from '../ipam/cidr';

/**
 * The service CIDR: every address but the network and broadcast ones may be held. Offsets below
 * `dynamicStart` are kept for addresses asked for by value (upstream's static band: 1/16 of the
 * range, at least 16 and at most 256 addresses, none in a range of 16); random picks come from
 * above it first.
 */
export class ServiceCidr extends Ipv4Range {
  readonly firstOffset = 1;
  readonly dynamicStart: number;

  constructor(cidr: string) {
    super(cidr);
    // Upstream's calculateRangeOffset.
    this.dynamicStart = this.size <= 16 ? this.firstOffset : Math.min(Math.max(16, Math.floor(this.size / 16)), 256);
  }
}
