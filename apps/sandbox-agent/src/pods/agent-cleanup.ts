import { SandboxAgentConfig } from '@skiff/config';
import { ProcessRunner } from '@skiff/host-tools';
import { Nftables } from '@skiff/host-tools';
import { policyTableOf } from '../network-policy/network-policy.config';
import { serviceTableOf } from '../services/service-proxy.config';
import { PodStateStore, RuntimeKind } from './pod-state.store';
import { DiskAttachments } from '../volumes/disk-attachments';
import { SandboxHost } from './sandbox-host';

/** The nft table of an agent's egress drop: `skiff` for the default bridge, else named after its bridge so agents never share one. */
export function nftTableOf(bridge: string): string {
  return bridge === 'skiff0' ? 'skiff' : bridge;
}

export function sandboxHostOf(
  config: SandboxAgentConfig,
  runner: ProcessRunner,
  attachments?: DiskAttachments,
): SandboxHost {
  return new SandboxHost(
    {
      stateDir: config.stateDir,
      bridge: config.bridge,
      vswitchCidr: config.vswitchCidr,
      allowEgress: config.allowEgress,
      edgeLink: config.edgeLink,
      storageRoot: config.storageRoot,
      nasBackend: config.nasBackend,
      attachments,
      mirrors: config.mirrors,
      nftTable: nftTableOf(config.bridge),
    },
    runner,
  );
}

/**
 * The agent's `cleanup` command: removes every pod sandbox this agent made (from its records and
 * its runtimes' own lists), its volumes and mounts, then its Service table, its bridge and nft table. Touches
 * nothing of other agents on the same machine. Resolves what it removed.
 */
export async function cleanupAgentHost(config: SandboxAgentConfig, runner: ProcessRunner): Promise<string[]> {
  const host = sandboxHostOf(config, runner);
  const removed: string[] = [];
  const uids = new Set((await new PodStateStore(config.stateDir).loadAll()).map((r) => r.uid));
  for (const kind of ['runc', 'runsc'] as RuntimeKind[]) {
    for (const c of await host.runtimes[kind].runtime.list()) {
      const m = /^skiff-([a-z0-9-]+)_/.exec(c.id);
      if (m) uids.add(m[1]);
    }
  }
  for (const uid of uids) {
    for (const kind of ['runc', 'runsc'] as RuntimeKind[])
      await host.runtimes[kind].sandbox.remove(uid).catch(() => undefined);
    await host.volumes.tearDown(uid);
    removed.push(`pod ${uid}`);
  }
  for (const d of await host.disks.cleanupAll()) removed.push(`disk ${d}`);
  for (const m of await host.mounter.mountsUnder(config.stateDir)) {
    await host.mounter.unmount(m);
    removed.push(`mount ${m}`);
  }
  const serviceTable = serviceTableOf(nftTableOf(config.bridge));
  for (const table of [serviceTable, policyTableOf(nftTableOf(config.bridge))])
    if (await new Nftables(runner).deleteTable('inet', table)) removed.push(`nft table inet ${table}`);
  await host.hostNetwork.remove({ bridge: config.bridge, nftTable: nftTableOf(config.bridge) });
  removed.push(`bridge ${config.bridge}`);
  return removed;
}
