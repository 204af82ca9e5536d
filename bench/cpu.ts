import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream kernel build.
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used; NaN when it is unknown or gone. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    // Fields after the "(comm)" part: state is field 3, utime 14 and stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    // not on Linux, or the process is gone
    return Number.NaN;
  }
}

/** Cores used over a phase by the gateway and by the bench itself (they share the machine). */
export interface CpuShare {
  gatewayCores: number;
  benchCores: number;
}

export function startCpuMeter(gatewayPid: number | undefined): () => CpuShare {
  const t0 = performance.now();
  const bench0 = process.cpuUsage();
  const gw0 = processCpuSeconds(gatewayPid);
  return () => {
    const wall = (performance.now() - t0) / 1000;
    const bench = process.cpuUsage(bench0);
    const gw = processCpuSeconds(gatewayPid) - gw0;
    return { gatewayCores: gw / wall, benchCores: (bench.user + bench.system) / 1e6 / wall };
  };
}

export function formatCpu(c: CpuShare): string {
  return `cpu: gateway ${c.gatewayCores.toFixed(2)} cores, bench ${c.benchCores.toFixed(2)}`;
}
