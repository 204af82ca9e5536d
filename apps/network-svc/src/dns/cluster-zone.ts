import { SERVICE_NAME_LABEL, type EndpointSlice, type Service } from '@skiff/kube-types';
import type { Answer, RecordType, SoaAnswer, SrvData } from 'dns-packet';

/** Every record the server hands out lives this long (CoreDNS's kubernetes plugin default). */
export const RECORD_TTL = 5;
// CoreDNS answers this TXT so clients can tell which version of the DNS schema they talk to.
const SCHEMA_VERSION = '1.1.0';

/** What the zone says about one question; the caller adds the SOA to the authority section when `answers` is empty. */
export interface ZoneAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN';
  answers: Answer[];
  additionals: Answer[];
}

interface NameRecords {
  a: string[];
  aaaa: string[];
  srv: SrvData[];
  cname?: string;
}

/**
 * The records of the cluster zone, built from Services and EndpointSlices as CoreDNS's kubernetes
 * plugin serves them (https://github.com/kubernetes/dns/blob/master/docs/specification.md):
 * `<svc>.<ns>.svc` (ClusterIP, or the ready endpoints of a headless Service), `<host>.<svc>.<ns>.svc`
 * per endpoint (its hostname, else its dashed IP), SRV per named port, PTR for ClusterIPs and
 * endpoint IPs, CNAME for ExternalName, and `a-b-c-d.<ns>.pod` answered from the name itself
 * ("pods insecure", CoreDNS's usual setting). Immutable: a change builds a new zone.
 */
export class ClusterZone {
  private readonly records = new Map<string, NameRecords>();
  /** Names that exist only because something lives below them (empty non-terminals): NODATA, not NXDOMAIN. */
  private readonly nonTerminals = new Set<string>();
  /** Reverse names (`4.3.2.1.in-addr.arpa`) → the names they point at. */
  private readonly pointers = new Map<string, string[]>();
  private readonly soa: SoaAnswer;

  constructor(
    readonly domain: string,
    services: readonly Service[],
    slices: readonly EndpointSlice[],
    serial = 1,
  ) {
    this.soa = {
      type: 'SOA',
      name: domain,
      ttl: RECORD_TTL,
      class: 'IN',
      data: {
        mname: `ns.dns.${domain}`,
        rname: `hostmaster.${domain}`,
        serial,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: RECORD_TTL,
      },
    };
    this.markAncestors(`svc.${domain}`);
    this.markAncestors(`pod.${domain}`);
    const slicesByService = new Map<string, EndpointSlice[]>();
    for (const slice of slices) {
      const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
      if (!svc) continue;
      const key = `${slice.metadata.namespace}/${svc}`;
      slicesByService.set(key, [...(slicesByService.get(key) ?? []), slice]);
    }
    for (const svc of services)
      this.addService(svc, slicesByService.get(`${svc.metadata.namespace}/${svc.metadata.name}`) ?? []);
  }

  /** Whether `name` (lower case, no trailing dot) is this zone's apex or below it. */
  contains(name: string): boolean {
    return name === this.domain || name.endsWith(`.${this.domain}`);
  }

  /** The SOA that goes into the authority section of negative answers. */
  soaRecord(): SoaAnswer {
    return this.soa;
  }

  /**
   * Answers a question for a name in this zone or a reverse name it knows (see `knowsPointer`).
   * `owner` is the name as the client spelled it: answers echo its case.
   */
  lookup(name: string, type: RecordType | 'ANY', owner = name): ZoneAnswer {
    if (name.endsWith('.in-addr.arpa')) return this.lookupPointer(name, type, owner);
    if (name === this.domain) return this.apex(type, owner);
    if (name === `dns-version.${this.domain}`)
      return type === 'TXT' || type === 'ANY'
        ? found([{ type: 'TXT', name: owner, ttl: RECORD_TTL, class: 'IN', data: SCHEMA_VERSION }])
        : found([]);
    const podIp = this.podAddress(name);
    if (podIp) return found(type === 'A' || type === 'ANY' ? [aRecord(owner, podIp)] : []);

    const rec = this.records.get(name);
    if (!rec) return this.nonTerminals.has(name) ? found([]) : { rcode: 'NXDOMAIN', answers: [], additionals: [] };
    if (rec.cname) return found([{ type: 'CNAME', name: owner, ttl: RECORD_TTL, class: 'IN', data: rec.cname }]);
    switch (type) {
      case 'A':
        return found(rec.a.map((ip) => aRecord(owner, ip)));
      case 'AAAA':
        return found(rec.aaaa.map((ip) => aaaaRecord(owner, ip)));
      case 'SRV':
        return this.srvAnswer(rec, owner);
      case 'ANY':
        return found([...rec.a.map((ip) => aRecord(owner, ip)), ...rec.aaaa.map((ip) => aaaaRecord(owner, ip))]);
      default:
        return found([]);
    }
  }

  /** Whether a reverse name is one this zone answers (a ClusterIP or an endpoint IP); others go elsewhere. */
  knowsPointer(name: string): boolean {
    return this.pointers.has(name);
  }

  private apex(type: RecordType | 'ANY', owner: string): ZoneAnswer {
    const ns = `ns.dns.${this.domain}`;
    if (type === 'SOA') return found([{ ...this.soa, name: owner }]);
    if (type === 'NS') {
      const glue = this.records.get(ns)?.a ?? [];
      return {
        ...found([{ type: 'NS', name: owner, ttl: RECORD_TTL, class: 'IN', data: ns }]),
        additionals: glue.map((ip) => aRecord(ns, ip)),
      };
    }
    return found([]);
  }

  private lookupPointer(name: string, type: RecordType | 'ANY', owner: string): ZoneAnswer {
    const targets = this.pointers.get(name) ?? [];
    if (type !== 'PTR' && type !== 'ANY') return found([]);
    return found(targets.map((data) => ({ type: 'PTR', name: owner, ttl: RECORD_TTL, class: 'IN', data })));
  }

  private srvAnswer(rec: NameRecords, owner: string): ZoneAnswer {
    const weight = rec.srv.length ? Math.floor(100 / rec.srv.length) : 0;
    const answers: Answer[] = rec.srv.map((s) => ({
      type: 'SRV',
      name: owner,
      ttl: RECORD_TTL,
      class: 'IN',
      data: { priority: 0, weight, port: s.port, target: s.target },
    }));
    // The targets' addresses, so a client needs no second round trip.
    const additionals: Answer[] = [];
    for (const target of new Set(rec.srv.map((s) => s.target))) {
      const t = this.records.get(target);
      for (const ip of t?.a ?? []) additionals.push(aRecord(target, ip));
      for (const ip of t?.aaaa ?? []) additionals.push(aaaaRecord(target, ip));
    }
    return { rcode: 'NOERROR', answers, additionals };
  }

  /** `10-244-1-5.<ns>.pod.<domain>` → 10.244.1.5, for any namespace label. */
  private podAddress(name: string): string | undefined {
    const suffix = `.pod.${this.domain}`;
    if (!name.endsWith(suffix)) return undefined;
    const labels = name.slice(0, -suffix.length).split('.');
    if (labels.length !== 2) return undefined;
    const m = /^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$/.exec(labels[0]);
    if (!m || m.slice(1).some((o) => Number(o) > 255 || (o.length > 1 && o.startsWith('0')))) return undefined;
    return m.slice(1).join('.');
  }

  private addService(svc: Service, slices: EndpointSlice[]): void {
    const ns = svc.metadata.namespace ?? 'default';
    const base = `${svc.metadata.name}.${ns}.svc.${this.domain}`.toLowerCase();
    const spec = svc.spec ?? {};
    this.markAncestors(`${ns}.svc.${this.domain}`);
    if (spec.type === 'ExternalName') {
      if (spec.externalName) this.entry(base).cname = spec.externalName.toLowerCase().replace(/\.$/, '');
      return;
    }
    const headless = spec.clusterIP === 'None';
    // A headless Service without ready endpoints has no name (NXDOMAIN, as CoreDNS answers); any other Service has one.
    if (!headless) this.markAncestors(base);
    const clusterIPs = headless ? [] : (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []));
    for (const ip of clusterIPs) {
      this.addAddress(base, ip);
      this.addPointer(ip, base);
    }

    const endpoints = readyEndpoints(slices);
    if (!headless) {
      for (const port of spec.ports ?? []) {
        const srv = { port: port.port, target: base };
        if (port.name) this.entry(srvName(port.name, port.protocol, base)).srv.push(srv);
        this.entry(base).srv.push(srv);
      }
    }
    for (const ep of endpoints) {
      const host = `${ep.label}.${base}`;
      this.addAddress(host, ep.ip);
      this.addPointer(ep.ip, host);
      if (!headless) continue;
      this.addAddress(base, ep.ip);
      for (const port of ep.ports) {
        const srv = { port: port.port, target: host };
        if (port.name) this.entry(srvName(port.name, port.protocol, base)).srv.push(srv);
        this.entry(base).srv.push(srv);
      }
    }
  }

  private addAddress(name: string, ip: string): void {
    const rec = this.entry(name);
    const list = ip.includes(':') ? rec.aaaa : rec.a;
    if (!list.includes(ip)) list.push(ip);
  }

  private addPointer(ip: string, target: string): void {
    const reverse = reverseName(ip);
    if (!reverse) return;
    const targets = this.pointers.get(reverse) ?? [];
    if (!targets.includes(target)) targets.push(target);
    this.pointers.set(reverse, targets);
  }

  private entry(name: string): NameRecords {
    let rec = this.records.get(name);
    if (!rec) {
      rec = { a: [], aaaa: [], srv: [] };
      this.records.set(name, rec);
      this.markAncestors(name);
    }
    return rec;
  }

  /** Marks `name` and every name between it and the apex as existing. */
  private markAncestors(name: string): void {
    for (let n = name; n.length > this.domain.length; n = n.slice(n.indexOf('.') + 1)) {
      if (this.nonTerminals.has(n)) return;
      this.nonTerminals.add(n);
    }
  }
}

interface ReadyEndpoint {
  ip: string;
  /** The first label of its own name: the endpoint's hostname, else its address with dashes. */
  label: string;
  ports: { name?: string; protocol?: string; port: number }[];
}

/** Ready endpoints of a Service's slices (a missing `ready` counts as ready, as upstream reads it), one per address. */
function readyEndpoints(slices: EndpointSlice[]): ReadyEndpoint[] {
  const seen = new Map<string, ReadyEndpoint>();
  for (const slice of [...slices].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
    if (slice.addressType === 'FQDN') continue;
    const ports = (slice.ports ?? []).flatMap((p) =>
      p.port === undefined ? [] : [{ name: p.name || undefined, protocol: p.protocol, port: p.port }],
    );
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      for (const ip of ep.addresses) {
        const known = seen.get(ip);
        if (known) {
          for (const p of ports) if (!known.ports.some((k) => samePort(k, p))) known.ports.push(p);
          continue;
        }
        const label = ep.hostname ? ep.hostname.toLowerCase() : ip.replace(/[.:]/g, '-');
        seen.set(ip, { ip, label, ports: [...ports] });
      }
    }
  }
  return [...seen.values()];
}

function samePort(a: ReadyEndpoint['ports'][number], b: ReadyEndpoint['ports'][number]): boolean {
  return a.name === b.name && a.protocol === b.protocol && a.port === b.port;
}

function srvName(port: string, protocol: string | undefined, base: string): string {
  return `_${port.toLowerCase()}._${(protocol ?? 'TCP').toLowerCase()}.${base}`;
}

/** `10.96.0.10` → `10.0.96.10.in-addr.arpa`; undefined for what is not an IPv4 address. */
export function reverseName(ip: string): string | undefined {
  const octets = ip.split('.');
  if (octets.length !== 4 || octets.some((o) => !/^\d{1,3}$/.test(o) || Number(o) > 255)) return undefined;
  return `${octets.reverse().join('.')}.in-addr.arpa`;
}

function found(answers: Answer[]): ZoneAnswer {
  return { rcode: 'NOERROR', answers, additionals: [] };
}

function aRecord(name: string, ip: string): Answer {
  return { type: 'A', name, ttl: RECORD_TTL, class: 'IN', data: ip };
}

function aaaaRecord(name: string, ip: string): Answer {
  return { type: 'AAAA', name, ttl: RECORD_TTL, class: 'IN', data: ip };
}
