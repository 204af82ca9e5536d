import { TestCluster } from '@skiff/testing';
import { Agent } from 'node:https';
import { openWatchStream } from '../kube-http';

/** One pod's Ready condition as a watch sees it, with the Date.now() of each flip. */
export class ReadinessWatch {
  private ready?: boolean;
  private readonly waiters: { want: boolean; resolve: (at: number) => void }[] = [];
  private readonly agent: Agent;
  private close_?: () => void;

  constructor(
    private readonly cluster: TestCluster,
    private readonly namespace: string,
    private readonly pod: string,
  ) {
    this.agent = new Agent({ keepAlive: false, ca: cluster.stack.ca });
  }

  async open(): Promise<void> {
    const path = `/api/v1/namespaces/${this.namespace}/pods?watch=true&fieldSelector=metadata.name%3D${this.pod}&timeoutSeconds=3600`;
    const stream = openWatchStream(this.cluster.stack, this.agent, path, (line) => {
      const at = Date.now();
      const e = JSON.parse(line) as {
        object: { status?: { conditions?: { type: string; status: string }[] } };
      };
      const ready = e.object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      if (ready === this.ready) return;
      this.ready = ready;
      for (const w of this.waiters.splice(0)) {
        if (w.want === ready) w.resolve(at);
        else this.waiters.push(w);
      }
    });
    this.close_ = stream.close;
    await stream.opened;
  }

  /** Resolves at the next flip to `want` (or at once, with now, if it already is). */
  until(want: boolean, timeoutMs: number): Promise<number> {
    if (this.ready === want && want === false) return Promise.resolve(Date.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`pod not ${want ? 'Ready' : 'un-ready'} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        want,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
    });
  }

  close(): void {
    this.close_?.();
    this.agent.destroy();
  }
}
