import {
  ConfigObjectSource,
  ContainerConfigError,
  DownwardContext,
  expandCommand,
  expandVars,
  resolveEnv,
} from './env-resolver';
import { ConfigMap, Container, Pod, Secret, Service } from '@skiff/kube-types';

class FakeSource implements ConfigObjectSource {
  constructor(
    private readonly cms: Record<string, Record<string, string>> = {},
    private readonly secrets: Record<string, Record<string, string>> = {},
    private readonly svcs: Record<string, Service[]> = {},
  ) {}
  async services(ns: string): Promise<Service[]> {
    return this.svcs[ns] ?? [];
  }
  async claim(): Promise<undefined> {
    return undefined;
  }
  async volume(): Promise<undefined> {
    return undefined;
  }
  async claimResized(): Promise<void> {}
  async serviceAccountToken(): Promise<string> {
    throw new Error('no tokens here');
  }
  async configMap(_ns: string, name: string): Promise<ConfigMap | undefined> {
    return this.cms[name] ? { metadata: { name }, data: this.cms[name] } : undefined;
  }
  async secret(_ns: string, name: string): Promise<Secret | undefined> {
    const d = this.secrets[name];
    return d
      ? {
          metadata: { name },
          data: Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        }
      : undefined;
  }
}

const ctx: DownwardContext = {
  podIP: '10.244.0.9',
  hostIP: '10.244.0.1',
  allocatable: { cpuMilli: 4000, memoryBytes: 8 * 2 ** 30 },
};
const pod = (c: Container): Pod => ({
  metadata: {
    name: 'web-0',
    namespace: 'shop',
    uid: 'u-1',
    labels: { app: 'web', tier: 'front' },
    annotations: { note: 'x' },
  },
  spec: { nodeName: 'virtual-kubelet-zone-a', serviceAccountName: 'default', containers: [c] },
});

describe('expandVars', () => {
  const lookup = (n: string) => ({ A: 'alpha', EMPTY: '' })[n];
  it('expands defined names, leaves undefined ones and honours $$ escapes', () => {
    expect(expandVars('$(A)-$(B)-$(EMPTY)|', lookup)).toBe('alpha-$(B)-|');
    expect(expandVars('$$(A) costs $$5 and $x', lookup)).toBe('$(A) costs $5 and $x');
    expect(expandVars('open $(A', lookup)).toBe('open $(A');
    expect(expandVars('trailing $', lookup)).toBe('trailing $');
  });
});

describe(resolveEnv.name, () => {
  it('resolves value, configMap/secret keys, field and resource refs, envFrom with prefix, in kubelet order', async () => {
    const c: Container = {
      name: 'app',
      image: 'busybox',
      resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } },
      envFrom: [{ configMapRef: { name: 'base' }, prefix: 'CFG_' }, { secretRef: { name: 'creds' } }],
      env: [
        { name: 'GREETING', value: 'hi $(CFG_mode) $(USER)' },
        { name: 'K', valueFrom: { configMapKeyRef: { name: 'base', key: 'mode' } } },
        { name: 'S', valueFrom: { secretKeyRef: { name: 'creds', key: 'USER' } } },
        { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'missing', key: 'x', optional: true } } },
      ],
      command: ['echo', '$(GREETING)', '$(NOPE)'],
    };
    const env = await resolveEnv(
      pod(c),
      c,
      new FakeSource({ base: { mode: 'fast' } }, { creds: { USER: 'bob' } }),
      ctx,
    );
    expect(Object.fromEntries(env.map((e) => [e.name, e.value]))).toEqual({
      CFG_mode: 'fast',
      USER: 'bob',
      GREETING: 'hi fast bob',
      K: 'fast',
      S: 'bob',
      NAME: 'web-0',
      NS: 'shop',
      APP: 'web',
      IP: '10.244.0.9',
      HOST: '10.244.0.1',
      NODE: 'virtual-kubelet-zone-a',
      SA: 'default',
      MEM_MI: '64',
      CPU_M: '250',
      CPU_LIMIT: '4',
    });
    expect(expandCommand(c, env)).toEqual({ command: ['echo', 'hi fast bob', '$(NOPE)'], args: undefined });
  });

  it('a missing ConfigMap, Secret or key is a CreateContainerConfigError unless optional', async () => {
    const env = (e: Container['env'], envFrom?: Container['envFrom']) => {
      const c: Container = { name: 'app', image: 'busybox', env: e, envFrom };
      return resolveEnv(pod(c), c, new FakeSource({ base: { a: '1' } }), ctx);
    };
    await expect(env([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'a' } } }])).rejects.toThrow(
      new ContainerConfigError('configmap "nope" not found'),
    );
    await expect(env([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'base', key: 'b' } } }])).rejects.toThrow(
      "couldn't find key b in ConfigMap shop/base",
    );
    await expect(env([{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'a' } } }])).rejects.toThrow(
      'secret "s" not found',
    );
    await expect(env([], [{ secretRef: { name: 's' } }])).rejects.toThrow('secret "s" not found');
    await expect(env([], [{ secretRef: { name: 's', optional: true } }])).resolves.toEqual([]);
  });

  describe('Service variables', () => {
    const svc = (namespace: string, name: string, clusterIP: string, ports: Service['spec'] = {}): Service => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { clusterIP, ...ports },
    });
    const source = new FakeSource(
      {},
      {},
      {
        shop: [
          svc('shop', 'web-api', '10.96.1.5', {
            ports: [
              { port: 80, protocol: 'TCP' },
              { name: 'admin-ui', port: 9000, protocol: 'UDP' },
            ],
          }),
          svc('shop', 'headless', 'None', { ports: [{ port: 5432 }] }),
        ],
        default: [
          svc('default', 'kubernetes', '10.96.0.1', { ports: [{ name: 'https', port: 443, protocol: 'TCP' }] }),
        ],
      },
    );
    const podIn = (enableServiceLinks?: boolean): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'shop' },
      spec: { containers: [], ...(enableServiceLinks === undefined ? {} : { enableServiceLinks }) },
    });
    const container: Container = {
      name: 'c',
      env: [
        { name: 'URL', value: 'http://$(WEB_API_SERVICE_HOST):80' },
        { name: 'WEB_API_SERVICE_PORT', value: 'mine' },
      ],
    };

    it('gives the namespace Services and default/kubernetes as kubelet does, after and under the declared env', async () => {
      const env = Object.fromEntries((await resolveEnv(podIn(), container, source, ctx)).map((e) => [e.name, e.value]));
      expect(env).toMatchObject({
        URL: 'http://10.96.1.5:80',
        WEB_API_SERVICE_PORT: 'mine',
        WEB_API_SERVICE_HOST: '10.96.1.5',
        WEB_API_SERVICE_PORT_ADMIN_UI: '9000',
        WEB_API_PORT: 'tcp://10.96.1.5:80',
        WEB_API_PORT_80_TCP: 'tcp://10.96.1.5:80',
        WEB_API_PORT_80_TCP_PROTO: 'tcp',
        WEB_API_PORT_80_TCP_PORT: '80',
        WEB_API_PORT_80_TCP_ADDR: '10.96.1.5',
        WEB_API_PORT_9000_UDP: 'udp://10.96.1.5:9000',
        KUBERNETES_SERVICE_HOST: '10.96.0.1',
        KUBERNETES_SERVICE_PORT: '443',
        KUBERNETES_SERVICE_PORT_HTTPS: '443',
      });
      expect(Object.keys(env).some((k) => k.startsWith('HEADLESS_'))).toBe(false);
      expect(Object.keys(env)[0]).toBe('URL');
    });

    it('leaves the namespace Services out with enableServiceLinks: false, but not the master service', async () => {
      const names = (await resolveEnv(podIn(false), { name: 'c' }, source, ctx)).map((e) => e.name);
      expect(names.some((n) => n.startsWith('WEB_API_'))).toBe(false);
      expect(names).toContain('KUBERNETES_SERVICE_HOST');
    });
  });
});
