import type { Pod, Service } from '@skiff/kube-types';
import { desiredSubsets } from './endpoints-object';
import { slicesFromPods } from './endpoint-slices';
import { findPort, podEndpoints } from './service-endpoints';

function svc(spec: Service['spec'], name = 'web'): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns', uid: 'svc-uid' }, spec };
}

function pod(
  name: string,
  ip: string | undefined,
  opts: { ready?: boolean; ports?: Record<string, number>; deleting?: boolean; phase?: string } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      uid: `${name}-uid`,
      labels: { app: 'web' },
      ...(opts.deleting ? { deletionTimestamp: '2026-12-03T10:00:00Z' } : {}),
    },
    spec: {
      containers: [
        {
          name: 'c',
          ports: Object.entries(opts.ports ?? {}).map(([n, containerPort]) => ({ name: n, containerPort })),
        },
      ],
    },
    status: {
      phase: (opts.phase ?? 'Running') as 'Running',
      ...(ip ? { podIP: ip } : {}),
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

const selector = { app: 'web' };

describe('service endpoints', () => {
  it('resolves named target ports per pod, by protocol, and numbers as given', () => {
    const p = pod('a', '10.0.0.1', { ports: { http: 8080 } });
    expect(findPort(p, { port: 80, targetPort: 'http' })).toBe(8080);
    expect(findPort(p, { port: 80, targetPort: 'http', protocol: 'UDP' })).toBeUndefined();
    expect(findPort(p, { port: 80, targetPort: 9090 })).toBe(9090);
    expect(findPort(p, { port: 80 })).toBe(80);
  });

  it('leaves out pods without an address and finished pods; counts terminating pods as not ready', () => {
    const s = svc({ selector, ports: [{ port: 80 }] });
    const eps = podEndpoints(s, [
      pod('a', '10.0.0.1'),
      pod('b', undefined),
      pod('c', '10.0.0.3', { phase: 'Succeeded' }),
      pod('d', '10.0.0.4', { deleting: true }),
    ]);
    expect(eps.map((e) => [e.pod.metadata.name, e.ready, e.serving, e.terminating])).toEqual([
      ['a', true, true, false],
      ['d', false, true, true],
    ]);
    // Endpoints leave the terminating pod out; slices keep it, with its conditions.
    expect(desiredSubsets(s, eps)).toEqual([
      { addresses: [expect.objectContaining({ ip: '10.0.0.1' })], ports: [{ port: 80, protocol: 'TCP' }] },
    ]);
    expect(slicesFromPods(s, eps)[0].slice.endpoints).toHaveLength(2);
  });

  it('publishes not-ready pods as ready when the Service asks for it', () => {
    const s = svc({ selector, publishNotReadyAddresses: true, ports: [{ port: 80 }] });
    const eps = podEndpoints(s, [pod('a', '10.0.0.1', { ready: false })]);
    expect(eps[0]).toMatchObject({ ready: true, serving: true });
  });

  it('groups pods by the ports they resolve to, one subset and one slice per port set', () => {
    const s = svc({ selector, ports: [{ port: 80, targetPort: 'http' }] });
    const eps = podEndpoints(s, [
      pod('a', '10.0.0.1', { ports: { http: 8080 } }),
      pod('b', '10.0.0.2', { ports: { http: 9090 } }),
      pod('c', '10.0.0.3', {}),
    ]);
    expect(desiredSubsets(s, eps).map((x) => [x.addresses?.map((a) => a.ip), x.ports])).toEqual([
      [['10.0.0.1'], [{ port: 8080, protocol: 'TCP' }]],
      [['10.0.0.2'], [{ port: 9090, protocol: 'TCP' }]],
    ]);
    expect(slicesFromPods(s, eps).map((d) => d.slice.ports?.[0]?.port)).toEqual([8080, 9090]);
  });

  it('keeps one empty slice for a Service without endpoints', () => {
    const slices = slicesFromPods(svc({ selector, ports: [{ port: 80 }] }), []);
    expect(slices.map((d) => [d.slice.endpoints, d.slice.ports])).toEqual([[[], []]]);
  });
});
