import { ContainerRuntime } from '../../runtime/container-runtime';
import { Container } from '@skiff/kube-types';
import { ContainerRecord } from '../pod-state.store';
import { HandlerResult } from './handler-runner';
import { ContainerProber } from './prober';

describe(ContainerProber.name, () => {
  const target = (c: Container) => ({
    runtime: {} as ContainerRuntime,
    runtimeId: 'skiff-u_c',
    container: c,
    podIP: '10.0.0.2',
  });
  const rec = (): ContainerRecord => ({
    name: 'c',
    init: false,
    restartCount: 0,
    image: 'busybox',
    runtimeId: 'skiff-u_c',
    startedAtMs: 0,
    started: false,
    ready: false,
  });

  it('startup gates liveness/readiness; readiness flips ready; liveness gives up after failureThreshold', async () => {
    let healthy = false;
    const results: Record<string, () => HandlerResult> = {
      '/startup': () => ({ ok: healthy, message: 'no' }),
      '/ready': () => ({ ok: true, message: '' }),
      '/live': () => ({ ok: false, message: 'HTTP probe failed with statuscode: 500' }),
    };
    const prober = new ContainerProber(async (p) => results[p.httpGet!.path!]());
    const c: Container = {
      name: 'c',
      image: 'busybox',
      startupProbe: { httpGet: { path: '/startup', port: 80 }, periodSeconds: 1, failureThreshold: 10 },
      readinessProbe: { httpGet: { path: '/ready', port: 80 }, periodSeconds: 1 },
      livenessProbe: {
        httpGet: { path: '/live', port: 80 },
        initialDelaySeconds: 5,
        periodSeconds: 2,
        failureThreshold: 2,
      },
    };
    const r = rec();
    expect(await prober.probe(c, r, target(c), 0)).toEqual({ unhealthy: ['Startup probe failed: no'] });
    expect(r).toMatchObject({ started: false, ready: false });
    healthy = true;
    await prober.probe(c, r, target(c), 1_000);
    expect(r).toMatchObject({ started: true, ready: true });
    // Liveness waits out its initial delay (5 s after start), then fails twice, 2 s apart.
    expect((await prober.probe(c, r, target(c), 4_000)).kill).toBeUndefined();
    expect((await prober.probe(c, r, target(c), 5_000)).unhealthy).toEqual([
      'Liveness probe failed: HTTP probe failed with statuscode: 500',
    ]);
    expect((await prober.probe(c, r, target(c), 6_000)).kill).toBeUndefined();
    expect((await prober.probe(c, r, target(c), 7_000)).kill).toBe(
      'Container c failed liveness probe, will be restarted',
    );
  });

  it('a startup probe that never passes asks for a restart', async () => {
    const prober = new ContainerProber(async () => ({
      ok: false,
      message: 'dial tcp 10.0.0.2:80: connect: connection refused',
    }));
    const c: Container = {
      name: 'c',
      image: 'busybox',
      startupProbe: { tcpSocket: { port: 80 }, periodSeconds: 1, failureThreshold: 2 },
    };
    const r = rec();
    await prober.probe(c, r, target(c), 0);
    expect((await prober.probe(c, r, target(c), 1_000)).kill).toBe(
      'Container c failed startup probe, will be restarted',
    );
  });
});
