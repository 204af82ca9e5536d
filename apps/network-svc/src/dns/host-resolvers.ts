import { Injectable } from '@nestjs/common';
import { readFileSync } from 'node:fs';

export interface ResolverAddress {
  host: string;
  port: number;
}

/** The host's resolvers, from /etc/resolv.conf (read only when forwarding is turned on). */
@Injectable()
export class HostResolvers {
  read(file = '/etc/resolv.conf'): ResolverAddress[] {
    return parseResolvConf(readFileSync(file, 'utf8'));
  }
}

/** `nameserver` lines of a resolv.conf, in order; IPv6 link-local scopes are kept as written. */
export function parseResolvConf(text: string): ResolverAddress[] {
  const out: ResolverAddress[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) out.push({ host: m[1], port: 53 });
  }
  return out;
}
