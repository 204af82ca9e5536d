import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { KubeHttpClient } from '../kube-http';
import { percentile } from '../stats';
import { runCommand } from '@skiff/testing';
import { PodStart } from './pod-fleet';

/** MemAvailable from /proc/meminfo, in bytes. */
export async function memAvailable(): Promise<number> {
  const text = await fs.readFile('/proc/meminfo', 'utf8');
  return Number(/^MemAvailable:\s+(\d+) kB/m.exec(text)?.[1] ?? Number.NaN) * 1024;
}

/**
 * Sum of memory.usage_in_bytes of the pods' cgroups. The agent gives runc a relative cgroupsPath
 * (`skiff/<pod uid>`), which runc resolves under the agent's own memory cgroup.
 */
export async function podCgroupMemory(
  agentPid: number | undefined,
  uids: string[],
): Promise<{ bytes: number; found: number }> {
  if (agentPid === undefined) return { bytes: Number.NaN, found: 0 };
  const own = (await fs.readFile(`/proc/${agentPid}/cgroup`, 'utf8').catch(() => ''))
    .split('\n')
    .map((l) => l.split(':'))
    .find(([, names]) => names?.split(',').includes('memory'))?.[2];
  if (own === undefined) return { bytes: Number.NaN, found: 0 };
  let bytes = 0;
  let found = 0;
  for (const uid of uids) {
    const file = path.join('/sys/fs/cgroup/memory', own, 'skiff', uid, 'memory.usage_in_bytes');
    const v = Number(await fs.readFile(file, 'utf8').catch(() => 'NaN'));
    if (Number.isFinite(v)) {
      bytes += v;
      found++;
    }
  }
  return { bytes, found };
}

/** Containers still known to the agent's runtimes and mounts left in its state dir: both should be none. */
export async function agentLeftovers(agentStateDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const [kind, bin] of [
    ['runc', '/usr/sbin/runc'],
    ['runsc', '/usr/bin/runsc'],
  ] as const) {
    const root = path.join(agentStateDir, `${kind}-root`);
    const exists = await fs.access(root).then(
      () => true,
      () => false,
    );
    if (!exists) continue;
    const r = await runCommand(bin, [`--root=${root}`, 'list', '--quiet']);
    for (const id of r.stdout.split('\n').filter(Boolean)) out.push(`${kind} container ${id}`);
  }
  const mounts = (await fs.readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4]);
  for (const m of mounts) if (m?.startsWith(`${agentStateDir}/pods/`)) out.push(`mount ${m}`);
  return out;
}

interface CoreEventLike {
  metadata: { name: string };
  involvedObject?: { name?: string; uid?: string };
  reason?: string;
}

/** Median ms from the POST to each step, read from the pods' Events (names end in hex Unix nanoseconds). */
export type StartBreakdown = Record<string, number>;

const STEPS = ['Scheduled', 'Pulled', 'Started'];

export async function startBreakdown(
  http: KubeHttpClient,
  namespace: string,
  starts: PodStart[],
): Promise<StartBreakdown> {
  const list = await http.send<{ items: CoreEventLike[] }>('GET', `/api/v1/namespaces/${namespace}/events`);
  const byPod = new Map(starts.filter((s) => s.uid).map((s) => [s.uid!, s]));
  const offsets = new Map<string, number[]>(STEPS.map((s) => [s, []]));
  const seen = new Set<string>();
  for (const ev of list.body.items) {
    const start = ev.involvedObject?.uid ? byPod.get(ev.involvedObject.uid) : undefined;
    const key = `${ev.involvedObject?.uid} ${ev.reason}`;
    if (!start || !ev.reason || !offsets.has(ev.reason) || seen.has(key)) continue;
    seen.add(key);
    const hex = ev.metadata.name.slice(ev.metadata.name.lastIndexOf('.') + 1);
    if (!/^[0-9a-f]+$/.test(hex)) continue;
    const wallMs = Number(BigInt(`0x${hex}`) / 1_000_000n);
    offsets.get(ev.reason)!.push(wallMs - start.sentWallMs);
  }
  const out: StartBreakdown = {};
  for (const [step, values] of offsets) if (values.length) out[step] = percentile(Float64Array.from(values).sort(), 50);
  const running = starts.map((s) => s.ms).filter((v): v is number => v !== undefined);
  if (running.length) out['Running (watch)'] = percentile(Float64Array.from(running).sort(), 50);
  return out;
}

export function formatBreakdown(b: StartBreakdown): string {
  return Object.entries(b)
    .map(([step, ms]) => `${step} +${ms.toFixed(0)}ms`)
    .join(' → ');
}

/** Warning Events of the bench's pods, counted by reason and message (a clean run has none). */
export async function warningEvents(http: KubeHttpClient, namespace: string): Promise<string[]> {
  const list = await http.send<{ items: (CoreEventLike & { type?: string; message?: string; count?: number })[] }>(
    'GET',
    `/api/v1/namespaces/${namespace}/events`,
  );
  const seen = new Map<string, { count: number; pods: Set<string> }>();
  for (const ev of list.body.items.filter((e) => e.type === 'Warning')) {
    // Pod names and uids differ per event; the rest of the message says what went wrong.
    const key = `${ev.reason}: ${(ev.message ?? '').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uid>').slice(0, 240)}`;
    const entry = seen.get(key) ?? { count: 0, pods: new Set<string>() };
    entry.count += ev.count ?? 1;
    if (ev.involvedObject?.name) entry.pods.add(ev.involvedObject.name);
    seen.set(key, entry);
  }
  return [...seen].map(([k, e]) => `Warning event ×${e.count} ${k} (pods ${[...e.pods].slice(0, 4).join(', ')})`);
}
