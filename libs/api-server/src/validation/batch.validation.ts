// batch/v1 Job and CronJob (pkg/apis/batch/validation).
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { parseCronSchedule } from '@skiff/api-machinery';
import { child, GoValue, goStringMap, immutable, invalid, nonNegative, notSupported, required } from './field-errors';
import { cloneJson, ensureObj, jsonEqual, numAt, objAt, strAt, type Obj } from './json-access';
import {
  goLabelSelector,
  isEmptySelector,
  selectorMatches,
  stringMapOf,
  validateLabelSelector,
} from './label-selector.validation';
import { validateAnnotations, validateLabels, validateObjectMetaUpdate } from './object-meta.validation';
import { validatePodTemplateSpec } from './pod.validation';

const CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';

/**
 * What the Job REST strategy does on create unless `manualSelector` is true: selector on the
 * controller uid and the matching labels on the template. Needs `metadata.uid`; returns a copy.
 */
export function generateJobSelector(job: KubeObject): KubeObject {
  const copy = cloneJson(job) as Obj;
  const spec = ensureObj(copy, 'spec');
  const uid = strAt(objAt(copy.metadata)?.uid);
  if (spec.manualSelector === true || !uid) return copy as KubeObject;
  const name = strAt(objAt(copy.metadata)?.name) ?? '';
  const tplMeta = ensureObj(ensureObj(spec, 'template'), 'metadata');
  tplMeta.labels = {
    ...(objAt(tplMeta.labels) ?? {}),
    'controller-uid': uid,
    [CONTROLLER_UID]: uid,
    'job-name': name,
    'batch.kubernetes.io/job-name': name,
  };
  if (spec.selector === undefined) spec.selector = { matchLabels: { [CONTROLLER_UID]: uid } };
  return copy as KubeObject;
}

function validateJobSpec(spec: Obj, base: string, uid: string | undefined, inCronJob: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  for (const f of [
    'parallelism',
    'completions',
    'activeDeadlineSeconds',
    'backoffLimit',
    'ttlSecondsAfterFinished',
    'backoffLimitPerIndex',
    'maxFailedIndexes',
  ]) {
    out.push(...nonNegative(child(base, f), numAt(spec[f])));
  }
  const ads = numAt(spec.activeDeadlineSeconds);
  if (ads === 0) out.push(invalid(child(base, 'activeDeadlineSeconds'), 0, 'must be greater than 0'));
  const mode = spec.completionMode;
  if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed')
    out.push(notSupported(child(base, 'completionMode'), mode, ['NonIndexed', 'Indexed']));
  if (mode === 'Indexed' && spec.completions == null)
    out.push(required(child(base, 'completions'), 'when completion mode is Indexed'));

  const sel = spec.selector;
  const selPath = child(base, 'selector');
  if (inCronJob) {
    if (sel != null && spec.manualSelector !== true)
      out.push(invalid(selPath, goLabelSelector(sel), '`selector` will be auto-generated'));
  } else if (sel == null) {
    if (spec.manualSelector === true) out.push(required(selPath, ''));
  } else {
    out.push(...validateLabelSelector(sel, selPath));
    const auto = stringMapOf(objAt(sel)?.matchLabels)?.[CONTROLLER_UID];
    if (spec.manualSelector !== true && uid && auto !== uid)
      out.push(invalid(selPath, goLabelSelector(sel), '`selector` not auto-generated'));
  }
  const tplPath = child(base, 'template');
  const labels = stringMapOf(objAt(objAt(spec.template)?.metadata)?.labels);
  if (sel != null && !isEmptySelector(sel) && !selectorMatches(sel, labels ?? {})) {
    out.push(
      invalid(child(tplPath, 'metadata.labels'), goStringMap(labels), '`selector` does not match template `labels`'),
    );
  }
  out.push(...validatePodTemplateSpec(spec.template, tplPath, { skipRestartPolicy: true }));
  const podSpec = objAt(objAt(spec.template)?.spec);
  const rp = podSpec?.restartPolicy;
  const rpPath = child(tplPath, 'spec.restartPolicy');
  if (podSpec) {
    // Pod defaulting turns a missing restartPolicy into Always, so both read as "not chosen".
    if (rp === undefined || rp === '' || rp === 'Always')
      out.push(required(rpPath, 'valid values: "OnFailure", "Never"'));
    else if (rp !== 'OnFailure' && rp !== 'Never') out.push(notSupported(rpPath, rp, ['OnFailure', 'Never']));
    else if (spec.podFailurePolicy != null && rp !== 'Never')
      out.push(invalid(rpPath, rp, 'only "Never" is supported when podFailurePolicy is specified'));
  }
  return out;
}

export function validateJob(obj: KubeObject): StatusCause[] {
  return validateJobSpec(objAt(obj.spec) ?? {}, 'spec', strAt(obj.metadata?.uid), false);
}

export function validateJobUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const out = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateJob(obj)];
  const spec = objAt(obj.spec) ?? {};
  const oldSpec = objAt(old.spec) ?? {};
  if (!jsonEqual(spec.selector, oldSpec.selector)) out.push(immutable('spec.selector', goLabelSelector(spec.selector)));
  if (!jsonEqual(spec.template, oldSpec.template))
    out.push(immutable('spec.template', new GoValue('core.PodTemplateSpec{…}')));
  if (spec.completionMode !== oldSpec.completionMode)
    out.push(immutable('spec.completionMode', spec.completionMode ?? null));
  // Only Indexed jobs may scale completions, together with parallelism (elastic indexed jobs).
  if (
    spec.completions !== oldSpec.completions &&
    !(spec.completionMode === 'Indexed' && spec.completions === spec.parallelism)
  ) {
    out.push(immutable('spec.completions', spec.completions ?? null));
  }
  return out;
}

function timeZoneErrors(tz: unknown, path: string): StatusCause[] {
  if (tz === undefined || tz === null) return [];
  if (typeof tz !== 'string' || tz.length === 0)
    return [invalid(path, tz ?? '', 'timeZone must be nil or non-empty string')];
  if (tz.toLowerCase() === 'local')
    return [invalid(path, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return [];
  } catch {
    return [invalid(path, tz, `unknown time zone ${tz}`)];
  }
}

export function validateCronJob(obj: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const name = strAt(obj.metadata?.name) ?? '';
  // Jobs get an 11-character suffix and must stay a DNS-1035 label.
  if (name.length > 52) out.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
  const spec = objAt(obj.spec) ?? {};
  const schedule = strAt(spec.schedule) ?? '';
  if (!schedule) out.push(required('spec.schedule', ''));
  else {
    try {
      parseCronSchedule(schedule);
    } catch (e) {
      out.push(invalid('spec.schedule', schedule, e instanceof Error ? e.message : String(e)));
    }
    if (schedule.includes('TZ')) {
      const msg =
        spec.timeZone != null
          ? 'cannot use both timeZone field and TZ or CRON_TZ in schedule'
          : 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead';
      out.push(invalid('spec.schedule', schedule, msg));
    }
  }
  out.push(...timeZoneErrors(spec.timeZone, 'spec.timeZone'));
  const cp = spec.concurrencyPolicy;
  if (cp === undefined || cp === '') out.push(required('spec.concurrencyPolicy', ''));
  else if (cp !== 'Allow' && cp !== 'Forbid' && cp !== 'Replace')
    out.push(notSupported('spec.concurrencyPolicy', cp, ['Allow', 'Forbid', 'Replace']));
  for (const f of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit'])
    out.push(...nonNegative(`spec.${f}`, numAt(spec[f])));
  const jt = objAt(spec.jobTemplate);
  if (!jt) return [...out, required('spec.jobTemplate', '')];
  const jtMeta = objAt(jt.metadata) ?? {};
  out.push(
    ...validateLabels(jtMeta.labels, 'spec.jobTemplate.metadata.labels'),
    ...validateAnnotations(jtMeta.annotations, 'spec.jobTemplate.metadata.annotations'),
  );
  out.push(...validateJobSpec(objAt(jt.spec) ?? {}, 'spec.jobTemplate.spec', undefined, true));
  return out;
}
