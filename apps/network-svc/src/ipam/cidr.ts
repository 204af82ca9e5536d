// IPv4 arithmetic for a VSwitch range. Addresses are handled as offsets from the network
// address so the allocator can walk the range as plain integers.

export function ipv4ToNumber(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255))
    throw new Error(`not an IPv4 address: "${ip}"`);
  // Multiplication rather than << keeps the value unsigned above 127.255.255.255.
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** An IPv4 CIDR walked as offsets from its network address; `firstOffset`–`lastOffset` may be handed out. */
export abstract class Ipv4Range {
  readonly cidr: string;
  readonly prefixLength: number;
  abstract readonly firstOffset: number;
  readonly lastOffset: number;
  protected readonly base: number;
  protected readonly size: number;

  constructor(cidr: string) {
    const [address, prefix] = cidr.split('/');
    const prefixLength = Number(prefix);
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 30)
      throw new Error(`unusable prefix in "${cidr}"`);
    this.size = 2 ** (32 - prefixLength);
    this.base = ipv4ToNumber(address);
    if (this.base % this.size !== 0) throw new Error(`host bits are set in "${cidr}"`);
    this.cidr = `${address}/${prefixLength}`;
    this.prefixLength = prefixLength;
    // The last offset is the broadcast address, never handed out.
    this.lastOffset = this.size - 2;
  }

  ipAt(offset: number): string {
    return numberToIpv4(this.base + offset);
  }

  offsetOf(ip: string): number {
    return ipv4ToNumber(ip) - this.base;
  }

  /** True for the addresses that may be handed out. */
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

/**
 * One VSwitch CIDR: offset 0 is the network address and the last offset the broadcast
 * address (never handed out); offset 1 is the gateway (the host bridge), reserved.
 */
export class VSwitchRange extends Ipv4Range {
  readonly gateway: string;
  readonly firstOffset = 2;

  constructor(cidr: string) {
    super(cidr);
    this.gateway = numberToIpv4(this.base + 1);
  }

  /** How many addresses pods can hold at once. */
  get capacity(): number {
    return this.lastOffset - this.firstOffset + 1;
  }

  /** The offset after `offset`, wrapping from the last assignable one to the first. */
  following(offset: number): number {
    return offset >= this.lastOffset || offset < this.firstOffset ? this.firstOffset : offset + 1;
  }
}
