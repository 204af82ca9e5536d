import { BenchRow, ratio } from '../report';
import { LatencySummary } from '../stats';
import { DensityResult, mib } from './density';

/** Latency summaries keyed `pods <runtimeClass> sequential|burst` and `bare <runc|runsc> sequential|parallel`. */
export type LatencySet = Record<string, LatencySummary>;

// Targets (docs/architecture.md "Performance targets").
const ONE_POD_P50_TARGET: Record<string, number> = { runc: 150, gvisor: 250 };
const BURST_P99_VS_BARE = 1.3;
const BARE_OF: Record<string, string> = { runc: 'runc', gvisor: 'runsc' };

export function buildPodRows(
  l: LatencySet,
  density: DensityResult | undefined,
  n: { seq: number; burst: number },
  api: Partial<Record<'quiet' | 'burst', { latency: LatencySummary; failed: number; skipped: number }>>,
): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const rc of ['runc', 'gvisor']) {
    const kind = BARE_OF[rc];
    const seq = l[`pods ${rc} sequential`];
    const bareSeq = l[`bare ${kind} sequential`];
    const burst = l[`pods ${rc} burst`];
    const bareBurst = l[`bare ${kind} parallel`];
    if (seq) {
      const target = ONE_POD_P50_TARGET[rc];
      rows.push({
        label: `one ${rc} pod at a time ×${n.seq}, create→Running`,
        latency: seq,
        note: `${vsBare(seq, bareSeq, kind)}; target p50 ≤ ${target}ms ${verdict(seq.n === n.seq && seq.p50 <= target)}${incomplete(seq, n.seq)}`,
      });
    }
    if (bareSeq)
      rows.push({
        label: `  bare ${kind} run, one at a time ×${n.seq}`,
        latency: bareSeq,
        note: incomplete(bareSeq, n.seq).replace(/^; /, ''),
      });
    if (burst) {
      const all = `${burst.n === n.burst ? 'all ' : ''}${burst.n} Running after ${(burst.max / 1000).toFixed(2)} s`;
      const target = bareBurst
        ? `; target p99 ≤ ${BURST_P99_VS_BARE}× bare ${kind} ${verdict(burst.n === n.burst && burst.p99 <= BURST_P99_VS_BARE * bareBurst.p99)}`
        : '';
      rows.push({
        label: `${n.burst} ${rc} pods at once, create→Running`,
        latency: burst,
        note: `${all}; ${vsBare(burst, bareBurst, kind)}${target}${incomplete(burst, n.burst)}`,
      });
    }
    if (bareBurst) {
      rows.push({
        label: `  bare ${kind} run ×${n.burst} in parallel`,
        latency: bareBurst,
        note: `last running after ${(bareBurst.max / 1000).toFixed(2)} s${incomplete(bareBurst, n.burst)}`,
      });
    }
  }
  const besideApi = l['pods runc burst beside API load'];
  if (api.quiet && api.burst && besideApi) {
    const errors = (a: { failed: number; skipped: number }): string =>
      `${a.failed} failed${a.skipped ? `, ${a.skipped} not sent (backlog full)` : ''}`;
    rows.push({
      label: '200 API writes/s, quiet',
      latency: api.quiet.latency,
      note: errors(api.quiet),
    });
    rows.push({
      label: `  same, beside ${n.burst} runc pods at once`,
      latency: api.burst.latency,
      note: `${errors(api.burst)}; p99 ${ratio(api.burst.latency.p99, api.quiet.latency.p99)} of quiet`,
    });
    rows.push({
      label: `  the ${n.burst} runc pods beside the API load`,
      latency: besideApi,
      note: l['pods runc burst'] ? `p99 ${ratio(besideApi.p99, l['pods runc burst'].p99)} of the burst alone` : '',
    });
  }
  if (density) {
    const b = density.batches;
    const last = b[b.length - 1];
    rows.push({
      label: `density: idle runc pods running`,
      note: `${density.running} pods (${density.stoppedBecause}); last batch of ${last?.pods ?? 0} took ${((last?.ms ?? 0) / 1000).toFixed(1)} s`,
    });
    rows.push({
      label: '  memory per pod, host MemAvailable drop',
      note: `${mib(density.bytesPerPod)}/pod (${mib(density.memAvailableBefore - density.memAvailableAfter)} for ${density.running})`,
    });
    if (density.cgroupPods > 0) {
      rows.push({
        label: '  memory per pod, pod cgroups usage_in_bytes',
        note: `${mib(density.cgroupBytes / density.cgroupPods)}/pod (sum ${mib(density.cgroupBytes)} over ${density.cgroupPods} cgroups)`,
      });
    }
    if (b.length > 0) rows.push({ label: `  first batch of ${b[0].pods}, create→Running`, latency: b[0].latency });
    if (b.length > 1)
      rows.push({
        label: `  last batch of ${last.pods} (${density.running - last.pods} already running)`,
        latency: last.latency,
      });
    const del = density.deletion;
    if (del) {
      const left = del.stuck.length + del.leftoverNetns.length;
      rows.push({
        label: `  deletion of all ${density.running}, DELETE → gone`,
        rate: del.ms > 0 ? (density.running * 1000) / del.ms : undefined,
        note: `${(del.ms / 1000).toFixed(1)} s; ${left ? `${del.stuck.length} pods and ${del.leftoverNetns.length} netns LEFT` : 'nothing left behind'}`,
      });
    }
  }
  return rows;
}

function vsBare(pods: LatencySummary, bare: LatencySummary | undefined, kind: string): string {
  if (!bare) return `no bare ${kind} figure`;
  return `Skiff/bare ${kind} p50 ${ratio(pods.p50, bare.p50)}, p99 ${ratio(pods.p99, bare.p99)}`;
}

function verdict(met: boolean): string {
  return met ? 'met' : 'MISSED';
}

function incomplete(s: LatencySummary, expected: number): string {
  return s.n < expected ? `; only ${s.n}/${expected} ran` : '';
}
