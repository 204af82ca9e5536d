import { Nftables, ProcessRunner } from '@skiff/host-tools';
import { EndpointSlice, Service } from '@skiff/kube-types';
import { Ipv4Cidr, servicePortPlans, ServiceRules, updateRuleset } from '@skiff/service-routing';
import { randomBytes } from 'node:crypto';
import { SLB_ANNOTATION_PREFIX, slbOptionsOf } from '../slb/slb-options';
import { slbRulesOf } from '../slb/slb-rules';
import { EDGE_TABLE, eipRules, fullEdgeRuleset } from './edge-ruleset';

// `nft --check` needs CAP_NET_ADMIN and checks against the kernel's ruleset of its netns (an update script needs
// the table there): so this runs as root, in a netns of its own.
const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('edge ruleset integration tests skipped: netns and nft need root');

const VSWITCH = new Ipv4Cidr('10.244.0.0/16');

function service(name: string, annotations: Record<string, string>, spec: Partial<Service['spec']> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      namespace: 'shop',
      name,
      annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [SLB_ANNOTATION_PREFIX + k, v])),
    },
    spec: {
      type: 'LoadBalancer',
      clusterIP: '10.96.3.4',
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 },
      ],
      ...spec,
    },
  };
}

/** An SLB with every kind of rule: persistence, intranet, source ranges and a black ACL, a port without endpoints. */
const WEB = service(
  'web',
  {
    'persistence-timeout': '30',
    'address-type': 'intranet',
    'acl-status': 'on',
    'acl-type': 'black',
    'acl-id': '198.51.100.0/24',
  },
  { loadBalancerSourceRanges: ['10.0.0.0/8', '192.168.0.0/16'] },
);

function slbRules(svc: Service, ips: string[], ownsAddress = true): ServiceRules {
  const slice: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    addressType: 'IPv4',
    metadata: {
      namespace: 'shop',
      name: `${svc.metadata.name}-abc`,
      labels: { 'kubernetes.io/service-name': svc.metadata.name! },
    },
    endpoints: ips.map((ip) => ({ addresses: [ip] })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
  const plans = servicePortPlans(svc, [slice], VSWITCH);
  return slbRulesOf(svc, '198.18.0.1', plans, slbOptionsOf(svc).options, ownsAddress);
}

interface NftObject {
  [kind: string]: { name?: string; chain?: string; handle?: number; elem?: unknown[]; expr?: unknown };
}

/**
 * The table as the kernel holds it, without handles and in a stable order: chains, sets and maps by name with
 * their elements sorted, and each chain's rules in order. Two tables holding the same rules compare equal however
 * they were built.
 */
function normalized(json: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of (JSON.parse(json) as { nftables: NftObject[] }).nftables) {
    const [kind, body] = Object.entries(o)[0];
    if (kind === 'metainfo' || kind === 'table') continue;
    if (kind === 'rule') {
      const rules = (out[`chain ${body.chain} rules`] ??= []) as string[];
      rules.push(JSON.stringify(body.expr));
      continue;
    }
    const { handle: _handle, elem, ...rest } = body;
    out[`${kind} ${body.name}`] = { ...rest, elem: (elem ?? []).map((e) => JSON.stringify(e)).sort() };
  }
  return out;
}

(asRoot ? describe : describe.skip)('the edge ruleset in a network namespace', () => {
  const netns = `skiff-t${randomBytes(3).toString('hex')}`;
  const runner = new ProcessRunner();
  const nft = new Nftables(runner, netns);
  const inNetns = (args: string[], input?: string) =>
    runner.run('ip', ['netns', 'exec', netns, 'nft', ...args], { input, allowFailure: true });
  const check = (script: string) => inNetns(['--check', '-f', '-'], script);
  const table = async () => normalized((await inNetns(['-j', 'list', 'table', 'inet', EDGE_TABLE])).stdout);
  /** What the full script of `objects` makes, applied anew (as network-svc does at the start of a term). */
  const fullTableOf = async (objects: ServiceRules[]) => {
    await nft.apply(fullEdgeRuleset(objects));
    return table();
  };

  beforeAll(async () => {
    await runner.run('ip', ['netns', 'add', netns]);
  });

  afterAll(async () => {
    await runner.run('ip', ['netns', 'del', netns], { allowFailure: true });
  });

  it('passes nft --check in an empty netns, which leaves no table behind', async () => {
    const result = await check(
      fullEdgeRuleset([slbRules(WEB, ['10.244.1.5', '10.244.1.6']), eipRules('198.19.0.1', '10.244.2.7')]),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await inNetns(['list', 'tables'])).stdout).toBe('');
  });

  it('applies, and applies again over itself (a restart), to the same table', async () => {
    const objects = [slbRules(WEB, ['10.244.1.5', '10.244.1.6']), eipRules('198.19.0.1', '10.244.2.7')];
    const first = await fullTableOf(objects);
    expect(first['map service-ips']).toMatchObject({ elem: [expect.stringContaining('198.18.0.1')] });
    expect(first['map no-endpoint-services']).toMatchObject({ elem: [expect.stringContaining('"udp"')] });
    expect(first['map acls']).toMatchObject({ elem: [expect.stringContaining('acl-shop/web')] });
    expect(first['map eip-dnat']).toMatchObject({ elem: ['["198.19.0.1","10.244.2.7"]'] });
    expect(first['map intranet-only']).toMatchObject({ elem: ['["198.18.0.1",{"drop":null}]'] });
    expect(first['chain acl-shop/web rules']).toHaveLength(2);
    expect(await fullTableOf(objects)).toEqual(first);
  });

  it('swaps an endpoint and moves an EIP incrementally, ending where the full script of the new state does', async () => {
    const before = [slbRules(WEB, ['10.244.1.5', '10.244.1.6']), eipRules('198.19.0.1', '10.244.2.7')];
    const after = [slbRules(WEB, ['10.244.1.6', '10.244.1.7']), eipRules('198.19.0.1', '10.244.2.9')];
    await fullTableOf(before);
    const script = updateRuleset(EDGE_TABLE, [
      { before: before[0], after: after[0] },
      { before: before[1], after: after[1] },
    ]);
    expect((await check(script)).stderr).toBe('');
    await nft.apply(script);
    const incremental = await table();
    expect(Object.keys(incremental)).toContain('set affinity-shop/web/tcp/http__10.244.1.7/8080-30s');
    expect(Object.keys(incremental)).not.toContain('chain endpoint-shop/web/tcp/http__10.244.1.5/8080');
    expect(incremental).toEqual(await fullTableOf(after));
  });

  it("takes an SLB's and an EIP's rules out entirely, leaving the table of nothing", async () => {
    const objects = [slbRules(WEB, ['10.244.1.5']), eipRules('198.19.0.1', '10.244.2.7')];
    await fullTableOf(objects);
    await nft.apply(
      updateRuleset(
        EDGE_TABLE,
        objects.map((before) => ({ before })),
      ),
    );
    const emptied = await table();
    expect(emptied).toEqual(await fullTableOf([]));
  });

  // A second Service on the same SLB (the loadbalancer-id annotation): its listeners only, beside the owner's.
  const owner = slbRules(WEB, ['10.244.1.5']);
  const reuser = slbRules(
    service('api', {}, { ports: [{ name: 'http', port: 8080, protocol: 'TCP', targetPort: 8080 }] }),
    ['10.244.1.8'],
    false,
  );

  it('adds the listeners of a Service reusing the SLB beside its owner', async () => {
    await fullTableOf([owner]);
    await nft.apply(updateRuleset(EDGE_TABLE, [{ after: reuser }]));
    expect(await table()).toEqual(await fullTableOf([owner, reuser]));
  });

  it('takes out a Service reusing the SLB, then its owner, each leaving the table of what is left', async () => {
    await fullTableOf([owner, reuser]);
    await nft.apply(updateRuleset(EDGE_TABLE, [{ before: reuser }]));
    expect(await table()).toEqual(await fullTableOf([owner]));
    await nft.apply(updateRuleset(EDGE_TABLE, [{ before: owner }]));
    expect(await table()).toEqual(await fullTableOf([]));
  });

  it('takes out the owner of a reused SLB, then the Service reusing it', async () => {
    await fullTableOf([owner, reuser]);
    await nft.apply(updateRuleset(EDGE_TABLE, [{ before: owner }]));
    await nft.apply(updateRuleset(EDGE_TABLE, [{ before: reuser }]));
    expect(await table()).toEqual(await fullTableOf([]));
  });
});
