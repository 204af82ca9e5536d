import { apiRequest, eventually, startTestCluster, TestCluster } from '@skiff/testing';
import type { Service } from '@skiff/kube-types';

// Service ClusterIPs: the API server asks network-svc's allocator on create and gives the address back on delete.
describe('network-svc: Service ClusterIPs', () => {
  let cluster: TestCluster;
  const services = '/api/v1/namespaces/default/services';

  const create = (name: string, spec: Record<string, unknown>, query = '') =>
    apiRequest(cluster.stack, 'POST', `${services}${query}`, { metadata: { name }, spec });
  const clusterIpOf = async (name: string, spec: Record<string, unknown> = { ports: [{ port: 80 }] }) => {
    const res = await create(name, spec);
    expect(res.status).toBe(201);
    return (res.body as Service).spec!.clusterIP!;
  };

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc']);
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('gives `kubectl create service` an address from 10.96.0.0/16 with the single-stack fields', async () => {
    const out = await cluster.kubectl(['create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
    expect(out.stderr).toBe('');
    const svc = JSON.parse((await cluster.kubectl(['get', 'service', 'web', '-o', 'json'])).stdout) as Service;
    expect(svc.spec!.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(svc.spec).toMatchObject({
      clusterIPs: [svc.spec!.clusterIP],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
    });
    const table = await cluster.kubectl(['get', 'service', 'web', '--no-headers']);
    expect(table.stdout).toMatch(new RegExp(`^web\\s+ClusterIP\\s+${svc.spec!.clusterIP!.replace(/\./g, '\\.')}\\s+`));
  });

  it('never hands out one address twice, also to concurrent creates', async () => {
    const ips = await Promise.all(Array.from({ length: 20 }, (_, i) => clusterIpOf(`many-${i}`)));
    expect(new Set(ips).size).toBe(20);
    for (const ip of ips) expect(Number(ip.split('.')[2]) * 256 + Number(ip.split('.')[3])).toBeGreaterThanOrEqual(256);
  });

  it('honours an address asked for and refuses a taken or foreign one in upstream words', async () => {
    expect(await clusterIpOf('chosen', { clusterIP: '10.96.0.50', ports: [{ port: 80 }] })).toBe('10.96.0.50');
    const taken = await cluster.kubectl([
      'create',
      'service',
      'clusterip',
      'again',
      '--tcp=80',
      '--clusterip=10.96.0.50',
    ]);
    expect(taken.stderr.trim()).toBe(
      'error: failed to create ClusterIP service: Service "again" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.50"}: failed to allocate IP 10.96.0.50: provided IP is already allocated',
    );
    const foreign = await create('foreign', { clusterIP: '10.0.0.9', ports: [{ port: 80 }] });
    expect(foreign.status).toBe(422);
    expect((foreign.body as { message: string }).message).toBe(
      'Service "foreign" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.9"}: failed to allocate IP 10.0.0.9: the provided IP (10.0.0.9) is not in the valid range. The range of valid IPs is 10.96.0.0/16',
    );
    // Nothing of the refused Services was stored.
    expect((await apiRequest(cluster.stack, 'GET', `${services}/foreign`)).status).toBe(404);
  });

  it('gives the address back on delete, so another Service can take it', async () => {
    expect((await apiRequest(cluster.stack, 'DELETE', `${services}/chosen`)).status).toBe(200);
    expect(await clusterIpOf('successor', { clusterIP: '10.96.0.50', ports: [{ port: 80 }] })).toBe('10.96.0.50');
  });

  it('holds nothing for a dry run, headless or ExternalName Service', async () => {
    const dry = await create('dry', { clusterIP: '10.96.0.60', ports: [{ port: 80 }] }, '?dryRun=All');
    expect(dry.status).toBe(201);
    expect((dry.body as Service).spec!.clusterIP).toBe('10.96.0.60');
    expect(await clusterIpOf('real', { clusterIP: '10.96.0.60', ports: [{ port: 80 }] })).toBe('10.96.0.60');
    expect(await clusterIpOf('headless', { clusterIP: 'None', selector: { app: 'db' } })).toBe('None');
    const ext = await create('ext', { type: 'ExternalName', externalName: 'db.example.test' });
    expect(ext.status).toBe(201);
    expect((ext.body as Service).spec!.clusterIP).toBeUndefined();
  });

  it('keeps the address when a replace leaves it out, and refuses changing it', async () => {
    const svc = JSON.parse((await cluster.kubectl(['get', 'service', 'web', '-o', 'json'])).stdout) as Service;
    const ip = svc.spec!.clusterIP;
    const { clusterIP: _ip, clusterIPs: _ips, ...spec } = svc.spec!;
    const replaced = await apiRequest(cluster.stack, 'PUT', `${services}/web`, { ...svc, spec });
    expect(replaced.status).toBe(200);
    expect((replaced.body as Service).spec!.clusterIP).toBe(ip);
    const moved = await apiRequest(cluster.stack, 'PUT', `${services}/web`, {
      ...(replaced.body as Service),
      spec: { ...(replaced.body as Service).spec, clusterIP: '10.96.0.77', clusterIPs: ['10.96.0.77'] },
    });
    expect(moved.status).toBe(422);
    expect((moved.body as { message: string }).message).toBe(
      'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.77"}: may not change once set',
    );
    // Changing clusterIP alone moves clusterIPs with it, and is refused the same way.
    const alone = await cluster.kubectl(['patch', 'service', 'web', '-p', '{"spec":{"clusterIP":"10.96.0.78"}}']);
    expect(alone.stderr.trim()).toBe(
      'The Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.78"}: may not change once set',
    );
  });

  it('keeps default/kubernetes at the first address with the API server replicas as its endpoints', async () => {
    const port = new URL(cluster.stack.server).port;
    const table = await eventually(async () => {
      const out = await cluster.kubectl(['get', 'service', 'kubernetes', '--no-headers']);
      return out.code === 0 ? out.stdout : undefined;
    });
    expect(table).toMatch(/^kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s+/);
    const eps = await eventually(async () => {
      const out = await cluster.kubectl([
        'get',
        'endpoints',
        'kubernetes',
        '-o',
        'jsonpath={.subsets[0].addresses[*].ip}:{.subsets[0].ports[0].port}',
      ]);
      return out.code === 0 && out.stdout !== ':' ? out.stdout : undefined;
    });
    expect(eps).toBe(`10.244.0.1:${port}`);
    // Deleted, it comes back with the same address.
    expect((await cluster.kubectl(['delete', 'service', 'kubernetes'])).code).toBe(0);
    const back = await eventually(
      async () => {
        const out = await cluster.kubectl(['get', 'service', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}']);
        return out.code === 0 ? out.stdout : undefined;
      },
      30_000,
      'default/kubernetes back',
    );
    expect(back).toBe('10.96.0.1');
  });

  it('keeps kube-system/kube-dns at 10.96.0.10 with the DNS replicas as its endpoints', async () => {
    const table = await eventually(async () => {
      const out = await cluster.kubectl(['get', 'service', 'kube-dns', '-n', 'kube-system', '--no-headers']);
      return out.code === 0 ? out.stdout : undefined;
    });
    expect(table).toMatch(/^kube-dns\s+ClusterIP\s+10\.96\.0\.10\s+<none>\s+53\/UDP,53\/TCP\s+/);
    const eps = await eventually(async () => {
      const out = await cluster.kubectl(['get', 'endpoints', 'kube-dns', '-n', 'kube-system', '--no-headers']);
      return out.code === 0 && !out.stdout.includes('<none>') ? out.stdout : undefined;
    });
    expect(eps).toMatch(/^kube-dns\s+10\.244\.0\.1:\d+,10\.244\.0\.1:\d+\s+/);
  });

  it('drops and gives back the address when a patch turns a Service ExternalName', async () => {
    const ip = await clusterIpOf('turning', { clusterIP: '10.96.0.90', ports: [{ port: 80 }] });
    const patched = await cluster.kubectl([
      'patch',
      'service',
      'turning',
      '-p',
      '{"spec":{"type":"ExternalName","externalName":"db.example.test"}}',
    ]);
    expect(patched.stdout.trim()).toBe('service/turning patched');
    const svc = JSON.parse((await cluster.kubectl(['get', 'service', 'turning', '-o', 'json'])).stdout) as Service;
    expect(svc.spec).not.toHaveProperty('clusterIP');
    expect(svc.spec).not.toHaveProperty('clusterIPs');
    expect(await clusterIpOf('taker', { clusterIP: ip, ports: [{ port: 80 }] })).toBe(ip);
    // And back: turned ClusterIP again, it gets an address of its own.
    const back = await cluster.kubectl([
      'patch',
      'service',
      'turning',
      '-p',
      '{"spec":{"type":"ClusterIP","externalName":null,"ports":[{"port":80}]}}',
    ]);
    expect(back.stdout.trim()).toBe('service/turning patched');
    const again = JSON.parse((await cluster.kubectl(['get', 'service', 'turning', '-o', 'json'])).stdout) as Service;
    expect(again.spec!.clusterIP).toMatch(/^10\.96\./);
    expect(again.spec!.clusterIP).not.toBe(ip);
    expect(again.spec!.clusterIPs).toEqual([again.spec!.clusterIP]);
  });
});
