import { Agent } from 'node:https';
import { KubeEndpoint, KubeHttpClient, KubeListLike, openWatchStream, WatchStream } from '../kube-http';
import { errorMessage } from '@skiff/api-machinery';

/** The parts of a Pod the bench looks at. */
export interface PodView {
  metadata: { name: string; uid?: string; resourceVersion?: string };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    podIP?: string;
    containerStatuses?: {
      ready?: boolean;
      state?: { running?: unknown; waiting?: { reason?: string; message?: string }; terminated?: { reason?: string } };
    }[];
  };
}

/** When the watch saw each step of one pod (performance.now() at receipt). */
export interface PodTimeline {
  name: string;
  uid?: string;
  /** set by the caller just before the POST */
  sentAt?: number;
  addedAt?: number;
  scheduledAt?: number;
  ipAt?: number;
  runningAt?: number;
  deletedAt?: number;
  /** last waiting/terminated reason or a non-Running terminal phase */
  problem?: string;
}

interface WatchEvent {
  type: string;
  object: PodView & { metadata: { resourceVersion?: string } };
}

/** "Running" as a user waits for it: phase Running and every container running and ready. */
export function isRunning(pod: PodView): boolean {
  const cs = pod.status?.containerStatuses ?? [];
  return (
    pod.status?.phase === 'Running' &&
    cs.length > 0 &&
    cs.every((c) => c.state?.running !== undefined && c.ready === true)
  );
}

/**
 * One watch on a namespace's pods, from the list's resourceVersion, keeping a timeline per pod
 * name. Re-opens from the last resourceVersion if the server ends the stream.
 */
export class PodWatch {
  readonly timelines = new Map<string, PodTimeline>();
  readonly errors: string[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly agent: Agent;
  private stream?: WatchStream;
  private lastRv = '';
  private closed = false;

  constructor(
    private readonly endpoint: KubeEndpoint,
    private readonly http: KubeHttpClient,
    private readonly namespace: string,
  ) {
    this.agent = new Agent({ keepAlive: false, ca: endpoint.ca });
  }

  async open(): Promise<void> {
    const list = await this.http.send<KubeListLike>('GET', `/api/v1/namespaces/${this.namespace}/pods`);
    this.lastRv = list.body.metadata.resourceVersion;
    await this.connect();
  }

  timeline(name: string): PodTimeline {
    let t = this.timelines.get(name);
    if (!t) this.timelines.set(name, (t = { name }));
    return t;
  }

  /** Resolves true once `done()` holds, false after `timeoutMs`. Checked on every watch event. */
  until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      this.waiters.add(check);
    });
  }

  close(): void {
    this.closed = true;
    this.stream?.close();
    this.agent.destroy();
  }

  private async connect(): Promise<void> {
    const path = `/api/v1/namespaces/${this.namespace}/pods?watch=true&allowWatchBookmarks=true&timeoutSeconds=3600&resourceVersion=${this.lastRv}`;
    const stream = openWatchStream(this.endpoint, this.agent, path, (line, at) => this.onLine(line, at));
    this.stream = stream;
    await stream.opened;
    void stream.ended.then(() => {
      if (this.closed) return;
      this.errors.push(`watch ended by the server at rv ${this.lastRv}; re-opened`);
      this.connect().catch((err: unknown) => this.errors.push(`watch re-open failed: ${errorMessage(err)}`));
    });
  }

  private onLine(line: string, at: number): void {
    if (!line.trim()) return;
    let ev: WatchEvent;
    try {
      ev = JSON.parse(line) as WatchEvent;
    } catch {
      this.errors.push(`unparsable watch line: ${line.slice(0, 120)}`);
      return;
    }
    if (ev.object?.metadata?.resourceVersion) this.lastRv = ev.object.metadata.resourceVersion;
    if (ev.type === 'ERROR') {
      this.errors.push(`watch ERROR: ${line.slice(0, 200)}`);
      return;
    }
    if (ev.type === 'BOOKMARK') return;
    this.record(ev.type, ev.object, at);
    for (const w of [...this.waiters]) w();
  }

  private record(type: string, pod: PodView, at: number): void {
    const t = this.timeline(pod.metadata.name);
    if (pod.metadata.uid && t.uid && t.uid !== pod.metadata.uid) return; // an older pod of the same name
    t.uid ??= pod.metadata.uid;
    t.addedAt ??= at;
    if (type === 'DELETED') {
      t.deletedAt ??= at;
      return;
    }
    if (pod.spec?.nodeName) t.scheduledAt ??= at;
    if (pod.status?.podIP) t.ipAt ??= at;
    if (isRunning(pod)) t.runningAt ??= at;
    const phase = pod.status?.phase;
    const c = pod.status?.containerStatuses?.find(
      (s) => s.state?.waiting?.reason && s.state.waiting.reason !== 'ContainerCreating',
    );
    if (c?.state?.waiting?.reason)
      t.problem = `${c.state.waiting.reason}: ${c.state.waiting.message ?? ''}`.slice(0, 200);
    if (phase === 'Failed' || phase === 'Succeeded') t.problem = `phase ${phase}`;
  }
}
