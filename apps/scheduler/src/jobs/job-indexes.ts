import { KubeObject } from '@skiff/api-machinery';
import { COMPLETION_INDEX_KEY } from './job-spec';

/** `status.completedIndexes` ("1,3-5,7") as a set; entries outside [0, completions) are dropped. */
export function parseIndexes(text: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = Math.min(m[2] === undefined ? lo : Number(m[2]), completions - 1);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

/** The interval form upstream writes: sorted, consecutive runs as `a-b` ("1,3-5,7"). */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The completion index a pod carries (annotation first, as upstream), or undefined. */
export function podIndexOf(pod: KubeObject): number | undefined {
  const raw = pod.metadata.annotations?.[COMPLETION_INDEX_KEY] ?? pod.metadata.labels?.[COMPLETION_INDEX_KEY];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** The lowest `n` indexes in [0, completions) that are neither completed nor held by an active pod. */
export function pendingIndexes(
  completions: number,
  completed: ReadonlySet<number>,
  active: ReadonlySet<number>,
  n: number,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < n; i++) if (!completed.has(i) && !active.has(i)) out.push(i);
  return out;
}
