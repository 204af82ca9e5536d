import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { assertIfName, HostCommand, ProcessError, ProcessRunner } from '@skiff/host-tools';
import { NetworkError } from './network.error';

export interface PodNetworkRequest {
  podId: string;
  /** IP network-svc allocated, e.g. `10.244.3.7` */
  ip: string;
  prefixLength: number;
  gateway: string;
  bridge: string;
}

export interface PodNetworkStatus {
  netnsName: string;
  /** `/var/run/netns/skiff-<podId>`: what the OCI spec's network namespace path points at */
  netnsPath: string;
  /** host side of the veth, renamed to carry the skiff prefix */
  hostVeth: string;
  ip: string;
}

export interface PodNetworkOptions {
  cniPath?: string;
  /** Run the host-side commands (CNI plugin, ip) inside this netns; tests stand up a fake host this way. */
  hostNetns?: string;
}

interface CniResult {
  interfaces?: { name: string; sandbox?: string }[];
}

const NETNS_DIR = '/var/run/netns';

/** A pod's network namespace, wired to the bridge by the standard CNI bridge plugin with a static address. */
export class PodNetwork {
  private readonly host: HostCommand;
  private readonly cniPath: string;

  constructor(
    private readonly runner: ProcessRunner = new ProcessRunner(),
    options: PodNetworkOptions = {},
  ) {
    this.host = new HostCommand(runner, options.hostNetns);
    this.cniPath = options.cniPath ?? '/usr/lib/cni';
  }

  static netnsName(podId: string): string {
    return `skiff-${podId}`;
  }

  /** Veth names are derived from the pod id so teardown and cleanup find them without state. */
  static hostVethName(podId: string): string {
    return `skiffv${createHash('sha256').update(podId).digest('hex').slice(0, 9)}`;
  }

  /**
   * The pod's netns with its loopback up: all a runtime needs to create containers in it. `wire` gives
   * it the address; the pause container may start meanwhile. One `ip` process does both steps.
   */
  async create(podId: string): Promise<{ netnsName: string; netnsPath: string }> {
    if (!/^[a-z0-9][a-z0-9-]{0,56}$/.test(podId))
      throw new NetworkError('InvalidConfig', `pod id "${podId}" must be lowercase alphanumerics and dashes`);
    const netnsName = PodNetwork.netnsName(podId);
    // A half-made sandbox from a crashed attempt is torn down and redone: ADD is not idempotent for the bridge plugin.
    if (await this.netnsExists(netnsName)) await this.teardown(podId);
    try {
      await this.runner.run('ip', ['-batch', '-'], {
        input: `netns add ${netnsName}\nnetns exec ${netnsName} ip link set lo up\n`,
      });
    } catch (err) {
      await this.teardown(podId).catch(() => undefined);
      throw new NetworkError(
        'SetupFailed',
        `pod network for ${podId}: ${err instanceof ProcessError ? err.message : String(err)}`,
      );
    }
    return { netnsName, netnsPath: `${NETNS_DIR}/${netnsName}` };
  }

  /** CNI bridge ADD into the netns `create` made, then the host veth renamed so teardown finds it without state. */
  async wire(req: PodNetworkRequest): Promise<PodNetworkStatus> {
    assertIfName(req.bridge, 'bridge');
    const netnsName = PodNetwork.netnsName(req.podId);
    const netnsPath = `${NETNS_DIR}/${netnsName}`;
    const hostVeth = PodNetwork.hostVethName(req.podId);
    try {
      const out = await this.cni('ADD', req.podId, netnsPath, this.cniConfig(req));
      const result = JSON.parse(out) as CniResult;
      const veth = result.interfaces?.find((i) => !i.sandbox && i.name !== req.bridge)?.name;
      if (!veth) throw new NetworkError('SetupFailed', `CNI bridge returned no host veth: ${out}`);
      // The plugin names it veth<random>; DEL finds the pair from eth0 inside the netns, so renaming is safe.
      await this.host.run('ip', ['-batch', '-'], {
        input: `link set dev ${veth} down\nlink set dev ${veth} name ${hostVeth}\nlink set dev ${hostVeth} up\n`,
      });
      return { netnsName, netnsPath, hostVeth, ip: req.ip };
    } catch (err) {
      await this.teardown(req.podId).catch(() => undefined);
      if (err instanceof NetworkError) throw err;
      throw new NetworkError(
        'SetupFailed',
        `pod network for ${req.podId}: ${err instanceof ProcessError ? err.message : String(err)}`,
      );
    }
  }

  /**
   * The pod's eth0 deleted (which takes its host peer with it at once) and its netns removed, in one `ip`
   * process. This is all the bridge plugin's DEL does with static addresses, so the plugin is not run.
   * A no-op for a pod that has none.
   */
  async teardown(podId: string): Promise<void> {
    const netnsName = PodNetwork.netnsName(podId);
    const veth = PodNetwork.hostVethName(podId);
    if (!(await this.netnsExists(netnsName))) {
      // Only a crash between CNI ADD and the netns going can leave the host end alone.
      if (await this.host.linkExists(veth)) await this.host.run('ip', ['link', 'del', veth], { allowFailure: true });
      return;
    }
    await this.runner.run('ip', ['-force', '-batch', '-'], {
      input: `netns exec ${netnsName} ip link del eth0\nnetns delete ${netnsName}\n`,
      allowFailure: true,
    });
    // `ip netns delete` racing other netns adds/deletes can fail (busy mount) and leak the netns: check and retry.
    for (let attempt = 0; await this.netnsExists(netnsName); attempt++) {
      if (attempt >= 10) throw new NetworkError('TeardownFailed', `netns ${netnsName} could not be deleted`);
      await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      await this.runner.run('ip', ['netns', 'delete', netnsName], { allowFailure: true });
    }
  }

  /** `ip netns` keeps a netns as a file under /var/run/netns; looking there costs no process. */
  async netnsExists(name: string): Promise<boolean> {
    return fs.access(`${NETNS_DIR}/${name}`).then(
      () => true,
      () => false,
    );
  }

  private cniConfig(req: PodNetworkRequest): object {
    // isGateway:false on purpose: with it the plugin turns on the host-wide ip_forward sysctl. Pods only need the
    // gateway address on the bridge (HostNetwork puts it there) and a default route to it.
    return {
      cniVersion: '1.0.0',
      name: 'skiff',
      type: 'bridge',
      bridge: req.bridge,
      isGateway: false,
      ipMasq: false,
      hairpinMode: true,
      ipam: {
        type: 'static',
        addresses: [{ address: `${req.ip}/${req.prefixLength}`, gateway: req.gateway }],
        routes: [{ dst: '0.0.0.0/0', gw: req.gateway }],
      },
    };
  }

  private async cni(command: 'ADD', podId: string, netnsPath: string, config: object): Promise<string> {
    const env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: `skiff-${podId}`,
      CNI_NETNS: netnsPath,
      CNI_IFNAME: 'eth0',
      CNI_PATH: this.cniPath,
    };
    const { stdout } = await this.host.run(`${this.cniPath}/bridge`, [], {
      input: JSON.stringify(config),
      env,
      timeoutMs: 30_000,
    });
    return stdout;
  }
}
