import { EdgeConfig } from '@skiff/config';
import { randomBytes } from 'node:crypto';
import { CommandResult, runCommand } from './run-command';

/** A test cluster's edge: its own netns, veth, pools and internet side, so clusters side by side do not clash. */
export type TestEdge = Omit<EdgeConfig, 'stateDir'>;

/** The edge of the cluster numbered `id` (the dev stack's defaults, 198.18.0.0/24 and friends, are never used). */
export function testEdgeOf(id: string): TestEdge {
  const suffix = id.slice(-6);
  const i = Number(suffix) % 50;
  return {
    netns: `skiff-edge-${suffix}`,
    hostLink: `skiffE${suffix}`,
    transitCidr: `198.18.255.${4 * (i + 1)}/30`,
    slbPool: `198.18.${100 + i}.0/24`,
    eipPool: `198.19.${100 + i}.0/24`,
    internetCidr: `198.19.${200 + i}.0/24`,
  };
}

export function edgeEnvOf(edge: TestEdge): Record<string, string> {
  return {
    SKIFF_EDGE_NETNS: edge.netns,
    SKIFF_EDGE_LINK: edge.hostLink,
    SKIFF_EDGE_TRANSIT_CIDR: edge.transitCidr,
    SKIFF_SLB_POOL: edge.slbPool,
    SKIFF_EIP_POOL: edge.eipPool,
    SKIFF_EDGE_INTERNET_CIDR: edge.internetCidr,
  };
}

async function must(cmd: string, args: string[]): Promise<void> {
  const r = await runCommand(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** A machine on "the internet": its own netns, plugged into the edge's `inet0` bridge. */
export interface InternetClient {
  netns: string;
  address: string;
  /** Runs a command inside the client's netns. */
  run(cmd: string, args: string[], timeoutMs?: number): Promise<CommandResult>;
  remove(): Promise<void>;
}

/** Plugs a new client netns into the edge's internet side, at the `host`th address of its CIDR (the edge is the 1st). */
export async function internetClient(edge: TestEdge, host = 10): Promise<InternetClient> {
  const tag = randomBytes(3).toString('hex');
  const netns = `skiff-ic${tag}`;
  const outer = `skiffI${tag}`;
  const [base, prefix] = edge.internetCidr.split('/');
  const octets = base.split('.').map(Number);
  const address = [...octets.slice(0, 3), octets[3] + host].join('.');
  const gateway = [...octets.slice(0, 3), octets[3] + 1].join('.');
  const client: InternetClient = {
    netns,
    address,
    run: (cmd, args, timeoutMs) => runCommand('ip', ['netns', 'exec', netns, cmd, ...args], timeoutMs),
    async remove() {
      await runCommand('ip', ['netns', 'del', netns]);
      await runCommand('ip', ['netns', 'exec', edge.netns, 'ip', 'link', 'del', outer]);
    },
  };
  // network-svc makes the edge when it starts leading: wait for its internet side.
  for (let i = 0; ; i++) {
    const bridge = await runCommand('ip', ['netns', 'exec', edge.netns, 'ip', 'link', 'show', 'inet0']);
    if (bridge.code === 0) break;
    if (i === 150) throw new Error(`the edge ${edge.netns} has no internet side: ${bridge.stderr.trim()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    await must('ip', ['netns', 'add', netns]);
    await must('ip', [
      'link',
      'add',
      outer,
      'netns',
      edge.netns,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      netns,
    ]);
    await must('ip', ['netns', 'exec', edge.netns, 'ip', 'link', 'set', outer, 'master', 'inet0', 'up']);
    await must('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
    await must('ip', ['netns', 'exec', netns, 'ip', 'addr', 'add', `${address}/${prefix}`, 'dev', 'eth0']);
    await must('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'eth0', 'up']);
    await must('ip', ['netns', 'exec', netns, 'ip', 'route', 'add', 'default', 'via', gateway]);
  } catch (err) {
    await client.remove();
    throw err;
  }
  return client;
}
