import { EdgeConfig, nthHostOf } from '@skiff/config';
import { assertIfName, HostCommand, Nftables, ProcessRunner } from '@skiff/host-tools';
import { existsSync } from 'node:fs';

/** The edge's ends of its links, inside its netns: the veth to the host and the internet-side bridge. */
export const EDGE_HOST_LINK = 'host0';
export const EDGE_INTERNET_BRIDGE = 'inet0';

/**
 * The edge network namespace (docs/networking.md, "Traffic from outside"): the SLB and EIP pools are local there,
 * the host routes them and the internet side into it through a veth, and the edge routes the VSwitch back through
 * the host. Idempotent: `ensure` repairs what is missing and keeps what is there (the data plane's nft table and the
 * Ingress proxy keep serving across network-svc restarts).
 */
export class EdgeNetwork {
  private readonly host: HostCommand;
  /** Commands inside the edge netns. */
  readonly edge: HostCommand;
  readonly nft: Nftables;

  constructor(
    readonly config: EdgeConfig,
    /** The pods' addresses, routed back through the host. */
    private readonly vswitchCidr: string,
    runner: ProcessRunner,
  ) {
    assertIfName(config.hostLink, 'SKIFF_EDGE_LINK');
    this.host = new HostCommand(runner);
    this.edge = new HostCommand(runner, config.netns);
    this.nft = new Nftables(runner, config.netns);
  }

  /** The host's address on the veth: what the edge routes the VSwitch through. */
  get hostAddress(): string {
    return nthHostOf(this.config.transitCidr, 1);
  }

  /** The edge's address on the veth: where the host routes the pools and the internet side. */
  get edgeAddress(): string {
    return nthHostOf(this.config.transitCidr, 2);
  }

  /** The edge's address on the internet side, the internet clients' gateway. */
  get internetGateway(): string {
    return nthHostOf(this.config.internetCidr, 1);
  }

  async ensure(): Promise<void> {
    const { netns, hostLink, transitCidr, slbPool, eipPool, internetCidr } = this.config;
    if (!existsSync(`/run/netns/${netns}`)) await this.host.run('ip', ['netns', 'add', netns]);
    await this.edge.run('ip', ['link', 'set', 'lo', 'up']);
    // Forwarding only inside the edge and on the host's end of the veth; the host-wide ip_forward stays as it is.
    await this.edge.run('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    const peered = await this.edge.linkExists(EDGE_HOST_LINK);
    if (!peered && (await this.host.linkExists(hostLink))) await this.host.run('ip', ['link', 'del', hostLink]);
    if (!peered) {
      await this.host.run('ip', [
        'link',
        'add',
        hostLink,
        'type',
        'veth',
        'peer',
        'name',
        EDGE_HOST_LINK,
        'netns',
        netns,
      ]);
    }
    const prefix = transitCidr.split('/')[1];
    await this.host.run('ip', ['addr', 'replace', `${this.hostAddress}/${prefix}`, 'dev', hostLink]);
    await this.host.run('ip', ['link', 'set', hostLink, 'up']);
    await this.host.run('sysctl', ['-qw', `net.ipv4.conf.${hostLink}.forwarding=1`]);
    await this.edge.run('ip', ['addr', 'replace', `${this.edgeAddress}/${prefix}`, 'dev', EDGE_HOST_LINK]);
    await this.edge.run('ip', ['link', 'set', EDGE_HOST_LINK, 'up']);
    if (!(await this.edge.linkExists(EDGE_INTERNET_BRIDGE)))
      await this.edge.run('ip', ['link', 'add', EDGE_INTERNET_BRIDGE, 'type', 'bridge']);
    const inetPrefix = internetCidr.split('/')[1];
    await this.edge.run('ip', [
      'addr',
      'replace',
      `${this.internetGateway}/${inetPrefix}`,
      'dev',
      EDGE_INTERNET_BRIDGE,
    ]);
    await this.edge.run('ip', ['link', 'set', EDGE_INTERNET_BRIDGE, 'up']);
    await this.edge.run('ip', ['route', 'replace', this.vswitchCidr, 'via', this.hostAddress, 'dev', EDGE_HOST_LINK]);
    // Every pool address is the edge's own: SLB and EIP DNATs happen before routing, the Ingress proxy binds them,
    // and a packet for an address nobody holds is answered (reset) by the edge instead of bouncing back to the host.
    for (const pool of [slbPool, eipPool]) await this.edge.run('ip', ['route', 'replace', 'local', pool, 'dev', 'lo']);
    for (const cidr of [slbPool, eipPool, internetCidr])
      await this.host.run('ip', ['route', 'replace', cidr, 'via', this.edgeAddress, 'dev', hostLink]);
  }

  /** Removes the netns, and with it the veth, the bridge, the routes and every nft table in it; idempotent. */
  async remove(): Promise<void> {
    const { netns, hostLink } = this.config;
    if (existsSync(`/run/netns/${netns}`)) await this.host.run('ip', ['netns', 'del', netns]);
    if (await this.host.linkExists(hostLink)) await this.host.run('ip', ['link', 'del', hostLink]);
  }
}
