import { firstHostOf } from '@skiff/config';

/** An IPv4 prefix, e.g. the VSwitch CIDR this host's bridge serves. */
export class Ipv4Cidr {
  private readonly base: number;
  private readonly mask: number;

  constructor(readonly cidr: string) {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
    if (!m || !Ipv4Cidr.isAddress(m[1]) || Number(m[2]) > 32) throw new Error(`"${cidr}" is not an IPv4 CIDR`);
    const bits = Number(m[2]);
    this.mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    this.base = (Ipv4Cidr.toNumber(m[1]) & this.mask) >>> 0;
  }

  /** The first host address: the bridge's gateway, the pods' way to their host. */
  get gateway(): string {
    return firstHostOf(this.cidr);
  }

  contains(ip: string): boolean {
    return (Ipv4Cidr.toNumber(ip) & this.mask) >>> 0 === this.base;
  }

  static isAddress(ip: string): boolean {
    const parts = ip.split('.');
    return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
  }

  static toNumber(ip: string): number {
    return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  }
}
