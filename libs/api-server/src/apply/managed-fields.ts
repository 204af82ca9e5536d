import { ManagedFieldsEntry, ApiError } from '@skiff/api-machinery';
import { FieldSet } from './field-set';

export interface ManagerEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  time?: string;
  set: FieldSet;
}

// Upstream BuildManagerIdentifier: appliers are one manager whatever apiVersion they use;
// updaters are one per apiVersion.
export function managerId(e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([e.manager, e.operation, e.operation === 'Apply' ? '' : e.apiVersion, e.subresource ?? '']);
}

// How a conflict names its manager: `"kubectl" with subresource "scale" using apps/v1`.
export function describeManager(e: ManagerEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

export function decodeManagedFields(entries: unknown): Map<string, ManagerEntry> {
  const out = new Map<string, ManagerEntry>();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw ApiError.badRequest('metadata.managedFields must be a list');
  for (const raw of entries as ManagedFieldsEntry[]) {
    const entry: ManagerEntry = {
      manager: raw.manager ?? '',
      operation: raw.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: raw.apiVersion ?? '',
      subresource: raw.subresource || undefined,
      time: raw.time,
      set: FieldSet.fromFieldsV1(raw.fieldsV1),
    };
    const id = managerId(entry);
    const previous = out.get(id);
    out.set(id, previous ? { ...entry, set: previous.set.union(entry.set) } : entry);
  }
  return out;
}

// Empty entries are dropped; order as upstream: operation, time, manager, apiVersion, subresource.
export function encodeManagedFields(entries: Iterable<ManagerEntry>): ManagedFieldsEntry[] {
  return [...entries]
    .filter((e) => !e.set.isEmpty())
    .sort(
      (a, b) =>
        cmp(a.operation, b.operation) ||
        cmp(a.time ?? '', b.time ?? '') ||
        cmp(a.manager, b.manager) ||
        cmp(a.apiVersion, b.apiVersion) ||
        cmp(a.subresource ?? '', b.subresource ?? ''),
    )
    .map((e) => {
      const entry: ManagedFieldsEntry = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion };
      if (e.time) entry.time = e.time;
      entry.fieldsType = 'FieldsV1';
      entry.fieldsV1 = e.set.toFieldsV1();
      if (e.subresource) entry.subresource = e.subresource;
      return entry;
    });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
