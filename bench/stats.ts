/** Latency summary in milliseconds (nearest-rank percentiles). */
export interface LatencySummary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(samples: ArrayLike<number>): LatencySummary {
  // Float64Array sorts numerically and avoids boxing for the 500k watch samples.
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** One failed request, kept so the report can say precisely what the gateway answered. */
export interface RequestFailure {
  op: string;
  method: string;
  path: string;
  status: number;
  message: string;
}

/** Counts failures by (op, status, message) and keeps one example path of each. */
export class FailureLog {
  private readonly byKey = new Map<string, RequestFailure & { count: number }>();
  total = 0;

  add(f: RequestFailure): void {
    this.total++;
    const key = `${f.op} ${f.method} ${f.status} ${f.message}`;
    const seen = this.byKey.get(key);
    if (seen) seen.count++;
    else this.byKey.set(key, { ...f, count: 1 });
  }

  entries(): (RequestFailure & { count: number })[] {
    return [...this.byKey.values()].sort((a, b) => b.count - a.count);
  }
}
