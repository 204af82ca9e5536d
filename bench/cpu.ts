import { readdirSync, readFileSync } from 'node:fs';
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

/** CPU seconds over a phase, split by the part of the stack that used them. */
export interface CpuSplit {
  wallS: number;
  /** everything the machine's cores did (user, nice, system, irq, softirq) */
  machineS: number;
  /** per service, and per service `… processes` for what it ran and reaped (runc, ip, mount, CNI plugins) */
  parts: Record<string, number>;
}

interface ProcCpu {
  comm: string;
  own: number;
  reaped: number;
}

// Long-lived processes grouped by name; everything else (the pods' own processes, the kernel) is left in "other".
const GROUPED = new Set(['postgres', 'redis-server', 'nats-server', 'conmon']);

function readProcesses(): Map<number, ProcCpu> {
  const out = new Map<number, ProcCpu>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(entry), {
        comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        own: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
        reaped: (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND,
      });
    } catch {
      // the process ended while the list was read
    }
  }
  return out;
}

function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq) / TICKS_PER_SECOND;
}

/**
 * Starts measuring where the machine's CPU goes: each named service (its own CPU, and apart from it the
 * processes it ran and reaped), Postgres, Redis, NATS and conmon by process name, and "other" for the rest
 * (the pods' processes, the bench, the kernel). A process that started and ended unreaped by a service
 * (e.g. a conmon of a deleted pod) is only in "other".
 */
export function startCpuSplit(services: Record<string, number | undefined>): () => CpuSplit {
  const t0 = performance.now();
  const machine0 = machineBusySeconds();
  const before = readProcesses();
  return () => {
    const after = readProcesses();
    const machineS = machineBusySeconds() - machine0;
    const parts: Record<string, number> = {};
    const add = (key: string, s: number): void => {
      if (s > 0) parts[key] = (parts[key] ?? 0) + s;
    };
    const byPid = new Map(Object.entries(services).map(([name, pid]) => [pid, name]));
    for (const [pid, p] of after) {
      const prev = before.get(pid);
      const own = p.own - (prev?.own ?? 0);
      const service = byPid.get(pid);
      if (service) {
        add(service, own);
        add(`${service} processes`, p.reaped - (prev?.reaped ?? 0));
      } else if (GROUPED.has(p.comm)) add(p.comm, own);
    }
    const named = Object.values(parts).reduce((a, b) => a + b, 0);
    parts.other = Math.max(0, machineS - named);
    return { wallS: (performance.now() - t0) / 1000, machineS, parts };
  };
}

/** `326 ms/pod: api-gateway 76, sandbox-agent 82 (+59 processes), …` — the biggest parts first. */
export function formatCpuSplit(split: CpuSplit, pods: number): string {
  const perPod = (s: number): string => ((s * 1000) / pods).toFixed(0);
  const parts = Object.entries(split.parts)
    .filter(([k, s]) => !k.endsWith(' processes') && perPod(s) !== '0')
    .sort((a, b) => b[1] - a[1])
    .map(([k, s]) => {
      const reaped = split.parts[`${k} processes`];
      return `${k} ${perPod(s)}${reaped && perPod(reaped) !== '0' ? ` (+${perPod(reaped)} in its processes)` : ''}`;
    });
  return `${perPod(split.machineS)} ms of CPU per pod: ${parts.join(', ')}`;
}
