import { HostNetwork } from '../network/host-network';
import { Nftables } from '@skiff/host-tools';
import { serviceTableOf } from '../services/service-proxy.config';
import { PodNetwork } from '../network/pod-network';
import { CgroupV1 } from '@skiff/host-tools';
import { CGROUP_PARENT, podCgroupPath } from './cgroup-paths';
import { ContainerRuntime, ContainerRuntimeOptions } from './container-runtime';
import { ProcessRunner } from '@skiff/host-tools';
import { RootfsMounter } from './rootfs.mounter';

export interface SkiffCleanupOptions {
  /** The agent's state dir: every mount under it is unmounted. */
  stateDir: string;
  /** One entry per runtime the agent used (runc, runsc), as configured. */
  runtimes: ContainerRuntimeOptions[];
  /** Pod bridge and nft table to remove; omitted keeps the host network. */
  bridge?: string;
  nftTable?: string;
  /** Only pods whose id starts with this (tests); default every `skiff-` netns. */
  podIdPrefix?: string;
}

/** The `cleanup` command: removes everything Skiff made on this host, whatever state the agent left. Idempotent. */
export async function cleanupSkiffHost(options: SkiffCleanupOptions, runner = new ProcessRunner()): Promise<string[]> {
  const removed: string[] = [];
  const mounter = new RootfsMounter(runner);
  const prefix = `skiff-${options.podIdPrefix ?? ''}`;
  for (const rt of options.runtimes) {
    const runtime = new ContainerRuntime(rt, runner, mounter);
    for (const c of await runtime.list()) {
      if (!c.id.startsWith(prefix)) continue;
      await runtime.delete(c.id);
      removed.push(`container ${c.id}`);
    }
  }
  for (const m of await mounter.mountsUnder(options.stateDir)) {
    await mounter.unmount(m);
    removed.push(`mount ${m}`);
  }
  const network = new PodNetwork(runner);
  const netns = (await runner.run('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]);
  const cgroups = new CgroupV1();
  for (const ns of netns.filter((n) => n.startsWith(prefix))) {
    const podId = ns.slice('skiff-'.length);
    await network.teardown(podId);
    await cgroups.remove(podCgroupPath(podId));
    removed.push(`netns ${ns}`);
  }
  const cgroupRoot = options.podIdPrefix === undefined ? CGROUP_PARENT : undefined;
  if (cgroupRoot && (await cgroups.exists(cgroupRoot))) {
    await cgroups.remove(cgroupRoot);
    removed.push('cgroups skiff/');
  }
  if (options.bridge) {
    const serviceTable = serviceTableOf(options.nftTable ?? 'skiff');
    if (await new Nftables(runner).deleteTable('inet', serviceTable)) removed.push(`nft table inet ${serviceTable}`);
    await new HostNetwork(runner).remove({ bridge: options.bridge, nftTable: options.nftTable });
    removed.push(`bridge ${options.bridge}`);
  }
  return removed;
}
