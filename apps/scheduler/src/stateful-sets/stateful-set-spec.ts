import { LabelSelector } from '@skiff/api-machinery';
import type { PodTemplateSpec, StatefulSet, StatefulSetSpec } from '@skiff/kube-types';

export type RetentionPolicy = 'Retain' | 'Delete';

/** One of `spec.volumeClaimTemplates`: a PersistentVolumeClaim without the metadata a stored one has. */
export type ClaimTemplate = NonNullable<StatefulSetSpec['volumeClaimTemplates']>[number];

/** A read of an apps/v1 StatefulSet's spec, with upstream's defaults for anything unset. */
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
  volumeClaimTemplates: ClaimTemplate[];
  selector?: LabelSelector;
  template: PodTemplateSpec;
}

export function statefulSetSpec(set: StatefulSet): StatefulSetSpecView {
  const spec = set.spec;
  const strategy = spec.updateStrategy ?? {};
  const rolling = strategy.rollingUpdate ?? {};
  const retention = spec.persistentVolumeClaimRetentionPolicy ?? {};
  const maxUnavailable = rolling.maxUnavailable;
  return {
    replicas: spec.replicas ?? 1,
    start: spec.ordinals?.start ?? 0,
    serviceName: spec.serviceName ?? '',
    parallel: spec.podManagementPolicy === 'Parallel',
    onDelete: strategy.type === 'OnDelete',
    hasRollingUpdate: strategy.rollingUpdate !== undefined,
    partition: rolling.partition ?? 0,
    ...(maxUnavailable !== undefined ? { maxUnavailable } : {}),
    minReadySeconds: spec.minReadySeconds ?? 0,
    revisionHistoryLimit: spec.revisionHistoryLimit ?? 10,
    whenDeleted: retention.whenDeleted === 'Delete' ? 'Delete' : 'Retain',
    whenScaled: retention.whenScaled === 'Delete' ? 'Delete' : 'Retain',
    volumeClaimTemplates: spec.volumeClaimTemplates ?? [],
    ...(spec.selector ? { selector: spec.selector } : {}),
    template: spec.template ?? {},
  };
}

/** The set with `spec.template` replaced (what upstream's ApplyRevision yields for a StatefulSet revision). */
export function withTemplate(set: StatefulSet, template: PodTemplateSpec): StatefulSet {
  return { ...set, spec: { ...set.spec, template } };
}

/** An intstr (int or "N%") scaled against `total`, rounding up, as intstrutil.GetScaledValueFromIntOrPercent. */
export function scaledValue(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (m) return Math.ceil((Number(m[1]) * total) / 100);
  const n = Number(value);
  return Number.isInteger(n) ? n : 1;
}
