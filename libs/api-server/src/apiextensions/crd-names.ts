// The naming controller's decision, made the same way on every gateway: CRDs of a group are
// taken oldest first, and one whose names another already holds is not accepted (not served).
import type { KubeObject } from '@skiff/api-machinery';
import { crdSpecOf, CrdNames } from './crd.types';

export type NamesVerdict =
  { accepted: true; names: Required<CrdNames> } | { accepted: false; reason: string; message: string };

export function acceptedNamesOf(names: CrdNames): Required<CrdNames> {
  return {
    plural: names.plural,
    singular: names.singular || names.kind.toLowerCase(),
    kind: names.kind,
    listKind: names.listKind || `${names.kind}List`,
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
  };
}

function byAge(a: KubeObject, b: KubeObject): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  return ta === tb ? (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '') : ta < tb ? -1 : 1;
}

/** CRD name → whether its names are accepted, given every stored CRD. */
export function decideNames(crds: readonly KubeObject[]): Map<string, NamesVerdict> {
  const out = new Map<string, NamesVerdict>();
  const taken = new Map<string, { resources: Set<string>; kinds: Set<string> }>();
  for (const crd of [...crds].sort(byAge)) {
    const spec = crdSpecOf(crd);
    const names = acceptedNamesOf(spec.names);
    let group = taken.get(spec.group);
    if (!group) taken.set(spec.group, (group = { resources: new Set(), kinds: new Set() }));
    const verdict = conflictOf(names, group);
    out.set(crd.metadata.name ?? '', verdict ?? { accepted: true, names });
    if (verdict) continue;
    for (const r of [names.plural, names.singular, ...names.shortNames]) group.resources.add(r);
    for (const k of [names.kind, names.listKind]) group.kinds.add(k);
  }
  return out;
}

function conflictOf(
  n: Required<CrdNames>,
  taken: { resources: Set<string>; kinds: Set<string> },
): NamesVerdict | undefined {
  const inUse = (what: string, reason: string): NamesVerdict => ({
    accepted: false,
    reason,
    message: `"${what}" is already in use`,
  });
  if (taken.resources.has(n.plural)) return inUse(n.plural, 'PluralConflict');
  if (taken.resources.has(n.singular)) return inUse(n.singular, 'SingularConflict');
  const short = n.shortNames.find((s) => taken.resources.has(s));
  if (short) return inUse(short, 'ShortNamesConflict');
  if (taken.kinds.has(n.kind)) return inUse(n.kind, 'KindConflict');
  if (taken.kinds.has(n.listKind)) return inUse(n.listKind, 'ListKindConflict');
  return undefined;
}
