import { HOST_SERVICE_MARK } from '@skiff/service-routing';
import { assertIfName, HostCommand, ProcessRunner } from '@skiff/host-tools';
import { NetworkError } from './network.error';

export interface HostNetworkConfig {
  /** Pod bridge, e.g. `skiff0` (tests: `skiffT<random>`). */
  bridge: string;
  /** Gateway address on the bridge with the pod prefix, e.g. `10.244.0.1/16`. */
  gatewayCidr: string;
  /** Operators may let pods out (then with masquerade); never on by default. */
  allowEgress?: boolean;
  /**
   * The edge's veth (network-svc's): pods' packets to SLB, EIP and internet-side addresses leave through it, and
   * the edge decides what goes on (only EIP pods reach the internet side).
   */
  edgeLink?: string;
  /** nftables table (family inet); `skiff` by default, tests use their own. */
  nftTable?: string;
}

export interface HostNetworkOptions {
  /** Run everything inside this netns instead of the host's (tests build a fake host). */
  hostNetns?: string;
}

/** The host half of pod networking: the bridge with the gateway address and the nft table that keeps pods in. */
export class HostNetwork {
  private readonly host: HostCommand;
  private config?: HostNetworkConfig;

  constructor(
    private readonly runner: ProcessRunner = new ProcessRunner(),
    options: HostNetworkOptions = {},
  ) {
    this.host = new HostCommand(runner, options.hostNetns);
  }

  async ensure(config: HostNetworkConfig): Promise<void> {
    assertIfName(config.bridge, 'bridge');
    const table = config.nftTable ?? 'skiff';
    if (!/^skiff\w*$/.test(table))
      throw new NetworkError('InvalidConfig', `nft table "${table}" must start with "skiff"`);
    if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(config.gatewayCidr))
      throw new NetworkError('InvalidConfig', `gatewayCidr "${config.gatewayCidr}" is not a.b.c.d/len`);
    this.config = config;
    // The drop rule goes in before the bridge comes up, so no pod ever sees a moment without it.
    await this.host.run('nft', ['-f', '-'], { input: nftRuleset(table, config) });
    if (!(await this.host.linkExists(config.bridge))) {
      await this.host.run('ip', ['link', 'add', config.bridge, 'type', 'bridge']);
    }
    const addrs = await this.host.run('ip', ['-o', '-4', 'addr', 'show', 'dev', config.bridge]);
    if (!addrs.stdout.includes(` ${config.gatewayCidr} `)) {
      await this.host.run('ip', ['addr', 'replace', config.gatewayCidr, 'dev', config.bridge]);
    }
    await this.host.run('ip', ['link', 'set', config.bridge, 'up']);
    // A pod's packet to a ClusterIP is DNATed to a pod on this same bridge and routed back out of it, so the bridge
    // (only it: the host-wide ip_forward stays off) forwards. The egress drop, in place before, keeps all else in.
    await this.host.run('sysctl', ['-qw', `net.ipv4.conf.${config.bridge}.forwarding=1`]);
    // The API server and the cluster DNS listen on the host's loopback; the Service data plane DNATs pods'
    // packets for them to 127.0.0.1, which the kernel routes in from the bridge only with route_localnet.
    await this.host.run('sysctl', ['-qw', `net.ipv4.conf.${config.bridge}.route_localnet=1`]);
  }

  /** Deletes the nft table and the bridge; idempotent. Pods must be torn down first. */
  async remove(config: Pick<HostNetworkConfig, 'bridge' | 'nftTable'> | undefined = this.config): Promise<void> {
    if (!config) return;
    const table = config.nftTable ?? 'skiff';
    const listed = await this.host.run('nft', ['list', 'table', 'inet', table], { allowFailure: true });
    if (listed.code === 0) await this.host.run('nft', ['delete', 'table', 'inet', table]);
    if (await this.host.linkExists(config.bridge)) await this.host.run('ip', ['link', 'del', config.bridge]);
  }

  /** Packets dropped for leaving the bridge (`forward`) or for reaching the host itself (`input`); 0 when the table is gone. */
  async droppedPackets(chain: 'forward' | 'input', table = this.config?.nftTable ?? 'skiff'): Promise<number> {
    const r = await this.host.run('nft', ['-j', 'list', 'chain', 'inet', table, chain], { allowFailure: true });
    if (r.code !== 0) return 0;
    const doc = JSON.parse(r.stdout) as {
      nftables: { rule?: { comment?: string; expr: { counter?: { packets: number } }[] } }[];
    };
    let packets = 0;
    for (const item of doc.nftables) {
      if (item.rule?.comment !== DROP_COMMENT[chain]) continue;
      for (const e of item.rule.expr) packets += e.counter?.packets ?? 0;
    }
    return packets;
  }
}

const DROP_COMMENT = { forward: 'skiff-egress-drop', input: 'skiff-host-drop' } as const;

// One transaction replaces the whole table, so re-running ensure() never stacks rules.
function nftRuleset(table: string, config: HostNetworkConfig): string {
  const br = JSON.stringify(config.bridge);
  const lines = [
    `table inet ${table} {}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
  ];
  if (config.edgeLink) lines.push(`    iifname ${br} oifname ${JSON.stringify(config.edgeLink)} accept`);
  if (config.allowEgress) {
    lines.push('  }', '  chain postrouting {', '    type nat hook postrouting priority srcnat; policy accept;');
    lines.push(`    ip saddr ${networkOf(config.gatewayCidr)} oifname != ${br} masquerade`);
  } else {
    lines.push(`    iifname ${br} oifname != ${br} counter drop comment "${DROP_COMMENT.forward}"`);
  }
  // The sandbox host is not the pods' to reach (its agent, its local services): only replies to what the host
  // opened (probes, port-forward fallbacks) come back in over the bridge, and the Service data plane's packets
  // for the API server and the cluster DNS. Egress settings do not change this.
  lines.push('  }', '  chain input {', '    type filter hook input priority filter; policy accept;');
  lines.push(`    iifname ${br} ct state established,related accept`);
  // What the Service data plane sent to the host's own services (the API server, the cluster DNS) on loopback.
  lines.push(`    iifname ${br} ip daddr 127.0.0.1 meta mark & ${HOST_SERVICE_MARK} == ${HOST_SERVICE_MARK} accept`);
  lines.push(`    iifname ${br} counter drop comment "${DROP_COMMENT.input}"`);
  lines.push('  }', '}', '');
  return lines.join('\n');
}

function networkOf(cidr: string): string {
  const [addr, len] = cidr.split('/');
  const n = addr.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
  const bits = Number(len);
  const masked = bits === 0 ? 0 : (n & (~0 << (32 - bits))) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (masked >>> s) & 255).join('.')}/${bits}`;
}
