import { createHash } from 'node:crypto';
import { EndpointSlice, Ingress, Secret, Service } from '@skiff/kube-types';
import { resolveEndpoints, ServicePortRef, tlsCertificate } from './ingress-sources';
import {
  BackendProtocol,
  CanaryAnnotations,
  DEFAULT_READ_TIMEOUT_SECONDS,
  IngressAnnotations,
  ingressAnnotations,
  ingressKey,
  IngressWarning,
  isConfigSafe,
} from './ingress-annotations';

export interface IngressProxyInput {
  /** The IngressClasses this proxy serves, each with its own address. */
  classes: { name: string; address: string }[];
  /** The class of Ingresses that name none. */
  defaultClass?: string;
  ingresses: Ingress[];
  services: Service[];
  slices: EndpointSlice[];
  secrets: Secret[];
}

export interface ProxyEndpoint {
  ip: string;
  port: number;
}

/** One Service port as the proxy sends to it; ingresses that differ in backend options get backends of their own. */
export interface ProxyBackend {
  name: string;
  /** `namespace/name:port` as the Ingress names it. */
  service: string;
  protocol: BackendProtocol;
  readTimeoutSeconds: number;
  affinityCookie?: string;
  /** Ready endpoints, sorted; none means 503. */
  endpoints: ProxyEndpoint[];
}

export type PathKind = 'exact' | 'prefix' | 'regex';

export interface ProxyCanary extends CanaryAnnotations {
  ingress: string;
  backend: string;
}

export interface ProxyRoute {
  ingress: string;
  kind: PathKind;
  /** Exact: as written; prefix: without trailing slash (`/` stays); regex: the pattern, anchored at the start. */
  path: string;
  backend: string;
  canary?: ProxyCanary;
  rewriteTarget?: string;
  redirectToHttps: boolean;
  /** Undefined: unlimited. */
  maxBodyBytes?: number;
  allowedSources?: string[];
}

/** A host's routes, in the order they are tried: exact paths, then the longest path first. */
export interface ProxyHost {
  /** `foo.example.com`, `*.example.com` (one label) or '' (any host). */
  host: string;
  routes: ProxyRoute[];
}

/** A certificate and the SNI names it is served for (none: the names in the certificate). */
export interface ProxyCertificateBinding {
  certificate: string;
  hosts: string[];
}

/** Everything served on one address. Hosts: exact ones, then wildcards, then '' — a request is decided by the
 * first host that matches it: one of its routes or, when none matches, the default backend (else 404). */
export interface ProxyFrontend {
  address: string;
  https: boolean;
  certificates: ProxyCertificateBinding[];
  hosts: ProxyHost[];
  defaultBackend?: string;
}

export interface ProxyCertificate {
  name: string;
  /** Certificate chain and private key, PEM. */
  pem: string;
}

export interface IngressProxyModel {
  frontends: ProxyFrontend[];
  backends: ProxyBackend[];
  certificates: ProxyCertificate[];
}

export interface IngressProxyResult {
  model: IngressProxyModel;
  warnings: IngressWarning[];
}

type IngressBackend = NonNullable<Ingress['spec']['defaultBackend']>;

interface OwnIngress {
  ingress: Ingress;
  key: string;
  namespace: string;
  annotations: IngressAnnotations;
}

interface RouteDraft {
  route: ProxyRoute;
  order: number;
  sslRedirect: boolean;
  forceSslRedirect: boolean;
}

interface FrontendDraft {
  address: string;
  hosts: Map<string, RouteDraft[]>;
  tlsHosts: Set<string>;
  certificates: ProxyCertificateBinding[];
  certifiedHosts: Map<string, string>;
  defaultBackend?: { backend: string; ingress: string };
}

const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
const HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * What the Ingress proxy serves, following ingress-nginx: per address, hosts with their routes, TLS certificates
 * and backends with their ready endpoints. Ingresses are taken oldest first, so the older one keeps a host/path
 * two of them claim. Whatever cannot be honoured is left out with a warning naming the Ingress.
 */
/** An Ingress's class: `spec.ingressClassName`, the legacy annotation, or the default class. */
export function classNameOf(ingress: Ingress, defaultClass: string | undefined): string | undefined {
  return ingress.spec.ingressClassName ?? ingress.metadata.annotations?.[LEGACY_CLASS_ANNOTATION] ?? defaultClass;
}

export function ingressProxyModel(input: IngressProxyInput): IngressProxyResult {
  const builder = new ModelBuilder(input);
  return builder.build();
}

class ModelBuilder {
  private readonly warnings: IngressWarning[] = [];
  private readonly frontends = new Map<string, FrontendDraft>();
  private readonly backends = new Map<string, ProxyBackend>();
  private readonly certificates = new Map<string, ProxyCertificate | undefined>();
  private order = 0;

  constructor(private readonly input: IngressProxyInput) {}

  build(): IngressProxyResult {
    const addresses = new Map(this.input.classes.map((c) => [c.name, c.address]));
    // Every class address answers, if only with 404.
    for (const address of addresses.values()) this.frontend(address);
    const own: (OwnIngress & { address: string })[] = [];
    for (const ingress of [...this.input.ingresses].sort(olderFirst)) {
      const className = classNameOf(ingress, this.input.defaultClass);
      const address = className === undefined ? undefined : addresses.get(className);
      if (address === undefined) continue;
      const annotations = ingressAnnotations(ingress, this.warnings);
      own.push({
        ingress,
        key: ingressKey(ingress),
        namespace: ingress.metadata.namespace ?? 'default',
        annotations,
        address,
      });
    }
    for (const ing of own.filter((i) => !i.annotations.canary)) this.addIngress(this.frontend(ing.address), ing);
    for (const ing of own.filter((i) => i.annotations.canary)) this.addCanary(this.frontend(ing.address), ing);
    const model: IngressProxyModel = {
      frontends: [...this.frontends.values()].sort((a, b) => a.address.localeCompare(b.address)).map(finish),
      backends: [...this.backends.values()].sort((a, b) => a.name.localeCompare(b.name)),
      certificates: [...this.certificates.values()]
        .filter((c): c is ProxyCertificate => c !== undefined)
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
    return { model, warnings: this.warnings };
  }

  private frontend(address: string): FrontendDraft {
    let draft = this.frontends.get(address);
    if (!draft) {
      draft = { address, hosts: new Map(), tlsHosts: new Set(), certificates: [], certifiedHosts: new Map() };
      this.frontends.set(address, draft);
    }
    return draft;
  }

  private addIngress(fe: FrontendDraft, ing: OwnIngress): void {
    const spec = ing.ingress.spec;
    if (spec.defaultBackend) {
      const backend = this.backend(ing, spec.defaultBackend);
      if (backend && fe.defaultBackend)
        this.warn(
          ing,
          `spec.defaultBackend ignored: ${fe.defaultBackend.ingress} sets the default backend of ${fe.address}`,
        );
      else if (backend) fe.defaultBackend = { backend, ingress: ing.key };
    }
    for (const tls of spec.tls ?? []) this.addTls(fe, ing, tls);
    for (const rule of spec.rules ?? []) {
      const host = rule.host?.toLowerCase() ?? '';
      if (host && !HOST.test(host)) {
        this.warn(ing, `rule for host "${host}" ignored: not a DNS name or a wildcard one label deep`);
        continue;
      }
      for (const p of rule.http?.paths ?? []) {
        const path = this.routePath(ing, p.path ?? '/', p.pathType);
        const backend = path && this.backend(ing, p.backend);
        if (!path || !backend) continue;
        const drafts = fe.hosts.get(host) ?? [];
        const taken = drafts.find((d) => d.route.kind === path.kind && d.route.path === path.path);
        if (taken) {
          this.warn(ing, `${host || '*'}${path.path} (${path.kind}) is already served by ${taken.route.ingress}`);
          continue;
        }
        const a = ing.annotations;
        const route: ProxyRoute = { ingress: ing.key, ...path, backend, redirectToHttps: false };
        if (a.rewriteTarget !== undefined) route.rewriteTarget = a.rewriteTarget;
        if (a.maxBodyBytes !== undefined) route.maxBodyBytes = a.maxBodyBytes;
        if (a.allowedSources) route.allowedSources = a.allowedSources;
        drafts.push({ route, order: this.order++, sslRedirect: a.sslRedirect, forceSslRedirect: a.forceSslRedirect });
        fe.hosts.set(host, drafts);
      }
    }
  }

  // ingress-nginx: a canary Ingress adds its backend to the same host/path of a main Ingress; alone it serves nothing.
  private addCanary(fe: FrontendDraft, ing: OwnIngress): void {
    for (const rule of ing.ingress.spec.rules ?? []) {
      const host = rule.host?.toLowerCase() ?? '';
      for (const p of rule.http?.paths ?? []) {
        const path = this.routePath(ing, p.path ?? '/', p.pathType);
        if (!path) continue;
        const main = fe.hosts.get(host)?.find((d) => d.route.path === path.path)?.route;
        if (!main || main.canary) {
          const why = main ? `already has the canary ${main.canary?.ingress}` : 'is served by no main Ingress';
          this.warn(ing, `canary for ${host || '*'}${path.path} ignored: it ${why}`);
          continue;
        }
        const backend = this.backend(ing, p.backend);
        if (backend) main.canary = { ingress: ing.key, backend, ...ing.annotations.canary! };
      }
    }
  }

  private addTls(fe: FrontendDraft, ing: OwnIngress, tls: NonNullable<Ingress['spec']['tls']>[number]): void {
    const hosts = (tls.hosts ?? []).map((h) => h.toLowerCase());
    const invalid = hosts.filter((h) => !HOST.test(h));
    if (invalid.length > 0) {
      this.warn(ing, `TLS entry ignored: ${invalid.join(', ')} is not a DNS name or a wildcard one label deep`);
      return;
    }
    for (const h of hosts) fe.tlsHosts.add(h);
    if (!tls.secretName) return;
    const name = `${ing.namespace}_${tls.secretName}`;
    if (!this.certificates.has(name)) {
      const result = tlsCertificate(ing.namespace, tls.secretName, this.input.secrets);
      if (result.problem) this.warn(ing, `${result.problem}; the default certificate is served instead`);
      this.certificates.set(name, result.pem === undefined ? undefined : { name, pem: result.pem });
    }
    if (!this.certificates.get(name)) return;
    const free = hosts.filter((h) => {
      const holder = fe.certifiedHosts.get(h);
      if (holder && holder !== name) this.warn(ing, `TLS for ${h} ignored: an older Ingress' certificate serves it`);
      return !holder;
    });
    if (hosts.length > 0 && free.length === 0) return;
    for (const h of free) fe.certifiedHosts.set(h, name);
    fe.certificates.push({ certificate: name, hosts: free });
  }

  private routePath(
    ing: OwnIngress,
    path: string,
    pathType: string | undefined,
  ): { kind: PathKind; path: string } | undefined {
    const regexMode = ing.annotations.useRegex || ing.annotations.rewriteTarget !== undefined;
    const kind: PathKind = pathType === 'Exact' ? 'exact' : pathType === 'Prefix' && !regexMode ? 'prefix' : 'regex';
    let problem: string | undefined;
    if (!path.startsWith('/') || !isConfigSafe(path)) problem = 'must start with / and have no whitespace or quote';
    else if (kind === 'regex' || regexMode) problem = regexProblem(path);
    if (problem) {
      this.warn(ing, `path "${path}" ignored: ${problem}`);
      return undefined;
    }
    return { kind, path: kind === 'prefix' ? path.replace(/\/+$/, '') || '/' : path };
  }

  private backend(ing: OwnIngress, ref: IngressBackend): string | undefined {
    const svc = ref.service;
    const port = svc?.port?.number ?? svc?.port?.name;
    if (!svc || port === undefined) {
      this.warn(ing, 'a backend without a Service name and port (resource backends are not supported) is ignored');
      return undefined;
    }
    const a = ing.annotations;
    const options = {
      protocol: a.backendProtocol,
      readTimeoutSeconds: a.readTimeoutSeconds,
      affinityCookie: a.affinityCookie,
    };
    const plain =
      options.protocol === 'HTTP' &&
      options.readTimeoutSeconds === DEFAULT_READ_TIMEOUT_SECONDS &&
      !options.affinityCookie;
    // Options are part of the name: Ingresses that send to one Service port differently get distinct backends.
    const variant = plain ? '' : `_${createHash('sha256').update(JSON.stringify(options)).digest('hex').slice(0, 8)}`;
    const name = `${ing.namespace}_${svc.name}_${port}${variant}`;
    const target: ServicePortRef = { namespace: ing.namespace, name: svc.name, port };
    const resolved = resolveEndpoints(target, this.input.services, this.input.slices);
    if (resolved.problem) this.warn(ing, `${resolved.problem}; requests for it get 503`);
    if (!this.backends.has(name)) {
      const backend: ProxyBackend = {
        name,
        service: `${ing.namespace}/${svc.name}:${port}`,
        ...options,
        endpoints: resolved.endpoints,
      };
      if (!backend.affinityCookie) delete backend.affinityCookie;
      this.backends.set(name, backend);
    }
    return name;
  }

  private warn(ing: OwnIngress, message: string): void {
    const warning = { ingress: ing.key, message };
    if (!this.warnings.some((w) => w.ingress === warning.ingress && w.message === message)) this.warnings.push(warning);
  }
}

function finish(fe: FrontendDraft): ProxyFrontend {
  const hosts = [...fe.hosts.entries()]
    .sort(([a], [b]) => hostRank(a) - hostRank(b) || a.localeCompare(b))
    .map(([host, drafts]) => ({
      host,
      routes: [...drafts].sort(routeOrder).map((d) => {
        const covered = [...fe.tlsHosts].some((t) => tlsCovers(t, host));
        return { ...d.route, redirectToHttps: d.forceSslRedirect || (d.sslRedirect && covered) };
      }),
    }));
  const forced = hosts.some((h) => h.routes.some((r) => r.redirectToHttps));
  const frontend: ProxyFrontend = {
    address: fe.address,
    https: fe.tlsHosts.size > 0 || fe.certificates.length > 0 || forced,
    certificates: fe.certificates,
    hosts,
  };
  if (fe.defaultBackend) frontend.defaultBackend = fe.defaultBackend.backend;
  return frontend;
}

function hostRank(host: string): number {
  return host === '' ? 2 : host.startsWith('*.') ? 1 : 0;
}

// Exact paths first; then the longest path, a prefix before a regex of the same length, then the older Ingress.
function routeOrder(a: RouteDraft, b: RouteDraft): number {
  const rank = (d: RouteDraft): number => (d.route.kind === 'exact' ? 0 : 1);
  return (
    rank(a) - rank(b) ||
    b.route.path.length - a.route.path.length ||
    Number(a.route.kind === 'regex') - Number(b.route.kind === 'regex') ||
    a.order - b.order
  );
}

/** True when a name in spec.tls covers a rule's host: the same name, or a wildcard one label above it. */
function tlsCovers(tlsHost: string, host: string): boolean {
  if (tlsHost === host) return host !== '';
  const suffix = tlsHost.slice(1);
  return tlsHost.startsWith('*.') && host.endsWith(suffix) && /^[^.*]+$/.test(host.slice(0, -suffix.length));
}

function regexProblem(path: string): string | undefined {
  try {
    new RegExp(path);
    return undefined;
  } catch {
    return 'not a valid regular expression';
  }
}

function olderFirst(a: Ingress, b: Ingress): number {
  const time = (i: Ingress): string => i.metadata.creationTimestamp ?? '';
  return time(a).localeCompare(time(b)) || ingressKey(a).localeCompare(ingressKey(b));
}
