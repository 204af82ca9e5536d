// apps/v1 workloads (pkg/apis/apps/validation): Deployment, ReplicaSet, StatefulSet, DaemonSet.
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import {
  forbidden,
  GoValue,
  goStringMap,
  immutable,
  invalid,
  nonNegative,
  notSupported,
  required,
} from './field-errors';
import { arrAt, jsonEqual, numAt, objAt, strAt, type Obj } from './json-access';
import {
  goLabelSelector,
  isEmptySelector,
  selectorMatches,
  stringMapOf,
  validateLabelSelector,
} from './label-selector.validation';
import { percentErrors } from '@skiff/api-machinery';
import { validateObjectMetaUpdate } from './object-meta.validation';
import { validatePodTemplateSpec } from './pod.validation';

/** Selector required and non-empty, template labels matching it (shared by apps/v1 and Job). */
export function validateSelectorAndTemplate(
  spec: Obj,
  kindWord: string | undefined,
  opts: { selectorOptional?: boolean } = {},
): StatusCause[] {
  const out: StatusCause[] = [];
  const sel = spec.selector;
  if (sel === undefined || sel === null) {
    if (!opts.selectorOptional) out.push(required('spec.selector', ''));
  } else {
    out.push(...validateLabelSelector(sel, 'spec.selector'));
    if (kindWord && isEmptySelector(sel))
      out.push(invalid('spec.selector', goLabelSelector(sel), `empty selector is invalid for ${kindWord}`));
  }
  const tpl = objAt(spec.template);
  const labels = stringMapOf(objAt(tpl?.metadata)?.labels);
  if (sel && tpl && !isEmptySelector(sel) && !selectorMatches(sel, labels ?? {})) {
    out.push(
      invalid('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`'),
    );
  }
  return out;
}

/** Pods of long-running controllers must restart Always and cannot have a deadline. */
export function validateLongRunningTemplate(spec: Obj, kind: string): StatusCause[] {
  const out = validatePodTemplateSpec(spec.template, 'spec.template');
  const podSpec = objAt(objAt(spec.template)?.spec);
  if (!podSpec) return out;
  if (podSpec.restartPolicy !== undefined && podSpec.restartPolicy !== 'Always') {
    out.push(notSupported('spec.template.spec.restartPolicy', podSpec.restartPolicy, ['Always']));
  }
  if (podSpec.activeDeadlineSeconds !== undefined) {
    out.push(
      forbidden('spec.template.spec.activeDeadlineSeconds', `activeDeadlineSeconds in ${kind} is not Supported`),
    );
  }
  return out;
}

function intOrPercent(v: unknown): GoValue {
  return new GoValue(String(v));
}

export function validateIntOrPercent(v: unknown, path: string, notOver100: boolean): StatusCause[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'number') return v < 0 ? [invalid(path, v, 'must be greater than or equal to 0')] : [];
  if (typeof v === 'string') {
    const errs = percentErrors(v).map((m) => invalid(path, intOrPercent(v), m));
    if (!errs.length && notOver100 && Number.parseInt(v, 10) > 100)
      errs.push(invalid(path, intOrPercent(v), 'must not be greater than 100%'));
    return errs;
  }
  return [invalid(path, v, "must be an integer or percentage (e.g '5%')")];
}

function isZero(v: unknown): boolean {
  return v === 0 || (typeof v === 'string' && /^0+%$/.test(v));
}

function validateDeploymentStrategy(raw: unknown): StatusCause[] {
  const strategy = objAt(raw) ?? {};
  const ru = objAt(strategy.rollingUpdate);
  switch (strategy.type) {
    case 'Recreate':
      return ru
        ? [forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'")]
        : [];
    case 'RollingUpdate': {
      if (!ru) return [required('spec.strategy.rollingUpdate', 'this should be defaulted and never be nil')];
      const out = [
        ...validateIntOrPercent(ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable', true),
        ...validateIntOrPercent(ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge', false),
      ];
      if (isZero(ru.maxUnavailable) && isZero(ru.maxSurge)) {
        out.push(
          invalid(
            'spec.strategy.rollingUpdate.maxUnavailable',
            intOrPercent(ru.maxUnavailable),
            'may not be 0 when `maxSurge` is 0',
          ),
        );
      }
      return out;
    }
    default:
      return [notSupported('spec.strategy.type', strategy.type ?? '', ['Recreate', 'RollingUpdate'])];
  }
}

export function validateDeployment(obj: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const out: StatusCause[] = [
    ...nonNegative('spec.replicas', numAt(spec.replicas)),
    ...validateSelectorAndTemplate(spec, 'deployment'),
    ...validateLongRunningTemplate(spec, 'ReplicaSet'),
    ...validateDeploymentStrategy(spec.strategy),
    ...nonNegative('spec.minReadySeconds', numAt(spec.minReadySeconds)),
    ...nonNegative('spec.revisionHistoryLimit', numAt(spec.revisionHistoryLimit)),
  ];
  const pds = numAt(spec.progressDeadlineSeconds);
  if (pds !== undefined) {
    out.push(...nonNegative('spec.progressDeadlineSeconds', pds));
    if (pds <= (numAt(spec.minReadySeconds) ?? 0))
      out.push(invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
  }
  return out;
}

export function validateReplicaSet(obj: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  return [
    ...nonNegative('spec.replicas', numAt(spec.replicas)),
    ...nonNegative('spec.minReadySeconds', numAt(spec.minReadySeconds)),
    ...validateSelectorAndTemplate(spec, 'deployment'),
    ...validateLongRunningTemplate(spec, 'ReplicaSet'),
  ];
}

export function validateStatefulSet(obj: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  const out: StatusCause[] = [];
  const pmp = spec.podManagementPolicy;
  if (pmp === undefined || pmp === '') out.push(required('spec.podManagementPolicy', ''));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel')
    out.push(invalid('spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us = objAt(spec.updateStrategy) ?? {};
  if (us.type === undefined || us.type === '') out.push(required('spec.updateStrategy', ''));
  else if (us.type === 'OnDelete') {
    if (us.rollingUpdate)
      out.push(
        invalid(
          'spec.updateStrategy.rollingUpdate',
          us.rollingUpdate,
          "only allowed for updateStrategy 'RollingUpdate'",
        ),
      );
  } else if (us.type === 'RollingUpdate') {
    out.push(...nonNegative('spec.updateStrategy.rollingUpdate.partition', numAt(objAt(us.rollingUpdate)?.partition)));
    const mu = objAt(us.rollingUpdate)?.maxUnavailable;
    out.push(...validateIntOrPercent(mu, 'spec.updateStrategy.rollingUpdate.maxUnavailable', true));
    if (mu !== undefined && isZero(mu))
      out.push(invalid('spec.updateStrategy.rollingUpdate.maxUnavailable', intOrPercent(mu), 'must be greater than 0'));
  } else out.push(invalid('spec.updateStrategy', us, "must be 'RollingUpdate' or 'OnDelete'"));
  const retention = objAt(spec.persistentVolumeClaimRetentionPolicy);
  for (const f of ['whenDeleted', 'whenScaled']) {
    const v = retention?.[f];
    if (v !== undefined && v !== 'Retain' && v !== 'Delete')
      out.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, v, ['Retain', 'Delete']));
  }
  out.push(
    ...nonNegative('spec.replicas', numAt(spec.replicas)),
    ...nonNegative('spec.minReadySeconds', numAt(spec.minReadySeconds)),
    ...validateSelectorAndTemplate(spec, 'statefulset'),
    ...validateLongRunningTemplate(withClaimVolumes(spec), 'StatefulSet'),
  );
  return out;
}

// Containers mount volumeClaimTemplates by name; the controller adds them as the pods' volumes.
function withClaimVolumes(spec: Obj): Obj {
  const template = objAt(spec.template);
  const podSpec = objAt(template?.spec);
  const claims = arrAt(spec.volumeClaimTemplates).flatMap((c) => strAt(objAt(objAt(c)?.metadata)?.name) ?? []);
  if (!template || !podSpec || claims.length === 0) return spec;
  const volumes = arrAt(podSpec.volumes);
  const named = new Set(volumes.map((v) => objAt(v)?.name));
  const added = claims
    .filter((name) => !named.has(name))
    .map((name) => ({ name, persistentVolumeClaim: { claimName: name } }));
  return { ...spec, template: { ...template, spec: { ...podSpec, volumes: [...volumes, ...added] } } };
}

export function validateDaemonSet(obj: KubeObject): StatusCause[] {
  const spec = objAt(obj.spec) ?? {};
  return [...validateSelectorAndTemplate(spec, 'daemonset'), ...validateLongRunningTemplate(spec, 'DaemonSet')];
}

/** apps/v1 selectors cannot change after creation. */
export function selectorImmutable(obj: KubeObject, old: KubeObject): StatusCause[] {
  const sel = objAt(obj.spec)?.selector;
  const oldSel = objAt(old.spec)?.selector;
  return jsonEqual(sel, oldSel) ? [] : [immutable('spec.selector', goLabelSelector(sel))];
}

const STS_MUTABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];

export function validateStatefulSetUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const out = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateStatefulSet(obj)];
  const strip = (s: unknown): Obj => {
    const copy: Obj = { ...(objAt(s) ?? {}) };
    for (const f of STS_MUTABLE) delete copy[f];
    return copy;
  };
  if (!jsonEqual(strip(obj.spec), strip(old.spec))) {
    out.push(
      forbidden(
        'spec',
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  }
  return out;
}
