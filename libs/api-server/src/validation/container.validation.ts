// Containers of a pod spec: names, images, ports, env, resources, probes, lifecycle hooks.
import type { StatusCause } from '@skiff/api-machinery';
import { child, duplicate, forbidden, index, invalid, key, notSupported, required } from './field-errors';
import { arrAt, numAt, objAt, strAt, type Obj } from './json-access';
import {
  configMapKeyErrors,
  dns1123LabelErrors,
  envVarNameErrors,
  portNameErrors,
  portNumErrors,
  qualifiedNameErrors,
  canonicalQuantity,
  QUANTITY_FORMAT_ERROR,
  tryParseQuantity,
} from '@skiff/api-machinery';
import { validateVolumeMounts } from './pod-volumes.validation';

export const PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];
const LIFECYCLE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'sleep'];
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const FIELD_REF_PATHS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

/** int-or-string port: number must be 1..65535, name must be an IANA service name. */
export function validatePortNumOrName(port: unknown, path: string): StatusCause[] {
  if (typeof port === 'number') return portNumErrors(port).map((m) => invalid(path, port, m));
  if (typeof port === 'string') {
    if (/^[0-9]+$/.test(port)) return portNumErrors(Number(port)).map((m) => invalid(path, port, m));
    return portNameErrors(port).map((m) => invalid(path, port, m));
  }
  return [required(path, '')];
}

function validateHandler(h: Obj, kinds: readonly string[], path: string, requiredDetail: string): StatusCause[] {
  const out: StatusCause[] = [];
  const present = kinds.filter((k) => h[k] !== undefined && h[k] !== null);
  if (present.length === 0) return [required(path, requiredDetail)];
  for (const extra of present.slice(1))
    out.push(forbidden(child(path, extra), 'may not specify more than 1 handler type'));
  const which = present[0];
  const body = objAt(h[which]) ?? {};
  const p = child(path, which);
  if (which === 'exec' && arrAt(body.command).length === 0) out.push(required(child(p, 'command'), ''));
  if (which === 'httpGet') {
    out.push(...validatePortNumOrName(body.port, child(p, 'port')));
    const scheme = strAt(body.scheme);
    if (scheme !== undefined && !['HTTP', 'HTTPS'].includes(scheme))
      out.push(notSupported(child(p, 'scheme'), scheme, ['HTTP', 'HTTPS']));
  }
  if (which === 'tcpSocket') out.push(...validatePortNumOrName(body.port, child(p, 'port')));
  if (which === 'grpc') {
    const port = numAt(body.port);
    if (port === undefined) out.push(required(child(p, 'port'), ''));
    else out.push(...portNumErrors(port).map((m) => invalid(child(p, 'port'), port, m)));
  }
  if (which === 'sleep') {
    const s = numAt(body.seconds);
    if (s === undefined || s < 0)
      out.push(invalid(child(p, 'seconds'), body.seconds ?? null, 'must be greater than or equal to 0'));
  }
  return out;
}

function validateProbe(raw: unknown, path: string, mustSucceedOnce: boolean): StatusCause[] {
  const probe = objAt(raw);
  if (!probe) return [];
  const out = validateHandler(probe, HANDLERS, path, 'must specify a handler type');
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    const v = numAt(probe[f]);
    if (v !== undefined && v < 0) out.push(invalid(child(path, f), v, 'must be greater than or equal to 0'));
  }
  const st = numAt(probe.successThreshold);
  if (mustSucceedOnce && st !== undefined && st !== 1)
    out.push(invalid(child(path, 'successThreshold'), st, 'must be 1'));
  const tgp = numAt(probe.terminationGracePeriodSeconds);
  if (tgp !== undefined && tgp <= 0)
    out.push(invalid(child(path, 'terminationGracePeriodSeconds'), tgp, 'must be greater than 0'));
  return out;
}

function validatePorts(ports: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  const names = new Set<string>();
  for (const [i, raw] of arrAt(ports).entries()) {
    const port = objAt(raw) ?? {};
    const p = index(path, i);
    const name = strAt(port.name);
    if (name) {
      for (const m of portNameErrors(name)) out.push(invalid(child(p, 'name'), name, m));
      if (names.has(name)) out.push(duplicate(child(p, 'name'), name));
      names.add(name);
    }
    const cp = port.containerPort;
    if (cp === undefined || cp === null || cp === 0) out.push(required(child(p, 'containerPort'), ''));
    else if (typeof cp !== 'number') out.push(invalid(child(p, 'containerPort'), cp, 'must be an integer'));
    else for (const m of portNumErrors(cp)) out.push(invalid(child(p, 'containerPort'), cp, m));
    const hp = numAt(port.hostPort);
    if (hp !== undefined && hp !== 0) for (const m of portNumErrors(hp)) out.push(invalid(child(p, 'hostPort'), hp, m));
    const proto = port.protocol;
    if (proto === undefined || proto === null || proto === '') out.push(required(child(p, 'protocol'), ''));
    else if (typeof proto !== 'string' || !PORT_PROTOCOLS.includes(proto))
      out.push(notSupported(child(p, 'protocol'), proto, PORT_PROTOCOLS));
  }
  return out;
}

function validateEnv(env: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [i, raw] of arrAt(env).entries()) {
    const ev = objAt(raw) ?? {};
    const p = index(path, i);
    const name = strAt(ev.name) ?? '';
    if (!name) out.push(required(child(p, 'name'), ''));
    else for (const m of envVarNameErrors(name)) out.push(invalid(child(p, 'name'), name, m));
    const from = objAt(ev.valueFrom);
    if (!from) continue;
    const vp = child(p, 'valueFrom');
    const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'].filter((k) =>
      objAt(from[k]),
    );
    if (strAt(ev.value)) out.push(invalid(vp, '', 'may not be specified when `value` is not empty'));
    if (sources.length === 0)
      out.push(
        invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'),
      );
    else if (sources.length > 1) out.push(invalid(vp, '', 'may not have more than one field specified at a time'));
    const fieldRef = objAt(from.fieldRef);
    if (fieldRef) {
      const fp = strAt(fieldRef.fieldPath) ?? '';
      const fpPath = child(child(vp, 'fieldRef'), 'fieldPath');
      const indexed = /^metadata\.(labels|annotations)\['.+'\]$/.test(fp);
      if (!fp) out.push(required(fpPath, ''));
      else if (!indexed && !FIELD_REF_PATHS.includes(fp)) out.push(notSupported(fpPath, fp, FIELD_REF_PATHS));
    }
    for (const ref of ['configMapKeyRef', 'secretKeyRef']) {
      const r = objAt(from[ref]);
      if (!r) continue;
      const rp = child(vp, ref);
      const k = strAt(r.key) ?? '';
      if (!k) out.push(required(child(rp, 'key'), ''));
      else for (const m of configMapKeyErrors(k)) out.push(invalid(child(rp, 'key'), k, m));
      if (!strAt(r.name)) out.push(required(child(rp, 'name'), ''));
    }
    const rf = objAt(from.resourceFieldRef);
    if (rf && !strAt(rf.resource)) out.push(required(child(child(vp, 'resourceFieldRef'), 'resource'), ''));
  }
  return out;
}

function validateEnvFrom(envFrom: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [i, raw] of arrAt(envFrom).entries()) {
    const ef = objAt(raw) ?? {};
    const p = index(path, i);
    const prefix = strAt(ef.prefix);
    if (prefix) for (const m of envVarNameErrors(prefix)) out.push(invalid(child(p, 'prefix'), prefix, m));
    const refs = ['configMapRef', 'secretRef'].filter((k) => objAt(ef[k]));
    if (refs.length === 0) out.push(invalid(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
    if (refs.length > 1) out.push(invalid(p, '', 'may not have more than one field specified at a time'));
    for (const r of refs) if (!strAt(objAt(ef[r])?.name)) out.push(required(child(child(p, r), 'name'), ''));
  }
  return out;
}

function parseResourceList(
  list: unknown,
  path: string,
  out: StatusCause[],
): Map<string, { raw: string; value: number }> {
  const parsed = new Map<string, { raw: string; value: number }>();
  for (const [name, v] of Object.entries(objAt(list) ?? {})) {
    const p = key(path, name);
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith('hugepages-')) {
      const errs = qualifiedNameErrors(name);
      if (errs.length) for (const m of errs) out.push(invalid(p, name, m));
      else if (!name.includes('/')) out.push(invalid(p, name, 'must be a standard resource type or fully qualified'));
    }
    const q = typeof v === 'string' || typeof v === 'number' ? tryParseQuantity(v) : undefined;
    if (!q) {
      out.push(invalid(p, v, QUANTITY_FORMAT_ERROR));
      continue;
    }
    if (q.value < 0)
      out.push(invalid(p, canonicalQuantity(v as string | number), 'must be greater than or equal to 0'));
    parsed.set(name, { raw: canonicalQuantity(v as string | number), value: q.value });
  }
  return parsed;
}

/** Requests must parse and not exceed limits (`ValidateContainerResourceRequirements`). */
export function validateResources(resources: unknown, path: string): StatusCause[] {
  const r = objAt(resources);
  if (!r) return [];
  const out: StatusCause[] = [];
  const limits = parseResourceList(r.limits, child(path, 'limits'), out);
  const requests = parseResourceList(r.requests, child(path, 'requests'), out);
  for (const [name, req] of requests) {
    const lim = limits.get(name);
    if (lim && req.value > lim.value) {
      out.push(invalid(child(path, 'requests'), req.raw, `must be less than or equal to ${name} limit of ${lim.raw}`));
    }
  }
  return out;
}

export interface ContainerContext {
  volumes: Set<string>;
  names: Set<string>;
  init: boolean;
  /** Ephemeral containers: restartPolicy, probes and hooks are refused by their allow-list instead. */
  ephemeral?: boolean;
}

export function validateContainer(raw: unknown, path: string, ctx: ContainerContext): StatusCause[] {
  const c = objAt(raw) ?? {};
  const out: StatusCause[] = [];
  const name = strAt(c.name) ?? '';
  if (!name) out.push(required(child(path, 'name'), ''));
  else {
    for (const m of dns1123LabelErrors(name)) out.push(invalid(child(path, 'name'), name, m));
    if (ctx.names.has(name)) out.push(duplicate(child(path, 'name'), name));
    ctx.names.add(name);
  }
  const image = strAt(c.image) ?? '';
  if (!image) out.push(required(child(path, 'image'), ''));
  else if (image.trim() !== image)
    out.push(invalid(child(path, 'image'), image, 'must not have leading or trailing whitespace'));
  const pull = strAt(c.imagePullPolicy);
  if (c.imagePullPolicy !== undefined && (pull === undefined || !PULL_POLICIES.includes(pull))) {
    out.push(notSupported(child(path, 'imagePullPolicy'), c.imagePullPolicy, PULL_POLICIES));
  }
  const tmp = c.terminationMessagePolicy;
  if (tmp !== undefined && tmp !== 'File' && tmp !== 'FallbackToLogsOnError') {
    out.push(invalid(child(path, 'terminationMessagePolicy'), tmp, "must be 'File' or 'FallbackToLogsOnError'"));
  }
  out.push(...validatePorts(c.ports, child(path, 'ports')));
  out.push(...validateEnv(c.env, child(path, 'env')));
  out.push(...validateEnvFrom(c.envFrom, child(path, 'envFrom')));
  out.push(...validateVolumeMounts(c.volumeMounts, ctx.volumes, child(path, 'volumeMounts')));
  out.push(...validateResources(c.resources, child(path, 'resources')));
  if (ctx.ephemeral) return out;
  const restartable = ctx.init && c.restartPolicy === 'Always';
  if (c.restartPolicy !== undefined && !(ctx.init && c.restartPolicy === 'Always')) {
    out.push(
      ctx.init
        ? notSupported(child(path, 'restartPolicy'), c.restartPolicy, ['Always'])
        : forbidden(child(path, 'restartPolicy'), 'may not be set for non-init containers'),
    );
  }
  if (ctx.init && !restartable) {
    for (const p of ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle']) {
      if (c[p] !== undefined && c[p] !== null)
        out.push(forbidden(child(path, p), 'may not be set for init containers without restartPolicy=Always'));
    }
  } else {
    out.push(...validateProbe(c.livenessProbe, child(path, 'livenessProbe'), true));
    out.push(...validateProbe(c.readinessProbe, child(path, 'readinessProbe'), false));
    out.push(...validateProbe(c.startupProbe, child(path, 'startupProbe'), true));
    const lifecycle = objAt(c.lifecycle);
    for (const hook of ['postStart', 'preStop']) {
      const h = objAt(lifecycle?.[hook]);
      if (h)
        out.push(
          ...validateHandler(
            h,
            LIFECYCLE_HANDLERS,
            child(child(path, 'lifecycle'), hook),
            'must specify a handler type',
          ),
        );
    }
  }
  return out;
}
