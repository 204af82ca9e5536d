import { availableParallelism } from 'node:os';
import { createHash } from 'node:crypto';
import { IngressProxyModel, ProxyBackend, ProxyEndpoint, ProxyFrontend, ProxyRoute } from './ingress-model';

/** Where one proxy keeps its files; the sockets and the pid file are HAProxy's, the rest is ours. */
export interface HaproxyPaths {
  stateDir: string;
  config: string;
  pidFile: string;
  /** The master CLI (`-S`): `show proc`, `reload`. */
  masterSocket: string;
  /** The runtime API (`stats socket`, level admin), also the source of listening sockets on a reload. */
  adminSocket: string;
  /** Served for SNI names without a certificate of their own; made by the process side (self-signed). */
  defaultCertificate: string;
  log: string;
}

export function haproxyPaths(stateDir: string): HaproxyPaths {
  return {
    stateDir,
    config: `${stateDir}/haproxy.cfg`,
    pidFile: `${stateDir}/haproxy.pid`,
    masterSocket: `${stateDir}/master.sock`,
    adminSocket: `${stateDir}/admin.sock`,
    defaultCertificate: `${stateDir}/default.pem`,
    log: `${stateDir}/haproxy.log`,
  };
}

/** A server slot of a backend: an endpoint, or free (in maintenance). */
export type Slot = ProxyEndpoint | null;

export interface HaproxyConfig {
  config: string;
  /** Files the config refers to, by path relative to the state dir; each name carries a hash of its content. */
  files: Map<string, string>;
  /** The config with server addresses left out: two configs of one structure differ only in endpoints. */
  structure: string;
  /** Each backend's slots, servers `s1`… in order. */
  slots: Map<string, Slot[]>;
}

export type RuntimeUpdate = { reload: false; commands: string[] } | { reload: true; reason: string };

const MIN_SLOTS = 8;
// Never used: a free slot is in maintenance until the runtime API gives it an endpoint.
const FREE_SLOT_ADDRESS = '127.0.0.1:1';
// ingress-nginx's proxy-connect-timeout and keepalive_timeout.
const DEFAULTS = [
  'defaults',
  '  mode http',
  '  log global',
  '  option dontlognull',
  '  timeout connect 5s',
  '  timeout client 60s',
  '  timeout http-request 60s',
  '  timeout http-keep-alive 75s',
  '  timeout server 60s',
  '',
];

/** Slots for a backend: a power of two, at least 8; a previous count that still fits is kept (no reload). */
export function slotCount(endpoints: number, previous?: number): number {
  if (previous !== undefined && endpoints <= previous) return previous;
  let count = MIN_SLOTS;
  while (count < endpoints) count *= 2;
  return count;
}

interface ServerLine {
  backend: string;
  index: number;
  slot: Slot;
  options: string;
}

/**
 * The HAProxy configuration (master-worker, seamless reloads) of a model. Endpoints fill the server slots of
 * their backend; with `previous` (what runs now) an endpoint keeps its slot, so an endpoint change is a few
 * runtime commands rather than a reload.
 */
export function haproxyConfig(model: IngressProxyModel, stateDir: string, previous?: HaproxyConfig): HaproxyConfig {
  const paths = haproxyPaths(stateDir);
  const files = new Map<string, string>();
  const certFiles = new Map<string, string>();
  for (const cert of model.certificates) {
    const file = `tls/${cert.name}.${hash(cert.pem)}.pem`;
    files.set(file, cert.pem);
    certFiles.set(cert.name, `${stateDir}/${file}`);
  }
  const lines: (string | ServerLine)[] = [
    'global',
    `  stats socket ${paths.adminSocket} mode 600 level admin expose-fd listeners`,
    '  stats timeout 30s',
    // Old workers finish their requests after a reload, at most this long (ingress-nginx' worker-shutdown-timeout).
    '  hard-stop-after 240s',
    // One core is left to everything else on the host (the pods, the agent): on 2 cores, 2 threads measured
    // ×0.31 of straight-to-pod requests/s through TLS, 1 thread ×0.44 (npm run bench -- edge).
    `  nbthread ${Math.max(1, availableParallelism() - 1)}`,
    '  log stderr format short local0 warning',
    '  ssl-default-bind-options ssl-min-ver TLSv1.2',
    '',
    ...DEFAULTS,
  ];
  for (const fe of model.frontends) {
    const name = `fe_${fe.address.replace(/\W/g, '_')}`;
    let crtList: string | undefined;
    if (fe.certificates.length > 0) {
      const content = fe.certificates.map((b) => [certFiles.get(b.certificate), ...b.hosts].join(' ')).join('\n');
      crtList = `tls/${name}.${hash(content)}.crtlist`;
      files.set(crtList, `${content}\n`);
    }
    lines.push(...frontendLines(name, fe, paths.defaultCertificate, crtList && `${stateDir}/${crtList}`), '');
  }
  const slots = new Map<string, Slot[]>();
  for (const be of model.backends) {
    const placed = placeEndpoints(be.endpoints, previous?.slots.get(be.name));
    slots.set(be.name, placed);
    lines.push(...backendLines(be, placed), '');
  }
  const render = (withAddresses: boolean): string =>
    lines.map((l) => (typeof l === 'string' ? l : serverLine(l, withAddresses))).join('\n');
  return { config: render(true), files, structure: render(false), slots };
}

/**
 * The runtime API commands that turn `prev` into `next` (new endpoints ready first, then the gone ones into
 * maintenance, where their open connections finish), or why a reload is needed instead.
 */
export function runtimeCommands(prev: HaproxyConfig, next: HaproxyConfig): RuntimeUpdate {
  if (prev.structure !== next.structure) {
    const a = prev.structure.split('\n');
    const b = next.structure.split('\n');
    const at = b.findIndex((line, i) => line !== a[i]);
    const line = at === -1 ? a[b.length] : b[at];
    return {
      reload: true,
      reason: `the configuration changes beyond endpoints at line ${(at === -1 ? b.length : at) + 1}: ${line?.trim()}`,
    };
  }
  const ready: string[] = [];
  const maint: string[] = [];
  for (const [backend, slots] of next.slots) {
    const before = prev.slots.get(backend) ?? [];
    slots.forEach((endpoint, i) => {
      if (sameEndpoint(before[i], endpoint)) return;
      const server = `${backend}/s${i + 1}`;
      if (endpoint)
        ready.push(
          `set server ${server} addr ${endpoint.ip} port ${endpoint.port}`,
          `set server ${server} state ready`,
        );
      else maint.push(`set server ${server} state maint`);
    });
  }
  return { reload: false, commands: [...ready, ...maint] };
}

function frontendLines(name: string, fe: ProxyFrontend, defaultCert: string, crtList: string | undefined): string[] {
  const lines = [`frontend ${name}`, `  bind ${fe.address}:80`];
  if (fe.https)
    lines.push(
      `  bind ${fe.address}:443 ssl crt ${defaultCert}${crtList ? ` crt-list ${crtList}` : ''} alpn h2,http/1.1`,
    );
  lines.push(
    // The client's own X-Forwarded-* are not trusted (ingress-nginx without use-forwarded-headers).
    '  http-request set-header X-Forwarded-For %[src]',
    '  http-request set-header X-Real-IP %[src]',
    '  http-request set-header X-Forwarded-Host %[req.hdr(host)]',
    '  http-request set-header X-Forwarded-Port %[dst_port]',
    '  http-request set-header X-Forwarded-Proto https if { ssl_fc }',
    '  http-request set-header X-Forwarded-Proto http if !{ ssl_fc }',
    '  http-request set-var(txn.host) req.hdr(host),field(1,:),lower',
    '  acl route_set var(txn.route) -m found',
    '  acl route_0 var(txn.route) -m int 0',
  );
  // Route selection: the first host that matches decides; txn.route is its matching route, or 0 for none.
  const routes: ProxyRoute[] = [];
  fe.hosts.forEach((h, hi) => {
    const hostAcl = h.host === '' ? '' : ` host_${hi}`;
    if (h.host.startsWith('*.'))
      lines.push(`  acl host_${hi} var(txn.host) -m reg ${q(`^[^.]+${h.host.slice(1).replace(/\./g, '\\.')}$`)}`);
    else if (h.host !== '') lines.push(`  acl host_${hi} var(txn.host) -m str ${h.host}`);
    for (const route of h.routes) {
      routes.push(route);
      const n = routes.length;
      lines.push(
        ...pathAcls(`path_${n}`, route),
        `  http-request set-var(txn.route) int(${n}) if !route_set${hostAcl} path_${n}`,
      );
    }
    if (hostAcl) lines.push(`  http-request set-var(txn.route) int(0) if !route_set${hostAcl}`);
  });
  routes.forEach((r, i) => {
    const acl = `route_${i + 1}`;
    lines.push(`  acl ${acl} var(txn.route) -m int ${i + 1}`);
    if (r.redirectToHttps) lines.push(`  http-request redirect scheme https code 308 if ${acl} !{ ssl_fc }`);
    if (r.allowedSources)
      lines.push(`  http-request deny deny_status 403 if ${acl} !{ src ${r.allowedSources.join(' ')} }`);
    if (r.maxBodyBytes !== undefined)
      lines.push(`  http-request deny deny_status 413 if ${acl} { req.hdr_val(content-length) gt ${r.maxBodyBytes} }`);
    if (r.rewriteTarget !== undefined) {
      // nginx's `rewrite (?i)<path> <target>`: the whole path is replaced, $n become \n; % is literal.
      const target = r.rewriteTarget.replace(/%/g, '%%').replace(/\$(\d)/g, '\\$1');
      lines.push(`  http-request replace-path ${q(`(?i)^${r.path}`)} ${q(target)} if ${acl}`);
    }
  });
  if (!fe.defaultBackend)
    lines.push(
      '  http-request return status 404 content-type text/plain string "404 page not found" if !route_set || route_0',
    );
  routes.forEach((r, i) => {
    const acl = `route_${i + 1}`;
    const c = r.canary;
    if (c?.header && c.headerValue !== undefined)
      lines.push(`  use_backend ${c.backend} if ${acl} { req.hdr(${c.header}) -m str ${q(c.headerValue)} }`);
    else if (c?.header)
      lines.push(
        `  use_backend ${c.backend} if ${acl} { req.hdr(${c.header}) -m str always }`,
        `  use_backend ${r.backend} if ${acl} { req.hdr(${c.header}) -m str never }`,
      );
    if (c && c.weight > 0) lines.push(`  use_backend ${c.backend} if ${acl} { rand(100) lt ${c.weight} }`);
    lines.push(`  use_backend ${r.backend} if ${acl}`);
  });
  if (fe.defaultBackend) lines.push(`  default_backend ${fe.defaultBackend}`);
  return lines;
}

function pathAcls(acl: string, route: ProxyRoute): string[] {
  if (route.kind === 'exact') return [`  acl ${acl} path -m str ${q(route.path)}`];
  if (route.kind === 'regex') return [`  acl ${acl} path -m reg -i ${q(`^${route.path}`)}`];
  if (route.path === '/') return [`  acl ${acl} path -m beg /`];
  // Element-wise prefix: /foo matches /foo and /foo/…, not /foobar.
  return [`  acl ${acl} path -m str ${q(route.path)}`, `  acl ${acl} path -m beg ${q(`${route.path}/`)}`];
}

function backendLines(be: ProxyBackend, slots: Slot[]): (string | ServerLine)[] {
  const lines: (string | ServerLine)[] = [
    `backend ${be.name}`,
    `  # ${be.service}`,
    `  timeout server ${be.readTimeoutSeconds}s`,
    // WebSockets idle out after the read timeout too, as in ingress-nginx.
    `  timeout tunnel ${be.readTimeoutSeconds}s`,
  ];
  if (be.affinityCookie)
    // Dynamic cookies are derived from the server's address, so a slot that changes endpoint changes cookie.
    lines.push(`  cookie ${be.affinityCookie} insert indirect nocache dynamic`, `  dynamic-cookie-key ${be.name}`);
  const options = be.protocol === 'HTTPS' ? ' ssl verify none' : '';
  slots.forEach((slot, index) => lines.push({ backend: be.name, index, slot, options }));
  return lines;
}

function serverLine(l: ServerLine, withAddresses: boolean): string {
  const name = `  server s${l.index + 1}`;
  if (!withAddresses) return `${name} <slot>${l.options}`;
  return l.slot
    ? `${name} ${l.slot.ip}:${l.slot.port}${l.options}`
    : `${name} ${FREE_SLOT_ADDRESS} disabled${l.options}`;
}

function placeEndpoints(endpoints: readonly ProxyEndpoint[], previous: Slot[] | undefined): Slot[] {
  const slots: Slot[] = new Array(slotCount(endpoints.length, previous?.length)).fill(null);
  const kept = new Set<string>();
  if (previous?.length === slots.length) {
    const wanted = new Set(endpoints.map(key));
    previous.forEach((ep, i) => {
      if (ep && wanted.has(key(ep))) {
        slots[i] = ep;
        kept.add(key(ep));
      }
    });
  }
  let free = 0;
  for (const ep of endpoints) {
    if (kept.has(key(ep))) continue;
    while (slots[free]) free++;
    slots[free] = ep;
  }
  return slots;
}

function sameEndpoint(a: Slot | undefined, b: Slot): boolean {
  return (a ?? null) === b || (!!a && !!b && key(a) === key(b));
}

function key(ep: ProxyEndpoint): string {
  return `${ep.ip}:${ep.port}`;
}

// Single quotes: HAProxy takes the word as it is (no escapes, no environment variables); the model keeps quotes out.
function q(word: string): string {
  return `'${word}'`;
}

function hash(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 12);
}
