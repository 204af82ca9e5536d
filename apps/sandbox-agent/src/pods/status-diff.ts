import { PodStatus } from '@skiff/kube-types';

/** True when the API already holds every field of `ours` (nulls and key order aside): no write needed. */
export function sameStatus(ours: PodStatus, theirs: PodStatus | undefined): boolean {
  if (!theirs) return false;
  const picked: Record<string, unknown> = {};
  for (const k of Object.keys(ours)) picked[k] = (theirs as Record<string, unknown>)[k];
  return canonical(ours) === canonical(picked);
}

function canonical(v: unknown): string {
  return JSON.stringify(normalize(v));
}

function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === null || x === undefined) continue;
      const n = normalize(x);
      // An empty object ({} lastState) and a missing one mean the same.
      if (n && typeof n === 'object' && !Array.isArray(n) && Object.keys(n).length === 0) continue;
      out[k] = n;
    }
    return out;
  }
  return v;
}
