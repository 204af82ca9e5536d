import { buildPodStatus, containerStatusOf, terminatedFrom } from './container-status.builder';
import { Pod } from '@skiff/kube-types';
import { ContainerRecord, PodRecord } from './pod-state.store';
import { sameStatus } from './status-diff';

const rec = (over: Partial<ContainerRecord> = {}): ContainerRecord => ({
  name: 'app',
  init: false,
  restartCount: 0,
  image: 'busybox',
  imageID: 'docker.io/library/busybox@sha256:abc',
  ...over,
});

describe('container status', () => {
  it('terminated reasons: OOMKilled wins, then Completed for 0, Error otherwise', () => {
    const at = new Date('2026-01-01T00:00:05.123Z');
    expect(
      terminatedFrom({ status: 'exited', exitCode: 137, oomKilled: true, finishedAt: at }, 'skiff-x_app'),
    ).toMatchObject({
      reason: 'OOMKilled',
      exitCode: 137,
      finishedAt: '2026-01-01T00:00:05Z',
      containerID: 'skiff://skiff-x_app',
    });
    expect(terminatedFrom({ status: 'exited', exitCode: 0, oomKilled: false, finishedAt: at }, 'i').reason).toBe(
      'Completed',
    );
    expect(terminatedFrom({ status: 'exited', exitCode: 3, oomKilled: false, finishedAt: at }, 'i').reason).toBe(
      'Error',
    );
  });

  it('running instance with lastState, restartCount, readiness and containerID', () => {
    const s = containerStatusOf(
      rec({
        runtimeId: 'skiff-u_app',
        restartCount: 2,
        startedAtMs: Date.parse('2026-01-01T00:01:00Z'),
        ready: true,
        started: true,
        lastTerminated: { exitCode: 1, reason: 'Error' },
      }),
      { status: 'running', oomKilled: false },
      'ContainerCreating',
    );
    expect(s).toEqual({
      name: 'app',
      image: 'busybox',
      imageID: 'docker.io/library/busybox@sha256:abc',
      restartCount: 2,
      containerID: 'skiff://skiff-u_app',
      state: { running: { startedAt: '2026-01-01T00:01:00Z' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
      ready: true,
      started: true,
    });
  });

  it('a container waiting on its image or back-off shows the reason and message', () => {
    const s = containerStatusOf(
      rec({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } }),
      undefined,
      'ContainerCreating',
    );
    expect(s.state).toEqual({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } });
    expect(s.ready).toBe(false);
  });
});

describe(buildPodStatus.name, () => {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'u' },
    spec: {
      restartPolicy: 'Always',
      initContainers: [{ name: 'init', image: 'busybox' }],
      containers: [{ name: 'app', image: 'busybox' }],
    },
    status: { phase: 'Pending' },
  };
  const record: PodRecord = {
    uid: 'u',
    namespace: 'ns',
    name: 'p',
    runtime: 'runc',
    ip: { podUid: 'u', ip: '10.244.0.7', prefixLength: 16, gateway: '10.244.0.1', cidr: '10.244.0.0/16' },
    startTime: '2026-01-01T00:00:00Z',
    containers: {
      init: rec({ name: 'init', init: true, terminated: { exitCode: 0, reason: 'Completed' } }),
      app: rec({ runtimeId: 'skiff-u_app', started: true, ready: true, startedAtMs: 0 }),
    },
    pod,
  };

  it('builds phase, IPs, init and app statuses, conditions and QoS from the records', () => {
    const s = buildPodStatus({
      pod,
      record,
      observed: new Map([['app', { status: 'running', oomKilled: false }]]),
      now: new Date('2026-01-01T00:00:03Z'),
    });
    expect(s).toMatchObject({
      phase: 'Running',
      podIP: '10.244.0.7',
      podIPs: [{ ip: '10.244.0.7' }],
      hostIP: '10.244.0.1',
      hostIPs: [{ ip: '10.244.0.1' }],
      startTime: '2026-01-01T00:00:00Z',
      qosClass: 'BestEffort',
      initContainerStatuses: [{ name: 'init', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }],
    });
    expect(s.conditions!.every((c) => c.status === 'True')).toBe(true);
    // Written once, the same observation is no change: no second write.
    expect(sameStatus(s, JSON.parse(JSON.stringify(s)))).toBe(true);
    expect(sameStatus(s, { ...s, phase: 'Pending' })).toBe(false);
  });

  it('app containers wait PodInitializing until the init containers are done', () => {
    const r = { ...record, containers: { init: rec({ name: 'init', init: true, runtimeId: 'skiff-u_init' }) } };
    const s = buildPodStatus({
      pod,
      record: r,
      observed: new Map([['init', { status: 'running', oomKilled: false }]]),
      now: new Date(),
    });
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses![0].state).toEqual({ waiting: { reason: 'PodInitializing' } });
  });

  it('reports ephemeral containers apart, never ready, without touching phase or conditions', () => {
    const debugged: Pod = {
      ...pod,
      spec: {
        ...pod.spec,
        ephemeralContainers: [
          { name: 'dbg', image: 'busybox', targetContainerName: 'app' },
          { name: 'done', image: 'busybox' },
        ],
      },
    };
    const r: PodRecord = {
      ...record,
      pod: debugged,
      containers: {
        ...record.containers,
        dbg: rec({
          name: 'dbg',
          ephemeral: true,
          runtimeId: 'skiff-u_dbg',
          startedAtMs: Date.parse('2026-01-01T00:00:02Z'),
          ready: true,
          started: true,
        }),
        done: rec({
          name: 'done',
          ephemeral: true,
          terminated: { exitCode: 3, reason: 'Error', containerID: 'skiff://skiff-u_done' },
        }),
      },
    };
    const observed = new Map([
      ['app', { status: 'running' as const, oomKilled: false }],
      ['dbg', { status: 'running' as const, oomKilled: false }],
    ]);
    const s = buildPodStatus({ pod: debugged, record: r, observed, now: new Date('2026-01-01T00:00:03Z') });
    expect(s.ephemeralContainerStatuses).toEqual([
      expect.objectContaining({
        name: 'dbg',
        ready: false,
        containerID: 'skiff://skiff-u_dbg',
        state: { running: { startedAt: '2026-01-01T00:00:02Z' } },
      }),
      expect.objectContaining({
        name: 'done',
        ready: false,
        state: { terminated: { exitCode: 3, reason: 'Error', containerID: 'skiff://skiff-u_done' } },
      }),
    ]);
    expect(s.ephemeralContainerStatuses![0]).not.toHaveProperty('started');
    expect(s.phase).toBe('Running');
    expect(s.containerStatuses).toHaveLength(1);
    expect(buildPodStatus({ pod, record, observed, now: new Date() })).not.toHaveProperty('ephemeralContainerStatuses');
    // Not yet started while the init containers still run: ContainerCreating, not PodInitializing.
    const initialising: PodRecord = {
      ...record,
      pod: debugged,
      containers: { init: rec({ name: 'init', init: true, runtimeId: 'skiff-u_init' }) },
    };
    const early = buildPodStatus({
      pod: debugged,
      record: initialising,
      observed: new Map([['init', { status: 'running', oomKilled: false }]]),
      now: new Date(),
    });
    expect(early.ephemeralContainerStatuses!.map((x) => x.state)).toEqual([
      { waiting: { reason: 'ContainerCreating' } },
      { waiting: { reason: 'ContainerCreating' } },
    ]);
  });
});
