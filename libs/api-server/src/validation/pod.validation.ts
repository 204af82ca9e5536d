// Pod, PodSpec and PodTemplateSpec (pkg/apis/core/validation: ValidatePodSpec, ValidatePodUpdate).
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { validateContainer, type ContainerContext } from './container.validation';
import {
  ephemeralContainerChanges,
  ephemeralContainersInTemplate,
  ephemeralContainersOnCreate,
  validateEphemeralContainers,
} from './ephemeral-containers.validation';
import { child, forbidden, index, invalid, notSupported, required } from './field-errors';
import { goCmpDiff } from './go-cmp-diff';
import { arrAt, cloneJson, jsonEqual, numAt, objAt, strAt, type Obj } from './json-access';
import {
  dns1123LabelErrors,
  dns1123SubdomainErrors,
  inclusiveRangeError,
  nameIsDnsSubdomain,
} from '@skiff/api-machinery';
import {
  validateAnnotations,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './object-meta.validation';
import { validateVolumes } from './pod-volumes.validation';

const RESTART_POLICIES = ['Always', 'Never', 'OnFailure'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];
const MAX_INT32 = 2147483647;

export const POD_UPDATE_FORBIDDEN_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function validateTolerations(tolerations: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [i, raw] of arrAt(tolerations).entries()) {
    const t = objAt(raw) ?? {};
    const p = index(path, i);
    const op = strAt(t.operator) ?? 'Equal';
    const k = strAt(t.key) ?? '';
    if (k) for (const m of validateLabels({ [k]: '' }, child(p, 'key'))) out.push(m);
    if (!k && op !== 'Exists')
      out.push(
        invalid(
          child(p, 'operator'),
          op,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    if (op === 'Exists' && strAt(t.value))
      out.push(invalid(child(p, 'operator'), t.value, "value must be empty when `operator` is 'Exists'"));
    if (op !== 'Equal' && op !== 'Exists') out.push(notSupported(child(p, 'operator'), op, ['Equal', 'Exists']));
    const effect = strAt(t.effect);
    if (effect && !TAINT_EFFECTS.includes(effect)) out.push(notSupported(child(p, 'effect'), effect, TAINT_EFFECTS));
    if (t.tolerationSeconds !== undefined && effect !== 'NoExecute') {
      out.push(invalid(child(p, 'effect'), effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
  }
  return out;
}

export interface PodSpecOptions {
  /** Job templates report their own restartPolicy rule. */
  skipRestartPolicy?: boolean;
  /**
   * Where the spec is: a pod being created (the default: ephemeral containers are refused), a pod being
   * updated (they are validated), or a template (refused with the template's message).
   */
  phase?: 'create' | 'update' | 'template';
}

/** `ValidatePodSpec`: expects a defaulted spec (defaults fill restartPolicy, dnsPolicy, protocols …). */
export function validatePodSpec(rawSpec: unknown, path: string, opts: PodSpecOptions = {}): StatusCause[] {
  const spec = objAt(rawSpec);
  if (!spec) return [required(path, '')];
  const out: StatusCause[] = [];
  const { causes, names: volumes } = validateVolumes(spec.volumes, child(path, 'volumes'));
  out.push(...causes);
  const ctx: ContainerContext = { volumes, names: new Set(), init: true };
  for (const [i, c] of arrAt(spec.initContainers).entries())
    out.push(...validateContainer(c, index(child(path, 'initContainers'), i), ctx));
  ctx.init = false;
  const containers = arrAt(spec.containers);
  if (containers.length === 0) out.push(required(child(path, 'containers'), ''));
  for (const [i, c] of containers.entries())
    out.push(...validateContainer(c, index(child(path, 'containers'), i), ctx));
  out.push(...validateEphemeralContainers(spec.ephemeralContainers, child(path, 'ephemeralContainers'), ctx));

  if (!opts.skipRestartPolicy) {
    const rp = spec.restartPolicy;
    if (rp === undefined || rp === null || rp === '') out.push(required(child(path, 'restartPolicy'), ''));
    else if (typeof rp !== 'string' || !RESTART_POLICIES.includes(rp))
      out.push(notSupported(child(path, 'restartPolicy'), rp, RESTART_POLICIES));
  }
  const dns = spec.dnsPolicy;
  if (dns !== undefined && (typeof dns !== 'string' || !DNS_POLICIES.includes(dns)))
    out.push(notSupported(child(path, 'dnsPolicy'), dns, DNS_POLICIES));
  if (dns === 'None' && !objAt(spec.dnsConfig))
    out.push(required(child(path, 'dnsConfig'), 'must provide `dnsConfig` when `dnsPolicy` is None'));
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    const n = numAt(ads);
    if (n === undefined || !Number.isInteger(n) || n < 1 || n > MAX_INT32)
      out.push(invalid(child(path, 'activeDeadlineSeconds'), ads, inclusiveRangeError(1, MAX_INT32)));
  }
  const tgps = numAt(spec.terminationGracePeriodSeconds);
  if (tgps !== undefined && tgps < 0)
    out.push(invalid(child(path, 'terminationGracePeriodSeconds'), tgps, 'must be greater than or equal to 0'));
  out.push(...validateLabels(spec.nodeSelector, child(path, 'nodeSelector')));
  const sa = strAt(spec.serviceAccountName);
  if (sa) for (const m of dns1123SubdomainErrors(sa)) out.push(invalid(child(path, 'serviceAccountName'), sa, m));
  for (const f of ['hostname', 'subdomain']) {
    const v = strAt(spec[f]);
    if (v) for (const m of dns1123LabelErrors(v)) out.push(invalid(child(path, f), v, m));
  }
  const rc = strAt(spec.runtimeClassName);
  if (rc) for (const m of dns1123SubdomainErrors(rc)) out.push(invalid(child(path, 'runtimeClassName'), rc, m));
  const pp = spec.preemptionPolicy;
  if (pp !== undefined && pp !== 'PreemptLowerPriority' && pp !== 'Never')
    out.push(notSupported(child(path, 'preemptionPolicy'), pp, ['Never', 'PreemptLowerPriority']));
  out.push(...validateTolerations(spec.tolerations, child(path, 'tolerations')));
  for (const [i, raw] of arrAt(spec.imagePullSecrets).entries()) {
    if (!strAt(objAt(raw)?.name)) out.push(required(child(index(child(path, 'imagePullSecrets'), i), 'name'), ''));
  }
  const phase = opts.phase ?? 'create';
  if (phase === 'create') out.push(...ephemeralContainersOnCreate(spec, path));
  if (phase === 'template') out.push(...ephemeralContainersInTemplate(spec, path));
  return out;
}

/** `ValidatePodTemplateSpec`: template metadata (labels, annotations) and the pod spec. */
export function validatePodTemplateSpec(rawTemplate: unknown, path: string, opts: PodSpecOptions = {}): StatusCause[] {
  const tpl = objAt(rawTemplate);
  if (!tpl) return [required(path, '')];
  const meta = objAt(tpl.metadata) ?? {};
  return [
    ...validateLabels(meta.labels, child(child(path, 'metadata'), 'labels')),
    ...validateAnnotations(meta.annotations, child(child(path, 'metadata'), 'annotations')),
    ...validatePodSpec(tpl.spec, child(path, 'spec'), { phase: 'template', ...opts }),
  ];
}

export function validatePod(pod: KubeObject): StatusCause[] {
  return [...validateObjectMeta(pod.metadata, nameIsDnsSubdomain), ...validatePodSpec(pod.spec, 'spec')];
}

function blankMutableFields(spec: Obj, old: Obj): Obj {
  const s = cloneJson(spec);
  for (const list of ['containers', 'initContainers']) {
    const cs = arrAt(s[list]);
    const olds = arrAt(old[list]);
    cs.forEach((c, i) => {
      const co = objAt(c);
      // Only an existing container's image may change: keep the old image in place of the new.
      if (co && olds[i] !== undefined) co.image = objAt(olds[i])?.image;
    });
  }
  s.activeDeadlineSeconds = old.activeDeadlineSeconds;
  const oldTgps = numAt(old.terminationGracePeriodSeconds);
  if (oldTgps !== undefined && oldTgps < 0 && s.terminationGracePeriodSeconds === 1)
    s.terminationGracePeriodSeconds = old.terminationGracePeriodSeconds;
  const oldTol = arrAt(old.tolerations);
  const newTol = arrAt(s.tolerations);
  if (oldTol.every((t) => newTol.some((n) => jsonEqual(n, t)))) s.tolerations = old.tolerations;
  return s;
}

/** `ValidatePodUpdate`: only images, activeDeadlineSeconds and added tolerations may change. */
export function validatePodUpdate(pod: KubeObject, old: KubeObject): StatusCause[] {
  const out = [
    ...validateObjectMetaUpdate(pod.metadata, old.metadata),
    ...validatePodSpec(pod.spec, 'spec', { phase: 'update' }),
  ];
  const spec = objAt(pod.spec) ?? {};
  const oldSpec = objAt(old.spec) ?? {};
  const oldAds = numAt(oldSpec.activeDeadlineSeconds);
  const newAds = numAt(spec.activeDeadlineSeconds);
  if (oldAds !== undefined && (newAds === undefined || newAds > oldAds)) {
    out.push(
      invalid(
        child('spec', 'activeDeadlineSeconds'),
        spec.activeDeadlineSeconds ?? null,
        'must be less than or equal to previous value',
      ),
    );
  }
  for (const list of ['containers', 'initContainers']) {
    arrAt(spec[list]).forEach((c, i) => {
      if (objAt(arrAt(oldSpec[list])[i])?.image && !strAt(objAt(c)?.image))
        out.push(required(child(index(child('spec', list), i), 'image'), ''));
    });
  }
  const munged = blankMutableFields(spec, oldSpec);
  // Upstream appends cmp.Diff(old spec, new spec) so the user sees which field changed.
  if (!jsonEqual(munged, oldSpec))
    out.push(forbidden('spec', `${POD_UPDATE_FORBIDDEN_MESSAGE}\n${goCmpDiff(oldSpec, munged, 'core.PodSpec')}`));
  return out;
}

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/**
 * `ValidatePodEphemeralContainersUpdate` (pods/ephemeralcontainers): the whole pod stays valid, and existing
 * ephemeral containers are neither removed nor changed. Only spec.ephemeralContainers can differ by then:
 * the subresource carries everything else over from the stored pod.
 */
export function validatePodEphemeralContainersUpdate(pod: KubeObject, old: KubeObject): StatusCause[] {
  const out = [
    ...validateObjectMetaUpdate(pod.metadata, old.metadata),
    ...validatePodSpec(pod.spec, 'spec', { phase: 'update' }),
  ];
  // Static pods run from a node's files; there is no node here, but upstream's rule stays.
  if (old.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined)
    return [forbidden('', 'static pods do not support ephemeral containers')];
  return [...out, ...ephemeralContainerChanges(pod, old)];
}
