// IP and CIDR checks with Go's net semantics (byte-level, IPv4-in-IPv6 treated as IPv4), for
// EndpointSlice addresses and NetworkPolicy ipBlocks.
import { isIPv4, isIPv6 } from 'node:net';

export interface ParsedIp {
  /** 4 bytes for IPv4 (and IPv4-mapped IPv6), 16 for IPv6. */
  bytes: number[];
}

function v4Bytes(s: string): number[] {
  return s.split('.').map(Number);
}

function v6Bytes(s: string): number[] {
  let text = s;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail = v4Bytes(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = text.split('::');
  const groups = (part: string | undefined): number[] => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const words =
    rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** net.ParseIP; undefined when the text is not an IP address. */
export function parseIp(s: string): ParsedIp | undefined {
  if (isIPv4(s)) return { bytes: v4Bytes(s) };
  if (!isIPv6(s) || s.includes('%')) return undefined;
  const bytes = v6Bytes(s);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return { bytes: mapped ? bytes.slice(12) : bytes };
}

/** IsValidIPv4Address: the address is IPv4 (an IPv4-mapped IPv6 address counts, as `To4()` says). */
export function isIPv4Address(s: string): boolean {
  return parseIp(s)?.bytes.length === 4;
}

export function isIPv6Address(s: string): boolean {
  return isIPv6(s) && !s.includes('%') && !isIPv4Address(s);
}

/** ValidateNonSpecialIP's reasons for refusing an address used as an endpoint. */
export function specialIpErrors(s: string): string[] {
  const ip = parseIp(s);
  if (!ip) return ['must be a valid IP address'];
  const b = ip.bytes;
  const out: string[] = [];
  const v4 = b.length === 4;
  if (b.every((x) => x === 0)) out.push(`may not be unspecified (${s})`);
  if (v4 ? b[0] === 127 : b.slice(0, 15).every((x) => x === 0) && b[15] === 1)
    out.push('may not be in the loopback range (127.0.0.0/8, ::1/128)');
  if (v4 ? b[0] === 169 && b[1] === 254 : b[0] === 0xfe && (b[1] & 0xc0) === 0x80)
    out.push('may not be in the link-local range (169.254.0.0/16, fe80::/10)');
  if (v4 ? b[0] === 224 && b[1] === 0 && b[2] === 0 : b[0] === 0xff && (b[1] & 0x0f) === 0x02)
    out.push('may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)');
  return out;
}

export interface ParsedCidr {
  /** The network address (host bits cleared), in the address family's byte length. */
  network: number[];
  prefix: number;
}

function masked(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
}

/** net.ParseCIDR; undefined when the text is not a CIDR. */
export function parseCidr(s: string): ParsedCidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(bits)) return undefined;
  const family = isIPv4(addr) ? 4 : isIPv6(addr) && !addr.includes('%') ? 16 : 0;
  if (!family) return undefined;
  const prefix = Number(bits);
  if (prefix > family * 8) return undefined;
  const raw = family === 4 ? v4Bytes(addr) : v6Bytes(addr);
  // An IPv4 network written in IPv6 form (::ffff:a.b.c.d/n) is an IPv4 network, as Go sees it.
  const mapped =
    family === 16 && raw.slice(0, 10).every((b) => b === 0) && raw[10] === 0xff && raw[11] === 0xff && prefix >= 96;
  return mapped
    ? { network: masked(raw.slice(12), prefix - 96), prefix: prefix - 96 }
    : { network: masked(raw, prefix), prefix };
}

/** IPNet.Contains for an address of the same family. */
export function cidrContains(net: ParsedCidr, ip: number[]): boolean {
  if (net.network.length !== ip.length) return false;
  const m = masked(ip, net.prefix);
  return m.every((b, i) => b === net.network[i]);
}
