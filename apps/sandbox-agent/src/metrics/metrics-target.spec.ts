import { Pod } from '@skiff/kube-types';
import { ContainerRecord, PodRecord } from '../pods/pod-state.store';
import { metricsPodsOf } from './metrics-target';

const container = (c: Partial<ContainerRecord> & { name: string }): ContainerRecord => ({
  init: false,
  restartCount: 0,
  image: 'busybox',
  ...c,
});

function recordOf(uid: string, over: Partial<PodRecord> = {}): PodRecord {
  return {
    uid,
    namespace: 'ns',
    name: `p-${uid}`,
    runtime: 'runc',
    startTime: '2026-01-01T00:00:00Z',
    sandbox: {
      podId: uid,
      podName: `p-${uid}`,
      netnsPath: `/run/netns/skiff-${uid}`,
      shmPath: '/shm',
      etcHosts: '/hosts',
      etcHostname: '/hostname',
      resolvConf: '/resolv.conf',
    },
    containers: {},
    pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${uid}` }, spec: { containers: [] } } as Pod,
    ...over,
  };
}

describe(metricsPodsOf.name, () => {
  it('names the pod cgroup and each running container (init and ephemeral too) with its start time', () => {
    const started = Date.parse('2026-01-01T00:00:02Z');
    const pods = metricsPodsOf([
      recordOf('u1', {
        containers: {
          setup: container({ name: 'setup', init: true, terminated: { exitCode: 0, reason: 'Completed' } }),
          web: container({ name: 'web', runtimeId: 'skiff-u1_web', startedAtMs: started }),
          debug: container({ name: 'debug', ephemeral: true, runtimeId: 'skiff-u1_debug', startedAtMs: started + 1 }),
          waiting: container({ name: 'waiting', waiting: { reason: 'ImagePullBackOff' } }),
        },
      }),
    ]);
    expect(pods).toEqual([
      {
        uid: 'u1',
        namespace: 'ns',
        name: 'p-u1',
        startTime: '2026-01-01T00:00:00Z',
        cgroup: 'skiff/u1',
        containers: [
          { name: 'web', startTime: '2026-01-01T00:00:02.000Z', cgroup: 'skiff/u1/web' },
          { name: 'debug', startTime: '2026-01-01T00:00:02.001Z', cgroup: 'skiff/u1/debug' },
        ],
      },
    ]);
  });

  it('leaves out pods without a sandbox', () => {
    expect(metricsPodsOf([recordOf('u2', { sandbox: undefined })])).toEqual([]);
  });
});
