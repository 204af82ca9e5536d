import {
  ConfigObjectSource,
  ContainerConfigError,
  DownwardContext,
  expandCommand,
  expandVars,
  resolveEnv,
} from './env-resolver';
import { ConfigMap, Container, Pod, Secret } from '@skiff/kube-types';

class FakeSource implements ConfigObjectSource {
  constructor(
    private readonly cms: Record<string, Record<string, string>> = {},
    private readonly secrets: Record<string, Record<string, string>> = {},
  ) {}
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
});
