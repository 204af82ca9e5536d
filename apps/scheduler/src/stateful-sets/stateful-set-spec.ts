import { isJsonObject, JsonObject, KubeObject, LabelSelector } from '@skiff/api-machinery';

export type RetentionPolicy = 'Retain' | 'Delete';

/** A typed read of an apps/v1 StatefulSet's spec, with upstream's defaults for anything unset. */
export interface StatefulSetSpecView {
  replicas: number;
  /** spec.ordinals.start: the first ordinal (StatefulSetStartOrdinal). */
  start: number;
  serviceName: string;
  parallel: boolean;
  onDelete: boolean;
  /** updateStrategy.rollingUpdate is given (without it a RollingUpdate has no partition). */
  hasRollingUpdate: boolean;
  partition: number;
  maxUnavailable?: number | string;
  minReadySeconds: number;
  revisionHistoryLimit: number;
  whenDeleted: RetentionPolicy;
  whenScaled: RetentionPolicy;
  volumeClaimTemplates: KubeObject[];
  selector?: LabelSelector;
  template: JsonObject;
}

export function statefulSetSpec(set: KubeObject): StatefulSetSpecView {
  const spec = isJsonObject(set.spec) ? set.spec : {};
  const strategy = isJsonObject(spec.updateStrategy) ? spec.updateStrategy : {};
  const rolling = isJsonObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
  const ordinals = isJsonObject(spec.ordinals) ? spec.ordinals : {};
  const retention = isJsonObject(spec.persistentVolumeClaimRetentionPolicy)
    ? spec.persistentVolumeClaimRetentionPolicy
    : {};
  const maxUnavailable = rolling.maxUnavailable;
  return {
    replicas: numberOr(spec.replicas, 1),
    start: numberOr(ordinals.start, 0),
    serviceName: typeof spec.serviceName === 'string' ? spec.serviceName : '',
    parallel: spec.podManagementPolicy === 'Parallel',
    onDelete: strategy.type === 'OnDelete',
    hasRollingUpdate: isJsonObject(strategy.rollingUpdate),
    partition: numberOr(rolling.partition, 0),
    ...(typeof maxUnavailable === 'number' || typeof maxUnavailable === 'string' ? { maxUnavailable } : {}),
    minReadySeconds: numberOr(spec.minReadySeconds, 0),
    revisionHistoryLimit: numberOr(spec.revisionHistoryLimit, 10),
    whenDeleted: retention.whenDeleted === 'Delete' ? 'Delete' : 'Retain',
    whenScaled: retention.whenScaled === 'Delete' ? 'Delete' : 'Retain',
    volumeClaimTemplates: Array.isArray(spec.volumeClaimTemplates)
      ? (spec.volumeClaimTemplates.filter(isJsonObject) as unknown as KubeObject[])
      : [],
    ...(isJsonObject(spec.selector) ? { selector: spec.selector as LabelSelector } : {}),
    template: isJsonObject(spec.template) ? spec.template : {},
  };
}

/** The set with `spec.template` replaced (what upstream's ApplyRevision yields for a StatefulSet revision). */
export function withTemplate(set: KubeObject, template: JsonObject): KubeObject {
  const spec = isJsonObject(set.spec) ? set.spec : {};
  return { ...set, spec: { ...spec, template } };
}

export function statusOf(set: KubeObject): JsonObject {
  return isJsonObject(set.status) ? set.status : {};
}

/** An intstr (int or "N%") scaled against `total`, rounding up, as intstrutil.GetScaledValueFromIntOrPercent. */
export function scaledValue(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (m) return Math.ceil((Number(m[1]) * total) / 100);
  const n = Number(value);
  return Number.isInteger(n) ? n : 1;
}

function numberOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}
