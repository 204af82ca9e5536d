import { RegistryMirror as ConfiguredMirror } from '@skiff/config';
import { ImageStore, RegistryMirror } from '../images/image-store';
import { HostNetwork } from '../network/host-network';
import { PodNetwork } from '../network/pod-network';
import { gatewayOf } from '../registration/host-registration.service';
import { ContainerRuntime } from '../runtime/container-runtime';
import { OciSpecBuilder } from '../runtime/oci-spec.builder';
import { PodSandbox } from '../runtime/pod-sandbox';
import { ProcessRunner } from '@skiff/host-tools';
import { RootfsMounter } from '../runtime/rootfs.mounter';
import { DiskAttacher } from '../volumes/disk-attacher';
import { DiskAttachments } from '../volumes/disk-attachments';
import { NasMounter, NfsNasBackend } from '../volumes/nas-mounter';
import { NamedNasFileSystems, StorageVolumes } from '../volumes/storage-volumes';
import { PodVolumeBuilder } from '../volumes/volume-builder';
import { PodHost } from './pod-host';
import { RuntimeKind } from './pod-state.store';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface SandboxHostOptions {
  stateDir: string;
  bridge: string;
  /** The VSwitch CIDR; its first address goes on the bridge as the pods' gateway. */
  vswitchCidr: string;
  /** Where storage-svc keeps disk images and NAS directories; without it disk and NAS volumes are refused. */
  storageRoot?: string;
  /** How NAS exports reach pods: their directories under the storage root, or real NFS mounts. */
  nasBackend?: 'directory' | 'nfs';
  /** Which disks this host may attach; without it (the cleanup command) disk and NAS volumes are refused too. */
  attachments?: DiskAttachments;
  allowEgress: boolean;
  /** The edge's veth on this host: pods reach SLB, EIP and internet addresses through it. */
  edgeLink?: string;
  mirrors: ConfiguredMirror[];
  /** nft table of the egress drop; `skiff` by default (tests: their own). */
  nftTable?: string;
}

/** The host primitives the pod manager drives, one set per agent: images, runc and runsc sandboxes, volumes, bridge. */
export class SandboxHost implements PodHost {
  readonly mounter: RootfsMounter;
  readonly network: PodNetwork;
  readonly hostNetwork: HostNetwork;
  readonly images: ImageStore;
  readonly runtimes: Record<RuntimeKind, { runtime: ContainerRuntime; sandbox: PodSandbox }>;
  readonly volumes: PodVolumeBuilder;
  readonly disks: DiskAttacher;

  constructor(
    readonly options: SandboxHostOptions,
    readonly runner: ProcessRunner,
  ) {
    this.mounter = new RootfsMounter(runner);
    this.network = new PodNetwork(runner);
    this.hostNetwork = new HostNetwork(runner);
    const mirrors: Record<string, RegistryMirror[]> = {};
    for (const m of options.mirrors) (mirrors[m.registry] ??= []).push({ endpoint: m.endpoint, insecure: m.insecure });
    this.images = new ImageStore({ root: path.join(options.stateDir, 'images'), mirrors }, this.runner);
    this.disks = new DiskAttacher(
      {
        dataRoot: options.storageRoot ?? path.join(options.stateDir, 'storage'),
        stagingDir: path.join(options.stateDir, 'disks'),
      },
      this.runner,
    );
    const storage =
      options.storageRoot === undefined || options.attachments === undefined
        ? undefined
        : new StorageVolumes(
            options.storageRoot,
            this.disks,
            options.nasBackend === 'nfs'
              ? new NfsNasBackend(path.join(options.stateDir, 'nas'), this.runner)
              : new NasMounter(options.storageRoot, new NamedNasFileSystems()),
            options.attachments,
          );
    this.volumes = new PodVolumeBuilder(path.join(options.stateDir, 'volumes'), this.runner, this.mounter, storage);
    const make = (kind: RuntimeKind) => {
      // gVisor: ptrace platform (no KVM here) and the pod's own netns through --network=host.
      const runtimeArgs = kind === 'runsc' ? ['--platform=ptrace', '--network=host'] : undefined;
      const runtime = new ContainerRuntime(
        { stateDir: path.join(options.stateDir, 'runtime', kind), kind, runtimeArgs },
        this.runner,
        this.mounter,
      );
      const sandbox = new PodSandbox({
        stateDir: path.join(options.stateDir, 'sandboxes'),
        runtime,
        network: this.network,
        mounter: this.mounter,
        builder: new OciSpecBuilder({ runtime: kind }),
      });
      return { runtime, sandbox };
    };
    this.runtimes = { runc: make('runc'), runsc: make('runsc') };
  }

  get bridge(): string {
    return this.options.bridge;
  }

  /** The bridge with the gateway address and the nft table that keeps pods in (idempotent). */
  async ensureNetwork(): Promise<void> {
    const prefix = this.options.vswitchCidr.split('/')[1];
    await this.hostNetwork.ensure({
      bridge: this.options.bridge,
      gatewayCidr: `${gatewayOf(this.options.vswitchCidr)}/${prefix}`,
      allowEgress: this.options.allowEgress,
      edgeLink: this.options.edgeLink,
      nftTable: this.options.nftTable,
    });
  }

  netnsExists(netnsPath: string): Promise<boolean> {
    return fs.access(netnsPath).then(
      () => true,
      () => false,
    );
  }

  /** Log file of one container instance, as conmon writes it. */
  logPath(podUid: string, container: string, restartCount: number): string {
    return this.runtimes.runc.sandbox.logPath(podUid, container, restartCount);
  }
}
