// Shared helpers for the printer specs of PodTemplate, ResourceQuota, LimitRange, EndpointSlice,
// NetworkPolicy, PriorityClass, CSIDriver and VolumeAttachment.
import { KubeObject } from '@skiff/api-machinery';
import { BUILT_IN_RESOURCES } from '../resources/resource-types';
import { toTable } from './table';

export const NOW = new Date('2025-06-01T12:00:00Z');
export const HOUR_AGO = new Date(NOW.getTime() - 3600_000).toISOString();

/** Header (upper-cased, as kubectl shows it) → cell, plus the wide-only header names. */
export function printed(
  group: string,
  kind: string,
  obj: KubeObject,
): { row: Record<string, unknown>; wide: string[] } {
  const t = BUILT_IN_RESOURCES.find((r) => r.group === group && r.kind === kind);
  if (!t) throw new Error(`no ${group}/${kind}`);
  const table = toTable(t, [{ ...obj, metadata: { creationTimestamp: HOUR_AGO, ...obj.metadata } }], { now: NOW });
  return {
    row: Object.fromEntries(table.columnDefinitions.map((c, i) => [c.name.toUpperCase(), table.rows[0].cells[i]])),
    wide: table.columnDefinitions.filter((c) => c.priority > 0).map((c) => c.name),
  };
}
