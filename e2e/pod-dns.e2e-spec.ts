import { startTestCluster, TestCluster } from '@skiff/testing';

// What a pod finds in /etc/resolv.conf, /etc/hosts and its environment, in runc and gVisor sandboxes.
describe('pod DNS settings and Service variables in sandboxes', () => {
  let cluster: TestCluster;
  const k = (...args: string[]) => cluster.kubectl(args, { timeoutMs: 120_000 });
  const apply = (yaml: string) => cluster.kubectl(['apply', '-f', '-'], { stdin: yaml });

  const podYaml = (name: string, runtimeClass: string, extra = '') => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  runtimeClassName: ${runtimeClass}
  hostname: ${name}
  subdomain: web
  hostAliases:
    - ip: 127.0.0.1
      hostnames: [foo.local, bar.local]
  dnsConfig:
    searches: [corp.test]
    options:
      - name: ndots
        value: "2"
  containers:
    - name: c
      image: busybox
      command: [sh, -c, "trap 'exit 0' TERM; sleep 3600 & wait"]
      env:
        - name: WEB_URL
          value: http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT)
${extra}`;

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
    const svc = await k('create', 'service', 'clusterip', 'web', '--tcp=80:8080');
    expect(svc.stderr).toBe('');
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it.each([
    ['runc-pod', 'runc'],
    ['gvisor-pod', 'gvisor'],
  ])('%s: resolv.conf, hosts file and Service variables as kubelet writes them', async (name, runtimeClass) => {
    expect((await apply(podYaml(name, runtimeClass))).stderr).toBe('');
    expect((await k('wait', '--for=condition=Ready', `pod/${name}`, '--timeout=90s')).stdout.trim()).toBe(
      `pod/${name} condition met`,
    );
    const ip = (await k('get', 'pod', name, '-o', 'jsonpath={.status.podIP}')).stdout;
    const clusterIp = (await k('get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}')).stdout;
    expect(clusterIp).toMatch(/^10\.96\./);

    const resolv = (await k('exec', name, '--', 'cat', '/etc/resolv.conf')).stdout;
    expect(resolv).toMatch(/^nameserver 10\.96\.0\.10$/m);
    expect(resolv).toMatch(/^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local .*corp\.test$/m);
    expect(resolv).toMatch(/^options ndots:2$/m);

    const hosts = (await k('exec', name, '--', 'cat', '/etc/hosts')).stdout;
    expect(hosts).toContain(`${ip}\t${name}.web.default.svc.cluster.local\t${name}\n`);
    expect(hosts).toContain('# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n');

    const env = (await k('exec', name, '--', 'env')).stdout;
    expect(env).toContain(`WEB_SERVICE_HOST=${clusterIp}\n`);
    expect(env).toContain('WEB_SERVICE_PORT=80\n');
    expect(env).toContain(`WEB_PORT_80_TCP=tcp://${clusterIp}:80\n`);
    expect(env).toContain(`WEB_URL=http://${clusterIp}:80\n`);
  });

  it('gives a pod with enableServiceLinks: false no Service variables', async () => {
    const yaml = `
apiVersion: v1
kind: Pod
metadata:
  name: unlinked
spec:
  enableServiceLinks: false
  containers:
    - name: c
      image: busybox
      command: [sh, -c, "trap 'exit 0' TERM; sleep 3600 & wait"]
`;
    expect((await apply(yaml)).stderr).toBe('');
    await k('wait', '--for=condition=Ready', 'pod/unlinked', '--timeout=90s');
    expect((await k('exec', 'unlinked', '--', 'env')).stdout).not.toContain('WEB_SERVICE_HOST');
  });
});
