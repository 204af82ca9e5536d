import { randomBytes } from 'node:crypto';
import { ProcessRunner } from '@skiff/host-tools';
import { HostNetwork } from './host-network';
import { PodNetwork, PodNetworkRequest } from './pod-network';

const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('PodNetwork integration tests skipped: netns, CNI and nft need root');

// Everything happens inside a fake host netns whose only "uplink" leads to another netns of ours, so even a
// broken drop rule could not put a packet on a real wire. Inside it ip_forward is on, so the nft rule is what decides.
(asRoot ? describe : describe.skip)(PodNetwork.name, () => {
  const r = randomBytes(3).toString('hex');
  const hostNs = `skiffT-h${r}`;
  const outNs = `skiffT-o${r}`;
  const bridge = `skiffT${r}`;
  const nftTable = `skiffT${r}`;
  const subnet = '10.244.250';
  const runner = new ProcessRunner();
  const host = new HostNetwork(runner, { hostNetns: hostNs });
  const pods = new PodNetwork(runner, { hostNetns: hostNs });
  const a = `t${r}-a`;
  const b = `t${r}-b`;
  const sh = (args: string[]) => runner.run(args[0], args.slice(1), { allowFailure: true, timeoutMs: 10_000 });
  const setup = async (req: PodNetworkRequest) => {
    await pods.create(req.podId);
    return pods.wire(req);
  };
  const ping = (pod: string, ip: string) =>
    sh(['ip', 'netns', 'exec', PodNetwork.netnsName(pod), '/bin/busybox', 'ping', '-c1', '-W1', ip]);

  beforeAll(async () => {
    for (const ns of [hostNs, outNs]) {
      await runner.run('ip', ['netns', 'add', ns]);
      await runner.run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await runner.run('ip', [
      '-n',
      hostNs,
      'link',
      'add',
      'up0',
      'type',
      'veth',
      'peer',
      'name',
      'down0',
      'netns',
      outNs,
    ]);
    await runner.run('ip', ['-n', hostNs, 'addr', 'add', '10.250.0.1/30', 'dev', 'up0']);
    await runner.run('ip', ['-n', outNs, 'addr', 'add', '10.250.0.2/30', 'dev', 'down0']);
    await runner.run('ip', ['-n', hostNs, 'link', 'set', 'up0', 'up']);
    await runner.run('ip', ['-n', outNs, 'link', 'set', 'down0', 'up']);
    await runner.run('ip', ['-n', outNs, 'route', 'add', `${subnet}.0/24`, 'via', '10.250.0.1']);
    await runner.run('ip', ['netns', 'exec', hostNs, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    // Counts echo requests that reach the "outside".
    await runner.run('ip', ['netns', 'exec', outNs, 'nft', '-f', '-'], {
      input:
        'table inet skiffcount {\n chain input {\n  type filter hook input priority filter;\n  icmp type echo-request counter\n }\n}\n',
    });
    await host.ensure({ bridge, gatewayCidr: `${subnet}.1/24`, nftTable });
    await host.ensure({ bridge, gatewayCidr: `${subnet}.1/24`, nftTable }); // idempotent
  });

  afterAll(async () => {
    await pods.teardown(a);
    await pods.teardown(b);
    await host.remove({ bridge, nftTable });
    for (const ns of [hostNs, outNs]) await runner.run('ip', ['netns', 'delete', ns], { allowFailure: true });
  });

  const echoRequestsOutside = async (): Promise<number> => {
    const { stdout } = await runner.run('ip', ['netns', 'exec', outNs, 'nft', 'list', 'table', 'inet', 'skiffcount']);
    return Number(/packets (\d+)/.exec(stdout)?.[1] ?? NaN);
  };

  it('wires two pods on one bridge that reach each other', async () => {
    const sa = await setup({ podId: a, ip: `${subnet}.2`, prefixLength: 24, gateway: `${subnet}.1`, bridge });
    await setup({ podId: b, ip: `${subnet}.3`, prefixLength: 24, gateway: `${subnet}.1`, bridge });
    expect(sa).toEqual({
      netnsName: `skiff-${a}`,
      netnsPath: `/var/run/netns/skiff-${a}`,
      hostVeth: PodNetwork.hostVethName(a),
      ip: `${subnet}.2`,
    });
    const links = await runner.run('ip', ['-n', hostNs, '-o', 'link', 'show', 'master', bridge]);
    expect(links.stdout).toContain(PodNetwork.hostVethName(a));
    expect(links.stdout).toContain(PodNetwork.hostVethName(b));
    const addr = await runner.run('ip', ['-n', `skiff-${a}`, '-o', '-4', 'addr', 'show']);
    expect(addr.stdout).toMatch(/lo\s+inet 127\.0\.0\.1/);
    expect(addr.stdout).toMatch(/eth0\s+inet 10\.244\.250\.2\/24/);
    expect((await ping(a, `${subnet}.3`)).code).toBe(0);
    expect((await ping(b, `${subnet}.2`)).code).toBe(0);
  });

  it('keeps pods off the host itself, while the host still reaches them (probes)', async () => {
    const before = await host.droppedPackets('input', nftTable);
    expect((await ping(a, `${subnet}.1`)).code).not.toBe(0);
    expect(await host.droppedPackets('input', nftTable)).toBeGreaterThan(before);
    expect((await sh(['ip', 'netns', 'exec', hostNs, '/bin/busybox', 'ping', '-c1', '-W1', `${subnet}.2`])).code).toBe(
      0,
    );
  });

  it('drops pod egress on the host: nothing reaches the outside and the nft counter says why', async () => {
    const before = await host.droppedPackets('forward', nftTable);
    expect((await ping(a, '10.250.0.2')).code).not.toBe(0);
    expect(await host.droppedPackets('forward', nftTable)).toBeGreaterThan(before);
    expect(await echoRequestsOutside()).toBe(0);
  });

  it('lets pods out only when egress is allowed', async () => {
    await host.ensure({ bridge, gatewayCidr: `${subnet}.1/24`, nftTable, allowEgress: true });
    try {
      expect((await ping(a, '10.250.0.2')).code).toBe(0);
      expect(await echoRequestsOutside()).toBeGreaterThan(0);
    } finally {
      await host.ensure({ bridge, gatewayCidr: `${subnet}.1/24`, nftTable });
    }
    expect((await ping(b, '10.250.0.2')).code).not.toBe(0);
  });

  it('re-runs setup over a half-made pod and tears down idempotently, leaving nothing', async () => {
    await setup({ podId: a, ip: `${subnet}.2`, prefixLength: 24, gateway: `${subnet}.1`, bridge });
    expect((await ping(a, `${subnet}.3`)).code).toBe(0);
    for (const pod of [a, b, a, b]) await pods.teardown(pod);
    await host.remove({ bridge, nftTable });
    await host.remove({ bridge, nftTable });
    expect((await runner.run('ip', ['netns', 'list'])).stdout).not.toContain(`t${r}-`);
    const links = (await runner.run('ip', ['-n', hostNs, '-o', 'link'])).stdout;
    expect(links).not.toContain(bridge);
    expect(links).not.toMatch(/skiffv/);
    expect((await runner.run('ip', ['netns', 'exec', hostNs, 'nft', 'list', 'tables'])).stdout).not.toContain(nftTable);
  });
});
