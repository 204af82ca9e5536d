// Ephemeral containers (pkg/apis/core/validation: validateEphemeralContainers, ValidatePodEphemeralContainersUpdate).
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { validateContainer, type ContainerContext } from './container.validation';
import { child, forbidden, index, notFound } from './field-errors';
import { goCmpDiff } from './go-cmp-diff';
import { arrAt, jsonEqual, objAt, strAt, type Obj } from './json-access';

const NOT_FOR_EPHEMERAL = 'cannot be set for an Ephemeral Container';
// Fields of EphemeralContainerCommon outside upstream's allow-list (in Go field order): an ephemeral container
// must not become part of the pod's own service, so no ports, resources, restarts, probes or hooks.
const DISALLOWED_FIELDS = [
  'ports',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
];

// Go's "zero value" test on the decoded field: `resources: {}` is the zero struct, an empty list or map is not.
function isSet(field: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  const o = objAt(value);
  if (field === 'resources' && o) return Object.values(o).some((v) => v !== undefined && v !== null);
  return true;
}

/**
 * `validateEphemeralContainers`: the common container rules, a name unique across every container of the pod,
 * a target that names an init or app container, and only the allow-listed fields.
 * `ctx.names` must already hold the pod's init and app container names.
 */
export function validateEphemeralContainers(list: unknown, path: string, ctx: ContainerContext): StatusCause[] {
  const out: StatusCause[] = [];
  const targets = new Set(ctx.names);
  const ephemeralCtx: ContainerContext = { ...ctx, init: false, ephemeral: true };
  for (const [i, raw] of arrAt(list).entries()) {
    const p = index(path, i);
    const ec: Obj = objAt(raw) ?? {};
    out.push(...validateContainer(ec, p, ephemeralCtx));
    const target = strAt(ec.targetContainerName);
    if (target && !targets.has(target)) out.push(notFound(child(p, 'targetContainerName'), target));
    for (const f of DISALLOWED_FIELDS) if (isSet(f, ec[f])) out.push(forbidden(child(p, f), NOT_FOR_EPHEMERAL));
    // Subpath mounts are bind mounts that outlive the container until the pod goes: not for a debugging aid.
    for (const [j, vm] of arrAt(ec.volumeMounts).entries()) {
      const m = objAt(vm) ?? {};
      const mp = index(child(p, 'volumeMounts'), j);
      if (strAt(m.subPath)) out.push(forbidden(child(mp, 'subPath'), NOT_FOR_EPHEMERAL));
      if (strAt(m.subPathExpr)) out.push(forbidden(child(mp, 'subPathExpr'), NOT_FOR_EPHEMERAL));
    }
  }
  return out;
}

/** `ValidatePodCreate`: ephemeral containers only ever arrive through the ephemeralcontainers subresource. */
export function ephemeralContainersOnCreate(spec: unknown, path: string): StatusCause[] {
  return arrAt(objAt(spec)?.ephemeralContainers).length > 0
    ? [forbidden(child(path, 'ephemeralContainers'), 'cannot be set on create')]
    : [];
}

/** `ValidatePodTemplateSpec`: a template never carries ephemeral containers. */
export function ephemeralContainersInTemplate(spec: unknown, path: string): StatusCause[] {
  return arrAt(objAt(spec)?.ephemeralContainers).length > 0
    ? [forbidden(child(path, 'ephemeralContainers'), 'ephemeral containers not allowed in pod template')]
    : [];
}

/**
 * Part 2 of `ValidatePodEphemeralContainersUpdate`: existing ephemeral containers are neither removed nor
 * changed (compared by name: a patch does not keep their order).
 */
export function ephemeralContainerChanges(pod: KubeObject, old: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const path = child('spec', 'ephemeralContainers');
  const next = new Map<string, unknown>();
  for (const raw of arrAt(objAt(pod.spec)?.ephemeralContainers)) next.set(strAt(objAt(raw)?.name) ?? '', raw);
  for (const raw of arrAt(objAt(old.spec)?.ephemeralContainers)) {
    const name = strAt(objAt(raw)?.name) ?? '';
    // Upstream ends both messages with a newline (the second one then carries a diff).
    if (!next.has(name))
      out.push(forbidden(path, `existing ephemeral containers ${JSON.stringify(name)} may not be removed\n`));
    else if (!jsonEqual(raw, next.get(name))) {
      const diff = goCmpDiff(objAt(raw) ?? {}, objAt(next.get(name)) ?? {}, 'core.EphemeralContainer');
      out.push(forbidden(path, `existing ephemeral containers ${JSON.stringify(name)} may not be changed\n${diff}`));
    }
  }
  return out;
}
