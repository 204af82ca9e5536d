import { eventually, internetClient, InternetClient, runCommand, startTestCluster, TestCluster } from '@skiff/testing';

// Each backend serves its own hostname at /, and at /cgi-bin/peer the address the request came from.
const WEB = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: httpd
          image: busybox
          command:
            - sh
            - -c
            - |
              mkdir -p /www/cgi-bin; hostname > /www/index.html
              printf '#!/bin/sh\\nprintf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\n%%s\\\\n" "$REMOTE_ADDR"\\n' > /www/cgi-bin/peer
              chmod +x /www/cgi-bin/peer
              exec httpd -f -p 8080 -h /www
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`;

const lbService = (name: string, annotations: Record<string, string>, spec: Record<string, unknown> = {}) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, annotations },
    spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }], ...spec },
  });

describe('LoadBalancer Services: an SLB in the edge (kubectl, curl from the host and from the internet side)', () => {
  let cluster: TestCluster;
  let client: InternetClient;
  const ns = 'slb';
  const k = (...args: string[]) => cluster.kubectl([...args, '-n', ns]);
  const apply = (yaml: string) => cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: yaml });
  const ingressIP = async (svc: string) =>
    (await k('get', 'svc', svc, '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')).stdout;
  const curlHost = (url: string) => runCommand('curl', ['-sS', '--max-time', '5', url]);
  const curlInternet = (url: string) => client.run('curl', ['-sS', '--max-time', '5', url]);

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
    client = await internetClient(cluster.edge!);
    expect((await cluster.kubectl(['create', 'namespace', ns])).code).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await client?.remove();
    await cluster?.stop();
  }, 120_000);

  let address = '';
  const backends = new Set<string>();

  it('gives the Service an address from the SLB pool, shown by kubectl get svc', async () => {
    expect((await apply(WEB)).code).toBe(0);
    address = await eventually(async () => (await ingressIP('web')) || undefined, 60_000, 'an SLB address');
    expect(address.startsWith(cluster.edge!.slbPool.split('.').slice(0, 3).join('.') + '.')).toBe(true);
    const table = (await k('get', 'svc', 'web')).stdout;
    expect(table).toMatch(
      new RegExp(`web\\s+LoadBalancer\\s+10\\.96\\.\\S+\\s+${address.replace(/\./g, '\\.')}\\s+80/TCP`),
    );
    const labels = (await k('get', 'svc', 'web', '-o', 'jsonpath={.metadata.labels}')).stdout;
    expect(labels).toMatch(/"service\.k8s\.alibaba\/loadbalancer-id":"lb-[0-9a-f]{21}"/);
    expect((await k('rollout', 'status', 'deployment/web', '--timeout=120s')).code).toBe(0);
  }, 180_000);

  it('answers from the host and from the internet side, balanced over the three pods', async () => {
    const pods = (await k('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}')).stdout.split(
      ' ',
    );
    expect(pods).toHaveLength(3);
    await eventually(async () => (await curlHost(`http://${address}/`)).code === 0, 20_000, 'the SLB from the host');
    for (let i = 0; i < 30; i++) {
      const fromHost = await curlHost(`http://${address}/`);
      const fromInternet = await curlInternet(`http://${address}/`);
      expect(fromHost.code).toBe(0);
      expect(fromInternet.code).toBe(0);
      backends.add(fromHost.stdout.trim());
      backends.add(fromInternet.stdout.trim());
    }
    expect([...backends].sort()).toEqual([...pods].sort());
  }, 120_000);

  it('keeps the client source address: the pod sees the internet client, not the edge', async () => {
    const peer = await curlInternet(`http://${address}/cgi-bin/peer`);
    // busybox httpd writes the IPv4 peer as an IPv4-mapped IPv6 address.
    expect(peer.stdout.trim()).toBe(`[::ffff:${client.address}]`);
  }, 60_000);

  it('keeps serving while network-svc restarts, and the new one converges', async () => {
    let answered = 0;
    const failures: string[] = [];
    let done = false;
    const loop = (async () => {
      while (!done) {
        const r = await curlInternet(`http://${address}/`);
        if (r.code === 0) answered++;
        else failures.push(r.stderr.trim());
      }
    })();
    await cluster.stack.restart('network-svc');
    // The restarted network-svc leads again and hands out addresses: the edge is its again.
    expect((await apply(lbService('after-restart', {}))).code).toBe(0);
    await eventually(
      async () => (await ingressIP('after-restart')) || undefined,
      90_000,
      'an address after the restart',
    );
    done = true;
    await loop;
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(0);
    expect((await k('delete', 'svc', 'after-restart')).code).toBe(0);
  }, 180_000);

  it('names a bad annotation in a Warning event', async () => {
    const svc = lbService('typo', {
      'service.beta.kubernetes.io/alibaba-cloud-loadbalancer-scheduler': 'fastest',
      'service.beta.kubernetes.io/alicloud-loadbalancer-health-check-intervall': '5',
    });
    expect((await apply(svc)).code).toBe(0);
    const events = await eventually(
      async () => {
        const out = (
          await k('get', 'events', '--field-selector', 'involvedObject.name=typo', '-o', 'jsonpath={.items[*].message}')
        ).stdout;
        return out.includes('scheduler') && out.includes('intervall') ? out : undefined;
      },
      30_000,
      'Warning events',
    );
    expect(events).toContain('service.beta.kubernetes.io/alibaba-cloud-loadbalancer-scheduler');
    expect(events).toContain('service.beta.kubernetes.io/alicloud-loadbalancer-health-check-intervall');
    // It still gets its SLB, with the defaults.
    await eventually(async () => (await ingressIP('typo')) || undefined, 30_000, 'an address');
    expect((await k('delete', 'svc', 'typo')).code).toBe(0);
  }, 60_000);

  it('leaves one backend answering after scaling to 1', async () => {
    expect((await k('scale', 'deployment/web', '--replicas=1')).code).toBe(0);
    const only = await eventually(
      async () => {
        const pods = (
          await k('get', 'pods', '-l', 'app=web', '--field-selector=status.phase=Running', '-o', 'name')
        ).stdout
          .trim()
          .split('\n');
        return pods.length === 1 ? pods[0].replace('pod/', '') : undefined;
      },
      60_000,
      'one pod left',
    );
    await eventually(
      async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 10; i++) seen.add((await curlInternet(`http://${address}/`)).stdout.trim());
        return seen.size === 1 && seen.has(only);
      },
      30_000,
      'only the remaining pod answering',
    );
  }, 120_000);

  it('refuses an intranet SLB to the internet side and serves it to the host', async () => {
    const svc = lbService('inside', {
      'service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type': 'intranet',
    });
    expect((await apply(svc)).code).toBe(0);
    const inside = await eventually(async () => (await ingressIP('inside')) || undefined, 30_000, 'an address');
    await eventually(async () => (await curlHost(`http://${inside}/`)).code === 0, 20_000, 'the host reaching it');
    expect((await curlInternet(`http://${inside}/`)).code).not.toBe(0);
  }, 60_000);

  it('lets only loadBalancerSourceRanges in', async () => {
    const svc = lbService('ranged', {}, { loadBalancerSourceRanges: [`${client.address}/32`] });
    expect((await apply(svc)).code).toBe(0);
    const ranged = await eventually(async () => (await ingressIP('ranged')) || undefined, 30_000, 'an address');
    await eventually(async () => (await curlInternet(`http://${ranged}/`)).code === 0, 20_000, 'the client let in');
    expect((await curlHost(`http://${ranged}/`)).code).not.toBe(0);
  }, 60_000);

  it('honours spec.loadBalancerIP and refuses one outside the pool with a Warning event', async () => {
    const wanted = cluster.edge!.slbPool.replace(/\.0\/24$/, '.200');
    expect((await apply(lbService('fixed', {}, { loadBalancerIP: wanted }))).code).toBe(0);
    await eventually(async () => (await ingressIP('fixed')) === wanted, 30_000, 'the asked-for address');
    expect((await apply(lbService('outside', {}, { loadBalancerIP: '192.0.2.7' }))).code).toBe(0);
    const events = await eventually(
      async () => {
        const out = (await k('get', 'events', '--field-selector', 'involvedObject.name=outside')).stdout;
        return out.includes('SyncLoadBalancerFailed') ? out : undefined;
      },
      30_000,
      'a Warning event',
    );
    expect(events).toContain('192.0.2.7 is not an assignable address');
    expect(await ingressIP('outside')).toBe('');
  }, 60_000);

  it('frees the address when the Service is deleted or stops being a LoadBalancer', async () => {
    const patched = await k('patch', 'svc', 'fixed', '-p', '{"spec":{"type":"ClusterIP","loadBalancerIP":null}}');
    expect(patched.stderr).toBe('');
    await eventually(async () => (await ingressIP('fixed')) === '', 30_000, 'the status cleared');
    expect((await k('delete', 'svc', 'web')).code).toBe(0);
    await eventually(async () => (await curlHost(`http://${address}/`)).code !== 0, 20_000, 'the listener gone');
    // The freed address is handed out again.
    expect((await apply(lbService('again', {}, { loadBalancerIP: address }))).code).toBe(0);
    await eventually(async () => (await ingressIP('again')) === address, 30_000, 'the address reused');
  }, 60_000);
});
