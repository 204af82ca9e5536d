// networking.k8s.io/v1 Ingress and IngressClass (pkg/apis/networking/validation).
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { child, immutable, index, invalid, notSupported, required, tooLong } from './field-errors';
import { arrAt, numAt, objAt, strAt, type Obj } from './json-access';
import {
  dns1035LabelErrors,
  dns1123SubdomainErrors,
  portNameErrors,
  portNumErrors,
  regexError,
} from '@skiff/api-machinery';
import { validateObjectMetaUpdate } from './object-meta.validation';

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const WILDCARD_FMT = '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';

function validateBackend(raw: unknown, path: string): StatusCause[] {
  const b = objAt(raw) ?? {};
  const svc = objAt(b.service);
  const res = objAt(b.resource);
  if (svc && res) return [invalid(path, '', 'cannot set both resource and service backends')];
  if (!svc && !res) return [invalid(path, '', 'resource or service must be specified')];
  if (res) {
    const out: StatusCause[] = [];
    if (!strAt(res.kind)) out.push(required(child(child(path, 'resource'), 'kind'), ''));
    if (!strAt(res.name)) out.push(required(child(child(path, 'resource'), 'name'), ''));
    return out;
  }
  const s = svc as Obj;
  const out: StatusCause[] = [];
  const sp = child(path, 'service');
  const name = strAt(s.name) ?? '';
  if (!name) out.push(required(child(sp, 'name'), ''));
  else for (const m of dns1035LabelErrors(name)) out.push(invalid(child(sp, 'name'), name, m));
  const port = objAt(s.port) ?? {};
  const pname = strAt(port.name);
  const pnum = numAt(port.number);
  if (pname && pnum) out.push(invalid(child(sp, 'port'), '', 'cannot set both port name & port number'));
  else if (pname) for (const m of portNameErrors(pname)) out.push(invalid(child(sp, 'port.name'), pname, m));
  else if (pnum !== undefined)
    for (const m of portNumErrors(pnum)) out.push(invalid(child(sp, 'port.number'), pnum, m));
  else out.push(required(child(sp, 'port'), 'port name or number is required'));
  return out;
}

function validateHost(host: string, path: string): StatusCause[] {
  if (host.includes('*')) {
    const ok = new RegExp(`^${WILDCARD_FMT}$`).test(host) && host.length <= 253;
    return ok
      ? []
      : [
          invalid(
            path,
            host,
            regexError(
              "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
              WILDCARD_FMT,
              '*.example.com',
            ),
          ),
        ];
  }
  return dns1123SubdomainErrors(host).map((m) => invalid(path, host, m));
}

export function validateIngress(obj: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const out: StatusCause[] = [];
  const rules = arrAt(spec.rules);
  if (rules.length === 0 && !spec.defaultBackend)
    out.push(invalid('spec.rules', [], 'either `defaultBackend` or `rules` must be specified'));
  if (spec.defaultBackend) out.push(...validateBackend(spec.defaultBackend, 'spec.defaultBackend'));
  const cls = strAt(spec.ingressClassName);
  if (cls) for (const m of dns1123SubdomainErrors(cls)) out.push(invalid('spec.ingressClassName', cls, m));
  for (const [i, raw] of rules.entries()) {
    const rule = objAt(raw) ?? {};
    const rp = index('spec.rules', i);
    const host = strAt(rule.host);
    if (host) out.push(...validateHost(host, child(rp, 'host')));
    const http = objAt(rule.http);
    if (!http) continue;
    const paths = arrAt(http.paths);
    if (paths.length === 0) out.push(required(child(rp, 'http.paths'), ''));
    for (const [j, rawPath] of paths.entries()) {
      const p = objAt(rawPath) ?? {};
      const pp = index(child(rp, 'http.paths'), j);
      const pathType = p.pathType;
      const value = strAt(p.path) ?? '';
      if (pathType === undefined || pathType === null)
        out.push(required(child(pp, 'pathType'), 'pathType must be specified'));
      else if (typeof pathType !== 'string' || !PATH_TYPES.includes(pathType))
        out.push(notSupported(child(pp, 'pathType'), pathType, PATH_TYPES));
      else if (pathType !== 'ImplementationSpecific' || value) {
        if (!value.startsWith('/')) out.push(invalid(child(pp, 'path'), value, 'must be an absolute path'));
        else if (pathType !== 'ImplementationSpecific') {
          for (const bad of ['//', '/./', '/../', '%2f', '%2F'])
            if (value.includes(bad)) out.push(invalid(child(pp, 'path'), value, `must not contain '${bad}'`));
          for (const bad of ['/..', '/.'])
            if (value.endsWith(bad)) out.push(invalid(child(pp, 'path'), value, `cannot end with '${bad}'`));
        }
      }
      out.push(...validateBackend(p.backend, child(pp, 'backend')));
    }
  }
  for (const [i, raw] of arrAt(spec.tls).entries()) {
    for (const [j, h] of arrAt(objAt(raw)?.hosts).entries())
      if (typeof h === 'string') out.push(...validateHost(h, index(child(index('spec.tls', i), 'hosts'), j)));
  }
  return out;
}

export function validateIngressClass(obj: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const controller = strAt(spec.controller) ?? '';
  const path = 'spec.controller';
  if (!controller) return [required(path, '')];
  const out: StatusCause[] = [];
  const [host, rest] = [controller.split('/')[0], controller.split('/').slice(1).join('/')];
  if (!controller.includes('/') || !host || !rest)
    out.push(invalid(path, controller, 'must be a domain-prefixed path (such as "acme.io/foo")'));
  else {
    for (const m of dns1123SubdomainErrors(host)) out.push(invalid(path, host, m));
    if (!/^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(rest))
      out.push(invalid(path, rest, "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"));
  }
  if (controller.length > 250) out.push(tooLong(path, 250));
  return out;
}

export function validateIngressClassUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const out = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateIngressClass(obj)];
  const c = objAt(obj.spec)?.controller;
  if (c !== objAt(old.spec)?.controller) out.push(immutable('spec.controller', c ?? ''));
  return out;
}
