import { IpAllocation } from '@skiff/messaging';
import { promises as fs } from 'node:fs';
import { RunningPodSandbox } from '../runtime/pod-sandbox';
import { Pod } from '@skiff/kube-types';
import { deepFreeze } from '@skiff/api-machinery';
import { BackoffState } from './restart-backoff';
import * as path from 'node:path';

export type RuntimeKind = 'runc' | 'runsc';

export interface TerminatedRecord {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  containerID?: string;
}

/** What the agent knows of one container of a pod beyond what the runtime can tell. */
export interface ContainerRecord {
  name: string;
  init: boolean;
  /** An ephemeral container: runs once, whatever the restartPolicy. */
  ephemeral?: boolean;
  restartCount: number;
  /** Runtime id of the current instance (one at a time: ids are per pod and container name). */
  runtimeId?: string;
  /** When the current instance was started (epoch ms), for the back-off reset and probes. */
  startedAtMs?: number;
  /** Image as the spec names it, and `docker.io/library/busybox@sha256:…` once pulled. */
  image: string;
  imageID?: string;
  /** Why the container is not running (image pull, config error, back-off). */
  waiting?: { reason: string; message?: string };
  /** The current instance ended and stays so (restartPolicy says no restart, or it completed). */
  terminated?: TerminatedRecord;
  lastTerminated?: TerminatedRecord;
  crashBackoff?: BackoffState;
  pullBackoff?: BackoffState;
  /** Startup probe passed (or none); readiness as last probed. */
  started?: boolean;
  ready?: boolean;
}

/** Everything needed to re-adopt a pod after an agent restart; one JSON file per pod uid. */
export interface PodRecord {
  uid: string;
  namespace: string;
  name: string;
  runtime: RuntimeKind;
  ip?: IpAllocation;
  sandbox?: RunningPodSandbox;
  startTime?: string;
  containers: Record<string, ContainerRecord>;
  /** The pod as last read from the API (spec for restarts and teardown when the object is gone). */
  pod: Pod;
}

/** `<stateDir>/pod-state/<uid>.json`, written atomically (temp file + rename). */
export class PodStateStore {
  private readonly dir: string;
  /** What each file holds: the 1 s status loop saves every pod, and most passes change nothing. */
  private readonly written = new Map<string, string>();
  private readonly podJson = new WeakMap<PodRecord['pod'], string>();

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'pod-state');
  }

  async save(record: PodRecord): Promise<void> {
    // The pod object is most of the text and is replaced, never changed in place (frozen here to hold to that):
    // its JSON is made once per object.
    const { pod, ...rest } = record;
    let podJson = this.podJson.get(pod);
    if (podJson === undefined) this.podJson.set(deepFreeze(pod), (podJson = JSON.stringify(pod)));
    const text = `${JSON.stringify(rest).slice(0, -1)},"pod":${podJson}}`;
    if (this.written.get(record.uid) === text) return;
    await fs.mkdir(this.dir, { recursive: true });
    const file = this.file(record.uid);
    await fs.writeFile(`${file}.tmp`, text);
    await fs.rename(`${file}.tmp`, file);
    this.written.set(record.uid, text);
  }

  async remove(uid: string): Promise<void> {
    await fs.rm(this.file(uid), { force: true });
    this.written.delete(uid);
  }

  async loadAll(): Promise<PodRecord[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const records: PodRecord[] = [];
    for (const n of names.filter((f) => f.endsWith('.json'))) {
      try {
        const text = await fs.readFile(path.join(this.dir, n), 'utf8');
        const record = JSON.parse(text) as PodRecord;
        records.push(record);
        this.written.set(record.uid, text);
      } catch {
        // A torn file cannot happen with rename; anything unreadable is skipped, the resync re-creates it.
      }
    }
    return records;
  }

  private file(uid: string): string {
    if (!/^[a-z0-9-]+$/.test(uid)) throw new Error(`pod uid "${uid}" is not a uid`);
    return path.join(this.dir, `${uid}.json`);
  }
}
