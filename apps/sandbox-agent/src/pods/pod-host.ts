import { ImageStore } from '../images/image-store';
import { ContainerRuntime } from '../runtime/container-runtime';
import { PodSandbox } from '../runtime/pod-sandbox';
import { PodVolumeBuilder } from '../volumes/volume-builder';
import { RuntimeKind } from './pod-state.store';

/** What the pod code asks of one OCI runtime (runc or runsc). */
export type PodContainerRuntime = Pick<
  ContainerRuntime,
  'list' | 'exited' | 'state' | 'delete' | 'kill' | 'waitForExit' | 'execCollect'
>;
/** What the pod code asks of the sandboxes of one runtime. */
export type PodSandboxRuntime = Pick<PodSandbox, 'run' | 'startContainer' | 'remove'>;

export interface SandboxRuntime {
  runtime: PodContainerRuntime;
  sandbox: PodSandboxRuntime;
}

export type PodImages = Pick<ImageStore, 'local' | 'ensure'>;
export type PodVolumes = Pick<PodVolumeBuilder, 'setUp' | 'refresh' | 'mountsFor' | 'tearDown'>;

/**
 * The host primitives the pod code drives: runtimes and sandboxes, images, volumes, the bridge.
 * `SandboxHost` is the real one; unit specs give an in-memory fake (`fake-pod-host.fixture.ts`).
 */
export abstract class PodHost {
  abstract readonly bridge: string;
  abstract readonly runtimes: Record<RuntimeKind, SandboxRuntime>;
  abstract readonly images: PodImages;
  abstract readonly volumes: PodVolumes;
  /** The bridge with the gateway address and the nft table that keeps pods in (idempotent). */
  abstract ensureNetwork(): Promise<void>;
  /** Whether a pod's network namespace is still there (a gVisor or lone-container pod lives as long as it). */
  abstract netnsExists(netnsPath: string): Promise<boolean>;
}
