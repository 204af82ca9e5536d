import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ProcessRunner } from '@skiff/host-tools';
import { EDGE_BANDWIDTH_TABLE, EdgeBandwidth, HtbClass, parseClassMinors, parseHtbClasses } from './edge-bandwidth';

const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('EdgeBandwidth integration tests skipped: netns, tc and nft need root');

const EIP = '198.18.253.10';
const CLIENT_IP = '198.18.251.2';
const POD_IP = '198.18.252.2';
const CLASSES_TIMEOUT_MS = 90_000;

// Three netns of our own: a client on the "internet" bridge, a router playing the edge (its inet0 and host0, the
// EIP DNATed to the pod and the pod SNATed to it, as the edge does) and a server playing the pod. iperf3 runs
// between them, so nothing leaves these namespaces.
(asRoot ? describe : describe.skip)(EdgeBandwidth.name, () => {
  const r = randomBytes(3).toString('hex');
  const client = `skiff-tc${r}`;
  const edge = `skiff-te${r}`;
  const pod = `skiff-ts${r}`;
  const runner = new ProcessRunner();
  const bandwidth = new EdgeBandwidth(runner, { netns: edge, towardsPods: 'host0', towardsInternet: 'inet0' });
  const iperfServers: ChildProcess[] = [];
  const ip = (...args: string[]) => runner.run('ip', args);
  const inNetns = (ns: string, command: string, ...args: string[]) =>
    runner.run('ip', ['netns', 'exec', ns, command, ...args], { timeoutMs: 30_000 });

  const startIperfServer = async (ns: string): Promise<void> => {
    const child = runner.spawn('ip', ['netns', 'exec', ns, 'iperf3', '-s'], { stdio: 'ignore' });
    iperfServers.push(child);
    for (let i = 0; i < 100; i++) {
      if ((await inNetns(ns, 'ss', '-Hltn', 'sport = :5201')).stdout.trim()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`iperf3 -s in ${ns} is not listening`);
  };

  /** Mbit/s that reached the receiving side: the client's upload, or its download with `-R`. */
  const iperf = async (from: string, to: string, seconds: number, reverse = false): Promise<number> => {
    const args = ['-c', to, '-t', String(seconds), '-J', ...(reverse ? ['-R'] : [])];
    const { stdout } = await inNetns(from, 'iperf3', ...args);
    const report = JSON.parse(stdout) as { end: { sum_received: { bits_per_second: number } } };
    return report.end.sum_received.bits_per_second / 1e6;
  };

  const classesOn = async (device: string): Promise<HtbClass[]> =>
    parseHtbClasses((await inNetns(edge, 'tc', 'class', 'show', 'dev', device)).stdout).sort(
      (a, b) => a.minor - b.minor,
    );
  const classIds = async (): Promise<Map<string, number>> =>
    parseClassMinors(
      (await inNetns(edge, 'nft', '-j', 'list', 'map', 'inet', EDGE_BANDWIDTH_TABLE, 'by-destination')).stdout,
    );
  const rootQdisc = async (device: string) =>
    (await inNetns(edge, 'tc', 'qdisc', 'show', 'dev', device, 'root')).stdout;

  beforeAll(async () => {
    for (const ns of [client, edge, pod]) {
      await ip('netns', 'add', ns);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    // The pairs are created inside our namespaces, so no interface ever shows up on the host.
    await ip('-n', edge, 'link', 'add', 'inet0', 'type', 'bridge');
    await ip('-n', edge, 'addr', 'add', '198.18.251.1/24', 'dev', 'inet0');
    await ip('-n', edge, 'link', 'set', 'inet0', 'up');
    await ip('-n', client, 'link', 'add', 'skiffc0', 'type', 'veth', 'peer', 'name', 'skiffcp', 'netns', edge);
    await ip('-n', edge, 'link', 'set', 'skiffcp', 'master', 'inet0', 'up');
    await ip('-n', client, 'addr', 'add', `${CLIENT_IP}/24`, 'dev', 'skiffc0');
    await ip('-n', client, 'link', 'set', 'skiffc0', 'up');
    await ip('-n', client, 'route', 'add', 'default', 'via', '198.18.251.1');
    await ip('-n', edge, 'link', 'add', 'host0', 'type', 'veth', 'peer', 'name', 'skiffs0', 'netns', pod);
    await ip('-n', edge, 'addr', 'add', '198.18.252.1/30', 'dev', 'host0');
    await ip('-n', edge, 'link', 'set', 'host0', 'up');
    await ip('-n', pod, 'addr', 'add', `${POD_IP}/30`, 'dev', 'skiffs0');
    await ip('-n', pod, 'link', 'set', 'skiffs0', 'up');
    await ip('-n', pod, 'route', 'add', 'default', 'via', '198.18.252.1');
    await ip('-n', edge, 'route', 'add', 'local', '198.18.253.0/24', 'dev', 'lo');
    await inNetns(edge, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    await runner.run('ip', ['netns', 'exec', edge, 'nft', '-f', '-'], {
      input: [
        'table ip skiff-test-nat {',
        `  chain prerouting { type nat hook prerouting priority dstnat; ip daddr ${EIP} dnat to ${POD_IP}; }`,
        `  chain postrouting { type nat hook postrouting priority srcnat; ip saddr ${POD_IP} oifname "inet0" snat to ${EIP}; }`,
        '}',
        '',
      ].join('\n'),
    });
    await startIperfServer(pod);
    await startIperfServer(client);
  });

  afterAll(async () => {
    for (const child of iperfServers) {
      if (child.pid === undefined || child.exitCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      runner.signal(child.pid, 'SIGTERM');
      await exited;
    }
    for (const ns of [client, edge, pod]) await ip('netns', 'delete', ns).catch(() => undefined);
  });

  it('without a limit, traffic through the EIP is far above 10 Mbit/s both ways', async () => {
    expect(await iperf(client, EIP, 5)).toBeGreaterThan(50);
    expect(await iperf(client, EIP, 5, true)).toBeGreaterThan(50);
  });

  it('holds a connection to the EIP (DNATed to the pod) within 10 % of a 10 Mbit/s limit, both ways', async () => {
    await bandwidth.apply([{ address: EIP, mbit: 10 }]);
    const upload = await iperf(client, EIP, 5);
    const download = await iperf(client, EIP, 5, true);
    expect(upload).toBeGreaterThan(9);
    expect(upload).toBeLessThan(11);
    expect(download).toBeGreaterThan(9);
    expect(download).toBeLessThan(11);
  });

  it('holds a connection the pod opens, SNATed to its EIP, only when the limit names the pod', async () => {
    await bandwidth.apply([{ address: EIP, mbit: 10 }]);
    expect(await iperf(pod, CLIENT_IP, 2)).toBeGreaterThan(50);

    await bandwidth.apply([{ address: EIP, mbit: 10, podIp: POD_IP }]);
    const upload = await iperf(pod, CLIENT_IP, 5);
    const download = await iperf(pod, CLIENT_IP, 5, true);
    expect(upload).toBeGreaterThan(9);
    expect(upload).toBeLessThan(11);
    expect(download).toBeGreaterThan(9);
    expect(download).toBeLessThan(11);
  });

  it(
    'converges from a tampered state, keeps class ids, and removes all it made',
    async () => {
      const other = '198.18.253.11';
      await bandwidth.apply([
        { address: other, mbit: 20 },
        { address: EIP, mbit: 10 },
      ]);
      const ids = await classIds();
      expect(ids).toEqual(
        new Map([
          [EIP, 1],
          [other, 2],
        ]),
      );
      const expected = [
        { minor: 1, rateKbit: 10_000, ceilKbit: 10_000 },
        { minor: 2, rateKbit: 20_000, ceilKbit: 20_000 },
      ];
      expect(await classesOn('host0')).toEqual(expected);
      expect(await classesOn('inet0')).toEqual(expected);

      // Someone deletes one class, changes another and adds a stray one.
      await inNetns(edge, 'tc', 'class', 'del', 'dev', 'host0', 'classid', '1:1');
      await inNetns(edge, 'tc', 'class', 'change', 'dev', 'inet0', 'classid', '1:2', 'htb', 'rate', '5mbit');
      await inNetns(
        edge,
        'tc',
        'class',
        'add',
        'dev',
        'inet0',
        'parent',
        '1:',
        'classid',
        '1:99',
        'htb',
        'rate',
        '1mbit',
      );
      await bandwidth.apply([
        { address: EIP, mbit: 10 },
        { address: other, mbit: 20 },
      ]);
      expect(await classesOn('host0')).toEqual(expected);
      expect(await classesOn('inet0')).toEqual(expected);

      // The EIP's limit goes, the other keeps its class id and gets a new rate.
      await bandwidth.apply([{ address: other, mbit: 30 }]);
      expect(await classIds()).toEqual(new Map([[other, 2]]));
      expect(await classesOn('host0')).toEqual([{ minor: 2, rateKbit: 30_000, ceilKbit: 30_000 }]);
      expect(await classesOn('inet0')).toEqual([{ minor: 2, rateKbit: 30_000, ceilKbit: 30_000 }]);

      await bandwidth.remove();
      await bandwidth.remove();
      expect((await inNetns(edge, 'nft', 'list', 'tables')).stdout).not.toContain(EDGE_BANDWIDTH_TABLE);
      expect(await rootQdisc('host0')).toMatch(/^qdisc noqueue /);
      expect(await rootQdisc('inet0')).toMatch(/^qdisc noqueue /);
      expect(await iperf(client, EIP, 2)).toBeGreaterThan(50);
    },
    CLASSES_TIMEOUT_MS,
  );
});
