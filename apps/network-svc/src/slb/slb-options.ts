import type { Service, ServicePort } from '@skiff/kube-types';
import { ipv4ToNumber, numberToIpv4 } from '../ipam/cidr';

// What a LoadBalancer Service asks of its SLB, read as Alibaba Cloud's cloud-controller-manager (CCM) reads it
// (kubernetes/cloud-provider-alibaba-cloud, pkg/controller/service/reconcile/annotation and docs/usage.md).
// Values are case-sensitive, as the CCM documents. An invalid value is reported and the default used, where
// the CCM would fail the whole Service.

export const SLB_ANNOTATION_PREFIX = 'service.beta.kubernetes.io/alibaba-cloud-loadbalancer-';
/** The spelling before September 2019; still honoured, the new prefix wins when both are set. */
export const SLB_LEGACY_ANNOTATION_PREFIX = 'service.beta.kubernetes.io/alicloud-loadbalancer-';

export type SlbAddressType = 'internet' | 'intranet';
export type SlbScheduler = 'wrr' | 'rr' | 'wlc';
export type SlbListenerProtocol = 'tcp' | 'udp' | 'http' | 'https';
export type SlbHttpCode = 'http_2xx' | 'http_3xx' | 'http_4xx' | 'http_5xx';
export type SlbAclType = 'white' | 'black';

/** CLB's pay-by-specification instance types (CreateLoadBalancer `LoadBalancerSpec`). */
export const SLB_SPECS = [
  'slb.s1.small',
  'slb.s2.small',
  'slb.s2.medium',
  'slb.s3.small',
  'slb.s3.medium',
  'slb.s3.large',
] as const;
export type SlbSpec = (typeof SLB_SPECS)[number];

export interface SlbHealthCheck {
  type: 'tcp' | 'http';
  /** Probed instead of each backend's own port when set. */
  connectPort?: number;
  uri: string;
  /** The Host header of HTTP checks; unset means the backend's IP (CLB's `$_ip`). */
  domain?: string;
  httpCodes: SlbHttpCode[];
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export type SlbStickySession = { type: 'insert'; cookieTimeoutSeconds: number } | { type: 'server'; cookie: string };

/** Only present when it filters anything: CLB forwards everything when the ACL has no entries. */
export interface SlbAcl {
  type: SlbAclType;
  cidrs: string[];
}

export interface SlbOptions {
  addressType: SlbAddressType;
  /** An existing SLB to reuse instead of creating one. */
  loadBalancerId?: string;
  /** Whether listeners of a reused SLB are replaced by the Service's. */
  forceOverrideListeners: boolean;
  spec: SlbSpec;
  /** Cap of the whole SLB; unset is no cap (CLB's pay-by-traffic listeners have bandwidth -1). */
  bandwidthMbps?: number;
  scheduler: SlbScheduler;
  /** Listener protocol per Service port from `protocol-port`; other ports use the port's own protocol. */
  protocolPorts: { protocol: SlbListenerProtocol; port: number }[];
  /** `health-check-switch`: TCP and UDP listeners are checked unless it is off. */
  healthCheckSwitch: boolean;
  /** `health-check-flag`: HTTP and HTTPS listeners are checked only when it is on. */
  healthCheckFlag: boolean;
  healthCheck: SlbHealthCheck;
  /** Cookie persistence of HTTP(S) listeners, when on and complete. */
  stickySession?: SlbStickySession;
  /** Client-IP persistence of TCP listeners; 0 is off. */
  persistenceTimeoutSeconds: number;
  acl?: SlbAcl;
  /** `spec.loadBalancerSourceRanges`, as network CIDRs. */
  sourceRanges: string[];
  loadBalancerIP?: string;
}

/** Something in the Service that was not applied as written; `annotation` is the full key or the spec field. */
export interface SlbWarning {
  annotation: string;
  message: string;
}

const HTTP_CODES: readonly SlbHttpCode[] = ['http_2xx', 'http_3xx', 'http_4xx', 'http_5xx'];
const LISTENER_PROTOCOLS: readonly SlbListenerProtocol[] = ['tcp', 'udp', 'http', 'https'];
const ON_OFF = ['on', 'off'] as const;

// The CCM's other CLB annotations: told apart from typos so the warning says which it is. The supported ones
// are those slbOptionsOf reads (it reads every one of them, whatever the others say).
const NOT_SUPPORTED = new Set([
  'name',
  'resource-group-id',
  'additional-resource-tags',
  'delete-protection',
  'modification-protection',
  'preserve-lb-on-delete',
  'charge-type',
  'instance-charge-type',
  'network-type',
  'slb-network-type',
  'vswitch-id',
  'master-zoneid',
  'slave-zoneid',
  'ip-version',
  'ip',
  'external-ip-type',
  'hostname',
  'cert-id',
  'tls-cipher-policy',
  'forward-port',
  'http2-enabled',
  'idle-timeout',
  'request-timeout',
  'established-timeout',
  'connection-drain',
  'connection-drain-timeout',
  'health-check-method',
  'xforwardedfor-proto',
  'xforwardedfor-slbport',
  'xforwardedfor-clientsrcport',
  'proxy-protocol',
  'domain-extensions',
  'vgroup-port',
  'backend-label',
  'backend-ip-version',
  'remove-unscheduled-backend',
  'weight',
  'default-weight',
  'ignore-weight-update',
]);

/** The options a LoadBalancer Service asks for, each invalid or unsupported setting reported once. */
export function slbOptionsOf(service: Service): { options: SlbOptions; warnings: SlbWarning[] } {
  const read = new AnnotationReader(service.metadata.annotations ?? {});
  const { warnings } = read;

  const loadBalancerId = read.matching('id', /^lb-[0-9a-z]+$/, 'an SLB id such as lb-2ze0k1b8a9cd');
  const interval = read.integer('health-check-interval', 1, 50) ?? 2;
  const type = read.oneOf('health-check-type', ['tcp', 'http']) ?? 'tcp';
  const timeoutName = type === 'tcp' ? 'health-check-connect-timeout' : 'health-check-timeout';
  const otherTimeout = type === 'tcp' ? 'health-check-timeout' : 'health-check-connect-timeout';
  read.integer(otherTimeout, 1, 300); // validated; only the timeout of the check's own type applies
  const healthCheck: SlbHealthCheck = {
    type,
    connectPort: read.connectPort(),
    uri: read.matching('health-check-uri', /^\/[\w\-/.%?#&=]{0,79}$/, 'a path of 1-80 characters from "/"') ?? '/',
    domain: read.domain(),
    httpCodes: read.httpCodes() ?? ['http_2xx'],
    intervalSeconds: interval,
    // CLB: a timeout below the interval is not used; the interval is the timeout then.
    timeoutSeconds: Math.max(read.integer(timeoutName, 1, 300) ?? 5, interval),
    healthyThreshold: read.integer('healthy-threshold', 2, 10) ?? 3,
    unhealthyThreshold: read.integer('unhealthy-threshold', 2, 10) ?? 3,
  };

  const options: SlbOptions = {
    addressType: read.oneOf('address-type', ['internet', 'intranet']) ?? 'internet',
    loadBalancerId,
    forceOverrideListeners: (read.oneOf('force-override-listeners', ['true', 'false']) ?? 'false') === 'true',
    spec: read.oneOf('spec', SLB_SPECS) ?? 'slb.s1.small',
    bandwidthMbps: read.integer('bandwidth', 1, 5120),
    scheduler: read.oneOf('scheduler', ['wrr', 'rr', 'wlc']) ?? 'rr',
    protocolPorts: read.protocolPorts(service.spec.ports ?? []),
    healthCheckSwitch: (read.oneOf('health-check-switch', ON_OFF) ?? 'on') === 'on',
    healthCheckFlag: (read.oneOf('health-check-flag', ON_OFF) ?? 'off') === 'on',
    healthCheck,
    stickySession: read.stickySession(),
    persistenceTimeoutSeconds: read.integer('persistence-timeout', 0, 3600) ?? 0,
    acl: read.acl(),
    sourceRanges: sourceRangesOf(service, warnings),
    loadBalancerIP: loadBalancerIpOf(service, warnings),
  };
  read.reportUnread();
  return { options, warnings };
}

/** The listener protocol of a Service port: `protocol-port` names it, else the port's own (TCP by default). */
export function listenerProtocolOf(options: SlbOptions, port: ServicePort): SlbListenerProtocol {
  const named = options.protocolPorts.find((p) => p.port === port.port);
  if (named) return named.protocol;
  return port.protocol === 'UDP' ? 'udp' : 'tcp';
}

/**
 * The check for a listener's backends, or undefined when they are not checked: TCP listeners follow
 * `health-check-switch`, HTTP(S) ones `health-check-flag`; UDP checks (a datagram probe) are not done here.
 */
export function healthCheckOf(options: SlbOptions, protocol: SlbListenerProtocol): SlbHealthCheck | undefined {
  if (protocol === 'udp') return undefined;
  const on = protocol === 'tcp' ? options.healthCheckSwitch : options.healthCheckFlag;
  return on ? options.healthCheck : undefined;
}

/** A network CIDR (`a.b.c.d/n`, host bits cleared; a bare address is /32), or undefined if `text` is none. */
export function ipv4CidrOf(text: string): string | undefined {
  const [address, prefix = '32', extra] = text.trim().split('/');
  if (extra !== undefined || !/^\d{1,2}$/.test(prefix) || Number(prefix) > 32) return undefined;
  let ip: number;
  try {
    ip = ipv4ToNumber(address);
  } catch {
    return undefined;
  }
  const size = 2 ** (32 - Number(prefix));
  return `${numberToIpv4(ip - (ip % size))}/${prefix}`;
}

function sourceRangesOf(service: Service, warnings: SlbWarning[]): string[] {
  const ranges: string[] = [];
  for (const range of service.spec.loadBalancerSourceRanges ?? []) {
    const cidr = ipv4CidrOf(range);
    if (cidr) ranges.push(cidr);
    else
      warnings.push({
        annotation: 'spec.loadBalancerSourceRanges',
        message: `"${range}" is not an IPv4 CIDR; left out`,
      });
  }
  return ranges;
}

function loadBalancerIpOf(service: Service, warnings: SlbWarning[]): string | undefined {
  const ip = service.spec.loadBalancerIP;
  if (!ip) return undefined;
  if (ipv4CidrOf(ip) === `${ip}/32`) return ip;
  warnings.push({ annotation: 'spec.loadBalancerIP', message: `"${ip}" is not an IPv4 address; ignored` });
  return undefined;
}

/** Reads `<prefix><name>` under either prefix and keeps the warnings; every read marks the name as known. */
class AnnotationReader {
  readonly warnings: SlbWarning[] = [];
  // name → the key it was read from (the new prefix's when both are set) and its value
  private readonly present = new Map<string, { key: string; value: string }>();
  private readonly read = new Set<string>();

  constructor(annotations: Record<string, string>) {
    for (const prefix of [SLB_LEGACY_ANNOTATION_PREFIX, SLB_ANNOTATION_PREFIX])
      for (const [key, value] of Object.entries(annotations))
        if (key.startsWith(prefix)) this.present.set(key.slice(prefix.length), { key, value: value.trim() });
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const a = this.get(name);
    if (!a) return undefined;
    if ((allowed as readonly string[]).includes(a.value)) return a.value as T;
    return this.invalid(a.key, a.value, `not one of ${allowed.join(', ')}`);
  }

  integer(name: string, min: number, max: number): number | undefined {
    const a = this.get(name);
    if (!a) return undefined;
    const n = /^-?\d+$/.test(a.value) ? Number(a.value) : NaN;
    if (n >= min && n <= max) return n;
    return this.invalid(a.key, a.value, `not an integer from ${min} to ${max}`);
  }

  matching(name: string, pattern: RegExp, what: string): string | undefined {
    const a = this.get(name);
    if (!a) return undefined;
    return pattern.test(a.value) ? a.value : this.invalid(a.key, a.value, `not ${what}`);
  }

  /** -520 is CLB's "the listener's backend port", as is leaving it out. */
  connectPort(): number | undefined {
    const a = this.get('health-check-connect-port');
    if (!a || a.value === '-520') return undefined;
    const n = /^\d+$/.test(a.value) ? Number(a.value) : NaN;
    if (n >= 1 && n <= 65535) return n;
    return this.invalid(a.key, a.value, 'not a port from 1 to 65535 (or -520)');
  }

  domain(): string | undefined {
    const domain = this.matching('health-check-domain', /^(\$_ip|[A-Za-z0-9.-]{1,80})$/, 'a domain name or $_ip');
    return domain === '$_ip' ? undefined : domain;
  }

  httpCodes(): SlbHttpCode[] | undefined {
    const a = this.get('health-check-httpcode');
    if (!a) return undefined;
    const codes = a.value.split(',').map((c) => c.trim());
    if (codes.every((c) => (HTTP_CODES as readonly string[]).includes(c))) return [...new Set(codes)] as SlbHttpCode[];
    return this.invalid(a.key, a.value, `not a comma list of ${HTTP_CODES.join(', ')}`);
  }

  protocolPorts(ports: readonly ServicePort[]): SlbOptions['protocolPorts'] {
    const a = this.get('protocol-port');
    if (!a) return [];
    const result: SlbOptions['protocolPorts'] = [];
    for (const entry of a.value.split(',').map((e) => e.trim())) {
      const [protocol, portText, extra] = entry.split(':');
      const port = /^\d+$/.test(portText ?? '') ? Number(portText) : NaN;
      if (
        extra !== undefined ||
        !(LISTENER_PROTOCOLS as readonly string[]).includes(protocol) ||
        !(port >= 1 && port <= 65535)
      ) {
        this.warn(
          a.key,
          `"${entry}" is not protocol:port with protocol one of ${LISTENER_PROTOCOLS.join(', ')}; left out`,
        );
        continue;
      }
      if (!ports.some((p) => p.port === port)) this.warn(a.key, `port ${port} is not a port of the Service`);
      else if (protocol === 'http' || protocol === 'https')
        this.warn(a.key, `${protocol}:${port}: HTTP(S) listeners are not supported, served as TCP`);
      result.push({ protocol: protocol as SlbListenerProtocol, port });
    }
    return result;
  }

  stickySession(): SlbStickySession | undefined {
    const on = this.oneOf('sticky-session', ON_OFF) === 'on';
    const type = this.oneOf('sticky-session-type', ['insert', 'server']);
    const cookieTimeoutSeconds = this.integer('cookie-timeout', 1, 86400);
    const cookie = this.matching('cookie', /^[A-Za-z0-9_-]{1,200}$/, 'a cookie name of letters, digits, _ and -');
    if (!on) return undefined;
    const key = this.keyOf('sticky-session');
    let session: SlbStickySession | undefined;
    if (type === 'insert' && cookieTimeoutSeconds !== undefined) session = { type, cookieTimeoutSeconds };
    else if (type === 'server' && cookie !== undefined) session = { type, cookie };
    else return this.warn(key, 'needs sticky-session-type insert with cookie-timeout, or server with cookie; ignored');
    this.warn(key, 'cookie sticky sessions need an HTTP listener; not supported, served as TCP');
    return session;
  }

  /** acl-id holds the entries themselves (CIDRs or addresses, comma-separated): Skiff has no ACL service to look ids up in. */
  acl(): SlbAcl | undefined {
    const on = this.oneOf('acl-status', ON_OFF) === 'on';
    const type = this.oneOf('acl-type', ['white', 'black']);
    const id = this.get('acl-id');
    const cidrs: string[] = [];
    for (const entry of id?.value.split(',').map((e) => e.trim()) ?? []) {
      const cidr = ipv4CidrOf(entry);
      if (cidr) cidrs.push(cidr);
      else if (/^acl-/.test(entry))
        this.warn(this.keyOf('acl-id'), `${entry}: ACL ids are not supported, write the CIDRs here instead; left out`);
      else this.warn(this.keyOf('acl-id'), `"${entry}" is not an IPv4 CIDR; left out`);
    }
    if (!on) return undefined;
    if (!type) return this.warn(this.keyOf('acl-status'), 'needs acl-type white or black; no ACL applied');
    return cidrs.length > 0 ? { type, cidrs } : undefined;
  }

  reportUnread(): void {
    for (const [name, { key }] of this.present) {
      if (this.read.has(name)) continue;
      this.warn(key, NOT_SUPPORTED.has(name) ? 'not supported by Skiff; ignored' : 'unknown SLB annotation; ignored');
    }
  }

  private get(name: string): { key: string; value: string } | undefined {
    this.read.add(name);
    return this.present.get(name);
  }

  private keyOf(name: string): string {
    return this.present.get(name)?.key ?? SLB_ANNOTATION_PREFIX + name;
  }

  private invalid(key: string, value: string, why: string): undefined {
    return this.warn(key, `"${value}" is ${why}; ignored, the default applies`);
  }

  private warn(annotation: string, message: string): undefined {
    this.warnings.push({ annotation, message });
    return undefined;
  }
}
