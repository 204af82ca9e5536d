import { performance } from 'node:perf_hooks';
import { KubeHttpClient } from '../kube-http';
import { IDLE_COMMAND } from './bare-sandbox';
import { runCommand } from '@skiff/testing';
import { sleep } from './host-command';
import { PodTimeline, PodWatch } from './pod-watch';
import { errorMessage } from '@skiff/api-machinery';

export type RuntimeClassName = 'runc' | 'gvisor';

/** What one pod start cost, from the POST to the watch saying Running. */
export interface PodStart {
  name: string;
  uid?: string;
  /** send → Running (watch), undefined when it never ran in time */
  ms?: number;
  scheduledMs?: number;
  ipMs?: number;
  /** Date.now() at the POST, to place the pod's Events on the same clock */
  sentWallMs: number;
  problem?: string;
}

export interface DeleteOutcome {
  ms: number;
  /** pods the watch never saw deleted */
  stuck: string[];
  /** netns of the bench's pods still present after deletion */
  leftoverNetns: string[];
}

export function busyboxPod(namespace: string, name: string, runtime: RuntimeClassName): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'skiff-bench' } },
    spec: {
      // Explicit so the default class of the host cannot change what is measured.
      runtimeClassName: runtime,
      restartPolicy: 'Never',
      containers: [{ name: 'idle', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: IDLE_COMMAND }],
    },
  };
}

/** Creates, times and deletes the bench's pods in one namespace, through the API and its watch. */
export class PodFleet {
  private readonly live = new Set<string>();
  private readonly uids = new Set<string>();

  constructor(
    private readonly http: KubeHttpClient,
    private readonly watch: PodWatch,
    private readonly namespace: string,
  ) {}

  get liveCount(): number {
    return this.live.size;
  }

  /** Creates the pods with concurrent POSTs and waits until all run or `timeoutMs` passes. */
  async start(
    names: string[],
    runtime: RuntimeClassName,
    timeoutMs: number,
    progress?: (running: number) => void,
  ): Promise<PodStart[]> {
    const sent = new Map<string, number>();
    const postErrors = new Map<string, string>();
    await Promise.all(
      names.map(async (name) => {
        const t = this.watch.timeline(name);
        sent.set(name, Date.now());
        t.sentAt = performance.now();
        this.live.add(name);
        try {
          await this.http.send(
            'POST',
            `/api/v1/namespaces/${this.namespace}/pods`,
            busyboxPod(this.namespace, name, runtime),
          );
        } catch (err) {
          this.live.delete(name);
          postErrors.set(name, `POST: ${errorMessage(err)}`);
        }
      }),
    );
    const pending = names.filter((n) => !postErrors.has(n));
    // A long wait says how far it got, so a slow host is visible while it runs.
    const ticker =
      progress &&
      setInterval(() => progress(names.filter((n) => this.watch.timeline(n).runningAt !== undefined).length), 15_000);
    await this.watch.until(() => pending.every((n) => this.settled(this.watch.timeline(n))), timeoutMs);
    if (ticker) clearInterval(ticker);
    return names.map((name) => {
      const t = this.watch.timeline(name);
      if (t.uid) this.uids.add(t.uid);
      const since = (at: number | undefined): number | undefined =>
        at !== undefined && t.sentAt !== undefined ? at - t.sentAt : undefined;
      const postError = postErrors.get(name);
      return {
        name,
        uid: t.uid,
        ms: since(t.runningAt),
        scheduledMs: since(t.scheduledAt),
        ipMs: since(t.ipAt),
        sentWallMs: sent.get(name) ?? 0,
        problem: postError ?? (t.runningAt === undefined ? (t.problem ?? 'not Running in time') : undefined),
      };
    });
  }

  /** Deletes every pod the fleet made, waits for the watch to see them go and for their netns to vanish. */
  async deleteAll(timeoutMs: number): Promise<DeleteOutcome> {
    const t0 = performance.now();
    const names = [...this.live];
    await Promise.all(
      names.map((name) =>
        this.http.send('DELETE', `/api/v1/namespaces/${this.namespace}/pods/${name}`).catch((err: unknown) => {
          // Already gone is fine; anything else shows up as stuck below.
          if (!/not found/i.test(errorMessage(err))) this.watch.errors.push(`delete ${name}: ${errorMessage(err)}`);
        }),
      ),
    );
    await this.watch.until(
      () =>
        names.every((n) => this.watch.timeline(n).deletedAt !== undefined || this.watch.timeline(n).uid === undefined),
      timeoutMs,
    );
    const stuck = names.filter(
      (n) => this.watch.timeline(n).deletedAt === undefined && this.watch.timeline(n).uid !== undefined,
    );
    for (const n of names) if (!stuck.includes(n)) this.live.delete(n);
    const ms = performance.now() - t0;
    // The agent tears the sandbox down before it lets the API finish the deletion; allow a little slack anyway.
    let leftoverNetns = await this.netnsOfOurPods();
    for (let i = 0; i < 25 && leftoverNetns.length > 0; i++) {
      await sleep(200);
      leftoverNetns = await this.netnsOfOurPods();
    }
    return { ms, stuck, leftoverNetns };
  }

  /** `ip netns list` entries named after a pod uid this fleet created (skiff-<uid>). */
  async netnsOfOurPods(): Promise<string[]> {
    for (const t of this.watch.timelines.values()) if (t.uid) this.uids.add(t.uid);
    const r = await runCommand('ip', ['netns', 'list']);
    return r.stdout
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter((n) => n.startsWith('skiff-') && this.uids.has(n.slice('skiff-'.length)));
  }

  private settled(t: PodTimeline): boolean {
    return t.runningAt !== undefined || (t.problem?.startsWith('phase ') ?? false);
  }
}
