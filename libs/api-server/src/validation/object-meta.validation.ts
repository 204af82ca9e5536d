// ObjectMeta rules from k8s.io/apimachinery/pkg/api/validation (objectmeta.go) and core's finalizer rule.
import type { ObjectMeta, StatusCause } from '@skiff/api-machinery';
import { child, forbidden, immutable, invalid, required, tooLong } from './field-errors';
import { objAt, strAt } from './json-access';
import { labelValueErrors, qualifiedNameErrors, type NameValidator } from '@skiff/api-machinery';

export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

export function validateLabels(labels: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  const o = objAt(labels);
  if (labels !== undefined && labels !== null && !o)
    return [invalid(path, labels, 'must be a map of string to string')];
  for (const [k, v] of Object.entries(o ?? {})) {
    for (const m of qualifiedNameErrors(k)) out.push(invalid(path, k, m));
    if (typeof v !== 'string') {
      out.push(invalid(path, v, 'label values must be strings'));
      continue;
    }
    for (const m of labelValueErrors(v)) out.push(invalid(path, v, m));
  }
  return out;
}

export function validateAnnotations(annotations: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  const o = objAt(annotations);
  let total = 0;
  for (const [k, v] of Object.entries(o ?? {})) {
    // Upstream lowercases keys before checking, so mixed-case annotation keys are accepted.
    for (const m of qualifiedNameErrors(k.toLowerCase())) out.push(invalid(path, k, m));
    total += byteLength(k) + (typeof v === 'string' ? byteLength(v) : 0);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) out.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return out;
}

/**
 * A finalizer name: a qualified name, and for built-in kinds (core's validateKubeFinalizerName) either a standard one
 * or domain-qualified (`x/y`). Custom resources get only apimachinery's check, so Flux's `finalizers.fluxcd.io` is
 * accepted on them as upstream accepts it.
 */
export function validateFinalizerName(name: string, path: string, builtIn = true): StatusCause[] {
  const errs = qualifiedNameErrors(name).map((m) => invalid(path, name, m));
  if (errs.length) return errs;
  if (builtIn && !name.includes('/') && !STANDARD_FINALIZERS.has(name)) {
    return [invalid(path, name, 'name is neither a standard finalizer name nor is it fully qualified')];
  }
  return [];
}

export function validateFinalizers(finalizers: unknown, path: string, builtIn = true): StatusCause[] {
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  for (const f of Array.isArray(finalizers) ? finalizers : []) {
    const s = strAt(f) ?? '';
    out.push(...validateFinalizerName(s, path, builtIn));
    seen.add(s);
  }
  if (seen.has('orphan') && seen.has('foregroundDeletion')) {
    out.push(invalid(path, [...seen], 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return out;
}

/** `ValidateObjectMeta`; namespace presence per scope is the caller's job. `builtIn` false for custom resources. */
export function validateObjectMeta(
  meta: ObjectMeta | undefined,
  nameFn: NameValidator,
  path = 'metadata',
  builtIn = true,
): StatusCause[] {
  const out: StatusCause[] = [];
  const m: ObjectMeta = meta ?? {};
  const name = strAt(m.name) ?? '';
  const generateName = strAt(m.generateName) ?? '';
  if (generateName) {
    for (const msg of nameFn(generateName, true)) out.push(invalid(child(path, 'generateName'), generateName, msg));
  }
  if (!name) {
    if (!generateName) out.push(required(child(path, 'name'), 'name or generateName is required'));
  } else {
    for (const msg of nameFn(name, false)) out.push(invalid(child(path, 'name'), name, msg));
  }
  if (typeof m.generation === 'number' && m.generation < 0) {
    out.push(invalid(child(path, 'generation'), m.generation, 'must be greater than or equal to 0'));
  }
  out.push(...validateLabels(m.labels, child(path, 'labels')));
  out.push(...validateAnnotations(m.annotations, child(path, 'annotations')));
  out.push(...validateFinalizers(m.finalizers, child(path, 'finalizers'), builtIn));
  for (const [i, ref] of (m.ownerReferences ?? []).entries()) {
    const refPath = `${child(path, 'ownerReferences')}[${i}]`;
    if (!ref?.apiVersion)
      out.push(invalid(child(refPath, 'apiVersion'), ref?.apiVersion ?? '', 'version must not be empty'));
    if (!ref?.kind) out.push(invalid(child(refPath, 'kind'), ref?.kind ?? '', 'kind must not be empty'));
    if (!ref?.name) out.push(invalid(child(refPath, 'name'), ref?.name ?? '', 'name must not be empty'));
    if (!ref?.uid) out.push(invalid(child(refPath, 'uid'), ref?.uid ?? '', 'uid must not be empty'));
  }
  const controllers = (m.ownerReferences ?? []).filter((r) => r?.controller === true);
  if (controllers.length > 1) {
    out.push(
      invalid(child(path, 'ownerReferences'), m.ownerReferences, 'Only one reference can have Controller set to true'),
    );
  }
  return out;
}

/** `ValidateObjectMetaUpdate`: identity fields never change; the rest is validated as on create. */
export function validateObjectMetaUpdate(
  meta: ObjectMeta | undefined,
  old: ObjectMeta | undefined,
  path = 'metadata',
  builtIn = true,
): StatusCause[] {
  const out: StatusCause[] = [];
  const n: ObjectMeta = meta ?? {};
  const o: ObjectMeta = old ?? {};
  for (const f of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
    // An update that omits uid/creationTimestamp is filled from the stored object by the registry.
    if (n[f] === undefined && f !== 'name' && f !== 'namespace') continue;
    if ((n[f] ?? '') !== (o[f] ?? '')) out.push(immutable(child(path, f), n[f] ?? ''));
  }
  if (o.deletionTimestamp && n.deletionTimestamp && o.deletionTimestamp !== n.deletionTimestamp) {
    out.push(immutable(child(path, 'deletionTimestamp'), n.deletionTimestamp));
  }
  if (o.deletionTimestamp && n.deletionGracePeriodSeconds !== o.deletionGracePeriodSeconds) {
    out.push(immutable(child(path, 'deletionGracePeriodSeconds'), n.deletionGracePeriodSeconds ?? null));
  }
  if (o.deletionTimestamp) {
    const added = (n.finalizers ?? []).filter((f) => !(o.finalizers ?? []).includes(f));
    if (added.length)
      out.push(
        forbidden(
          child(path, 'finalizers'),
          `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
        ),
      );
  }
  out.push(...validateLabels(n.labels, child(path, 'labels')));
  out.push(...validateAnnotations(n.annotations, child(path, 'annotations')));
  out.push(...validateFinalizers(n.finalizers, child(path, 'finalizers'), builtIn));
  return out;
}
