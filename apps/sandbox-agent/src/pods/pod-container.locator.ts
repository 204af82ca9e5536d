import { ApiError } from '@skiff/api-machinery';
import {
  AttachTarget,
  ContainerLogFile,
  ContainerLogLocator,
  ExecTarget,
  PortForwardTarget,
} from '../streaming/container-log-locator';
import { PodRecord } from './pod-state.store';
import { SandboxHost } from './sandbox-host';

/** Where the pod manager's records say a container's log is and which instance runs now (kubelet's containerLogs and exec). */
export class PodContainerLocator implements ContainerLogLocator {
  constructor(
    private readonly records: () => PodRecord[],
    private readonly host: SandboxHost,
  ) {}

  async locateLog(namespace: string, pod: string, container: string, previous: boolean): Promise<ContainerLogFile> {
    const record = this.recordOf(namespace, pod);
    const rec = record.containers[container];
    if (!rec) throw ApiError.badRequest(`container ${container} is not valid for pod ${pod}`);
    if (previous) {
      if (rec.restartCount === 0 || !rec.lastTerminated)
        throw ApiError.badRequest(`previous terminated container "${container}" in pod "${pod}" not found`);
      return { path: this.host.logPath(record.uid, container, rec.restartCount - 1), stillWriting: () => false };
    }
    if (rec.startedAtMs === undefined) {
      throw ApiError.badRequest(
        `container "${container}" in pod "${pod}" is waiting to start: ${rec.waiting?.reason ?? 'ContainerCreating'}`,
      );
    }
    const runtimeId = rec.runtimeId;
    const restartCount = rec.restartCount;
    return {
      path: this.host.logPath(record.uid, container, restartCount),
      // The file grows while this very instance runs.
      stillWriting: () => runtimeId !== undefined && rec.runtimeId === runtimeId && rec.restartCount === restartCount,
    };
  }

  async locateExec(namespace: string, pod: string, container: string): Promise<ExecTarget> {
    const record = this.recordOf(namespace, pod);
    const rec = record.containers[container];
    if (!rec) throw ApiError.badRequest(`container ${container} is not valid for pod ${pod}`);
    const id = rec.runtimeId;
    if (!id) throw ApiError.badRequest(`container ${container} is not running`);
    const { runtime } = this.host.runtimes[record.runtime];
    // stdin is always a pipe: the exec stream ends it (at once without stdin, or on the client's EOF; kubectl cp needs it).
    return {
      spawn: (command) => runtime.exec(id, command, { stdin: true }),
      spawnTerminal: (command, size) => runtime.execTerminal(id, command, size),
    };
  }

  async locateAttach(namespace: string, pod: string, container: string): Promise<AttachTarget> {
    const record = this.recordOf(namespace, pod);
    const rec = record.containers[container];
    if (!rec) throw ApiError.badRequest(`container ${container} is not valid for pod ${pod}`);
    const id = rec.runtimeId;
    if (!id) throw ApiError.badRequest(`container ${container} is not running`);
    const spec = record.pod.spec;
    const c = [...(spec.initContainers ?? []), ...spec.containers, ...(spec.ephemeralContainers ?? [])].find(
      (x) => x.name === container,
    );
    const { runtime } = this.host.runtimes[record.runtime];
    return {
      tty: c?.tty === true,
      stdin: c?.stdin === true,
      logPath: this.host.logPath(record.uid, container, rec.restartCount),
      openStdin: () => runtime.openStdin(id),
      resize: (size) => runtime.resizeTerminal(id, size),
      finished: () => runtime.finished(id),
    };
  }

  async locatePortForward(namespace: string, pod: string): Promise<PortForwardTarget> {
    const record = this.recordOf(namespace, pod);
    if (!record.sandbox || !record.ip) throw ApiError.badRequest(`pod ${pod} does not have a running sandbox`);
    return { netnsPath: record.sandbox.netnsPath, ip: record.ip.ip };
  }

  private recordOf(namespace: string, pod: string): PodRecord {
    const record = this.records().find((r) => r.namespace === namespace && r.name === pod);
    if (!record) throw ApiError.notFound({ group: '', resource: 'pods', name: pod });
    return record;
  }
}
