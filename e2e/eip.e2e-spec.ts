import { eventually, internetClient, InternetClient, startTestCluster, TestCluster } from '@skiff/testing';
import { mkdtempSync, rmSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const web = (name: string, annotations: Record<string, string>) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'httpd',
          image: 'busybox',
          command: ['sh', '-c', 'mkdir -p /www; hostname > /www/index.html; exec httpd -f -p 8080 -h /www'],
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
        },
      ],
    },
  });

describe('EIP per pod: 1:1 NAT in the edge (kubectl, curl from an internet client netns)', () => {
  let cluster: TestCluster;
  let client: InternetClient;
  let serverPid = 0;
  let www = '';
  const ns = 'eip';
  const k = (...args: string[]) => cluster.kubectl([...args, '-n', ns]);
  const apply = (doc: string) => cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: doc });
  const annotation = async (pod: string, key: string) =>
    (await k('get', 'pod', pod, '-o', `jsonpath={.metadata.annotations.${key.replace(/[./]/g, (c) => `\\${c}`)}}`))
      .stdout;
  const curlInternet = (url: string) => client.run('curl', ['-sS', '--max-time', '5', url]);

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
    client = await internetClient(cluster.edge!);
    // A web server on "the internet" that says who connected.
    www = mkdtempSync(path.join(tmpdir(), 'skiff-eip-'));
    mkdirSync(path.join(www, 'cgi-bin'));
    writeFileSync(
      path.join(www, 'cgi-bin', 'peer'),
      '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%s\\n" "$REMOTE_ADDR"\n',
    );
    chmodSync(path.join(www, 'cgi-bin', 'peer'), 0o755);
    const started = await client.run('sh', ['-c', `busybox httpd -f -p 8081 -h ${www} >/dev/null 2>&1 & echo $!`]);
    serverPid = Number(started.stdout.trim());
    expect((await cluster.kubectl(['create', 'namespace', ns])).code).toBe(0);
  }, 180_000);

  afterAll(async () => {
    try {
      if (serverPid) process.kill(serverPid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    await client?.remove();
    await cluster?.stop();
    if (www) rmSync(www, { recursive: true, force: true });
  }, 120_000);

  let eip = '';
  let eipName = '';

  it('allocates an EIP for eci-with-eip and writes it back on the pod', async () => {
    expect((await apply(web('with-eip', { 'k8s.aliyun.com/eci-with-eip': 'true' }))).code).toBe(0);
    expect((await apply(web('neighbour', {}))).code).toBe(0);
    expect((await k('wait', '--for=condition=Ready', 'pod/with-eip', 'pod/neighbour', '--timeout=120s')).code).toBe(0);
    eip = await eventually(
      async () => (await annotation('with-eip', 'k8s.aliyun.com/allocated-eipAddress')) || undefined,
      30_000,
      'the EIP',
    );
    eipName = await annotation('with-eip', 'k8s.aliyun.com/allocated-eipInstanceId');
    expect(eip.startsWith(cluster.edge!.eipPool.split('.').slice(0, 3).join('.') + '.')).toBe(true);
    expect(eipName).toMatch(/^eip-[0-9a-f]{21}$/);
    const listed = (await cluster.kubectl(['get', 'eip', eipName])).stdout;
    expect(listed).toMatch(new RegExp(`${eipName}\\s+${eip.replace(/\./g, '\\.')}\\s+InUse\\s+eip/with-eip\\s+5\\s`));
  }, 180_000);

  it('answers on its EIP from the internet side; the neighbour without one is unreachable', async () => {
    const answer = await eventually(
      async () => {
        const r = await curlInternet(`http://${eip}:8080/`);
        return r.code === 0 ? r.stdout.trim() : undefined;
      },
      20_000,
      'the pod through its EIP',
    );
    expect(answer).toBe('with-eip');
    const neighbourIP = (await k('get', 'pod', 'neighbour', '-o', 'jsonpath={.status.podIP}')).stdout;
    expect((await curlInternet(`http://${neighbourIP}:8080/`)).code).not.toBe(0);
  }, 60_000);

  it("sends the pod's own connections to the internet side from its EIP; the neighbour gets nowhere", async () => {
    const wget = (pod: string) =>
      cluster.kubectl([
        'exec',
        '-n',
        ns,
        pod,
        '--',
        'sh',
        '-c',
        `timeout 5 wget -qO- http://${client.address}:8081/cgi-bin/peer`,
      ]);
    const seen = await wget('with-eip');
    expect(seen.stdout.trim()).toBe(`[::ffff:${eip}]`);
    expect((await wget('neighbour')).code).not.toBe(0);
  }, 60_000);

  it('binds an existing EIP by instance id and keeps it when the pod goes', async () => {
    const kept = JSON.stringify({
      apiVersion: 'network.skiff.io/v1alpha1',
      kind: 'ElasticIP',
      metadata: { name: 'eip-kept' },
      spec: { bandwidth: 20 },
    });
    expect((await cluster.kubectl(['apply', '-f', '-'], { stdin: kept })).code).toBe(0);
    const address = await eventually(
      async () => {
        const out = (
          await cluster.kubectl(['get', 'eip', 'eip-kept', '-o', 'jsonpath={.status.phase} {.status.address}'])
        ).stdout;
        return out.startsWith('Available ') ? out.split(' ')[1] : undefined;
      },
      30_000,
      'an Available EIP',
    );
    expect((await apply(web('bound', { 'k8s.aliyun.com/eci-eip-instanceid': 'eip-kept' }))).code).toBe(0);
    expect((await k('wait', '--for=condition=Ready', 'pod/bound', '--timeout=120s')).code).toBe(0);
    await eventually(
      async () => (await annotation('bound', 'k8s.aliyun.com/allocated-eipAddress')) === address,
      30_000,
      'bound',
    );
    await eventually(
      async () => (await curlInternet(`http://${address}:8080/`)).stdout.trim() === 'bound',
      20_000,
      'an answer',
    );
    expect((await k('delete', 'pod', 'bound', '--wait=true')).code).toBe(0);
    await eventually(
      async () => {
        const out = (
          await cluster.kubectl([
            'get',
            'eip',
            'eip-kept',
            '-o',
            'jsonpath={.status.phase} {.status.address} {.status.pod}',
          ])
        ).stdout;
        return out.trim() === `Available ${address}`;
      },
      30_000,
      'the EIP Available again with its address',
    );
    expect((await curlInternet(`http://${address}:8080/`)).code).not.toBe(0);
  }, 180_000);

  it('holds an EIP with eip-bandwidth: 10 to 10 Mbit/s both ways (iperf3)', async () => {
    const iperf = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'iperf',
        annotations: { 'k8s.aliyun.com/eci-with-eip': 'true', 'k8s.aliyun.com/eip-bandwidth': '10' },
      },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'iperf3',
            image: 'networkstatic/iperf3',
            readinessProbe: { tcpSocket: { port: 5201 }, periodSeconds: 1 },
          },
        ],
      },
    });
    expect((await apply(iperf)).code).toBe(0);
    expect((await k('wait', '--for=condition=Ready', 'pod/iperf', '--timeout=120s')).code).toBe(0);
    const address = await eventually(
      async () => (await annotation('iperf', 'k8s.aliyun.com/allocated-eipAddress')) || undefined,
      30_000,
      'the EIP',
    );
    const mbits = async (reverse: boolean) => {
      const r = await eventually(
        async () => {
          const run = await client.run('iperf3', ['-c', address, '-t', '5', '-J', ...(reverse ? ['-R'] : [])], 30_000);
          return run.code === 0 ? run.stdout : undefined;
        },
        60_000,
        'an iperf3 run',
      );
      return (
        (JSON.parse(r) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second / 1e6
      );
    };
    const up = await mbits(false);
    const down = await mbits(true);
    expect(Math.abs(up - 10)).toBeLessThanOrEqual(1);
    expect(Math.abs(down - 10)).toBeLessThanOrEqual(1);
    expect((await k('delete', 'pod', 'iperf', '--wait=true')).code).toBe(0);
  }, 180_000);

  it("deletes the pod's own EIP with the pod", async () => {
    expect((await k('delete', 'pod', 'with-eip', '--wait=true')).code).toBe(0);
    await eventually(async () => (await cluster.kubectl(['get', 'eip', eipName])).code !== 0, 30_000, 'the EIP gone');
    expect((await curlInternet(`http://${eip}:8080/`)).code).not.toBe(0);
  }, 60_000);
});
