import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { ImageStore, PulledImage } from '../images/image-store';
import { TestRegistry } from '@skiff/dev-registry';
import { HostNetwork } from '../network/host-network';
import { PodNetwork } from '../network/pod-network';
import { ContainerRuntime, ContainerRuntimeOptions } from './container-runtime';
import { OciSpecBuilder } from './oci-spec.builder';
import { PodSandbox } from './pod-sandbox';
import { ProcessRunner } from '@skiff/host-tools';
import { RootfsMounter } from './rootfs.mounter';
import * as path from 'node:path';

/** Everything a runtime integration test needs, with names and a subnet of its own; `dispose()` removes it all. */
export class PodSandboxTestBed {
  readonly runner = new ProcessRunner();
  readonly mounter = new RootfsMounter(this.runner);
  readonly network = new PodNetwork(this.runner);
  readonly host = new HostNetwork(this.runner);
  readonly tag = randomBytes(3).toString('hex');
  readonly bridge = `skiffT${this.tag}`;
  runtime!: ContainerRuntime;
  sandbox!: PodSandbox;
  busybox!: PulledImage;
  stateDir!: string;
  private registry?: TestRegistry;
  private readonly pods: string[] = [];

  constructor(
    readonly subnet: string,
    private readonly kind: 'runc' | 'runsc',
    private readonly runtimeOptions: Partial<ContainerRuntimeOptions> = {},
  ) {}

  async start(): Promise<this> {
    this.stateDir = await fs.mkdtemp(path.join(tmpdir(), `skiff-test-${this.kind}-`));
    this.registry = await TestRegistry.start(path.join(this.stateDir, 'registry'));
    const images = new ImageStore(
      {
        root: path.join(this.stateDir, 'images'),
        mirrors: { 'docker.io': [{ endpoint: this.registry.endpoint, insecure: true }] },
      },
      this.runner,
    );
    this.busybox = await images.ensure('busybox', 'IfNotPresent');
    await this.host.ensure({ bridge: this.bridge, gatewayCidr: `${this.subnet}.1/24`, nftTable: this.bridge });
    this.runtime = new ContainerRuntime(
      { stateDir: path.join(this.stateDir, 'runtime'), kind: this.kind, ...this.runtimeOptions },
      this.runner,
      this.mounter,
    );
    this.sandbox = new PodSandbox({
      stateDir: path.join(this.stateDir, 'pods'),
      runtime: this.runtime,
      network: this.network,
      mounter: this.mounter,
      builder: new OciSpecBuilder({ runtime: this.kind }),
    });
    return this;
  }

  podId(name: string): string {
    const id = `t${this.tag}-${name}`;
    this.pods.push(id);
    return id;
  }

  async runPod(name: string, podName: string, hostOctet: number) {
    return this.sandbox.run(this.podId(name), async () => ({
      podName,
      hostname: podName,
      hostsFile: `127.0.0.1\tlocalhost\n${this.subnet}.${hostOctet}\t${podName}\n`,
      resolvConf: 'nameserver 10.96.0.10\n',
      ip: `${this.subnet}.${hostOctet}`,
      prefixLength: 24,
      gateway: `${this.subnet}.1`,
      bridge: this.bridge,
      pauseImage: this.busybox,
    }));
  }

  /** What is left of this test's objects on the host: should be empty after dispose(). */
  async leftovers(): Promise<string[]> {
    const left: string[] = [];
    const netns = (await this.runner.run('ip', ['netns', 'list'])).stdout;
    if (netns.includes(`t${this.tag}-`)) left.push(`netns: ${netns}`);
    const links = (await this.runner.run('ip', ['-o', 'link'])).stdout.split('\n');
    for (const pod of this.pods)
      if (links.some((l) => l.includes(PodNetwork.hostVethName(pod)))) left.push(`veth of ${pod}`);
    if (links.some((l) => l.includes(this.bridge))) left.push(`bridge ${this.bridge}`);
    if (this.runtime && (await this.runtime.list()).length)
      left.push(`containers: ${JSON.stringify(await this.runtime.list())}`);
    const mounts = (await fs.readFile('/proc/self/mountinfo', 'utf8'))
      .split('\n')
      .filter((l) => l.includes(this.stateDir ?? '\0'));
    if (mounts.length) left.push(`mounts: ${mounts.join('; ')}`);
    for (const ctl of ['memory', 'cpu', 'pids']) {
      const cg = await this.runner.run(
        'find',
        ['/sys/fs/cgroup/' + ctl, '-type', 'd', '-path', `*skiff/t${this.tag}-*`],
        { allowFailure: true },
      );
      if (cg.stdout.trim()) left.push(`cgroups: ${cg.stdout.trim()}`);
    }
    const nft = (await this.runner.run('nft', ['list', 'tables'])).stdout;
    if (nft.includes(this.bridge)) left.push(`nft table ${this.bridge}`);
    return left;
  }

  async removePods(): Promise<void> {
    for (const pod of this.pods) await this.sandbox?.remove(pod);
  }

  async dispose(): Promise<void> {
    await this.removePods().catch((e: unknown) => console.error('removing pods', e));
    await this.host.remove({ bridge: this.bridge, nftTable: this.bridge });
    await this.registry?.stop();
    if (this.stateDir) {
      for (const m of await this.mounter.mountsUnder(this.stateDir)) await this.mounter.unmount(m);
      await fs.rm(this.stateDir, { recursive: true, force: true });
    }
  }
}
