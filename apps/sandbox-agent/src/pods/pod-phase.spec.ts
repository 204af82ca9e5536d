import { ContainerStatus, PodSpec } from '@skiff/kube-types';
import { podConditions, podPhase, qosClass } from './pod-phase';

const running = (name: string, ready = true): ContainerStatus => ({
  name,
  state: { running: {} },
  lastState: {},
  ready,
  restartCount: 0,
  image: 'busybox',
  imageID: '',
});
const exited = (name: string, exitCode: number): ContainerStatus => ({
  name,
  state: { terminated: { exitCode } },
  lastState: {},
  ready: false,
  restartCount: 0,
  image: 'busybox',
  imageID: '',
});
const waiting = (name: string, reason: string, last?: number): ContainerStatus => ({
  name,
  state: { waiting: { reason } },
  lastState: last === undefined ? {} : { terminated: { exitCode: last } },
  ready: false,
  restartCount: last === undefined ? 0 : 1,
  image: 'busybox',
  imageID: '',
});
const spec = (
  containers: string[],
  restartPolicy: PodSpec['restartPolicy'] = 'Always',
  init: string[] = [],
): PodSpec => ({
  restartPolicy,
  containers: containers.map((name) => ({ name, image: 'busybox' })),
  initContainers: init.map((name) => ({ name, image: 'busybox' })),
});

describe('podPhase', () => {
  it('is Pending while init containers run or a container waits', () => {
    expect(podPhase(spec(['a'], 'Always', ['i']), [running('i')], [waiting('a', 'PodInitializing')])).toBe('Pending');
    expect(podPhase(spec(['a', 'b']), [], [running('a'), waiting('b', 'ImagePullBackOff')])).toBe('Pending');
  });

  it('is Running with a running container, and for Always even when all stopped (crash loop)', () => {
    expect(podPhase(spec(['a']), [], [running('a')])).toBe('Running');
    expect(podPhase(spec(['a']), [], [waiting('a', 'CrashLoopBackOff', 1)])).toBe('Running');
  });

  it('follows the restart policy once every container stopped', () => {
    expect(podPhase(spec(['a', 'b'], 'Never'), [], [exited('a', 0), exited('b', 0)])).toBe('Succeeded');
    expect(podPhase(spec(['a', 'b'], 'Never'), [], [exited('a', 0), exited('b', 3)])).toBe('Failed');
    expect(podPhase(spec(['a'], 'OnFailure'), [], [exited('a', 0)])).toBe('Succeeded');
    expect(podPhase(spec(['a'], 'OnFailure'), [], [waiting('a', 'CrashLoopBackOff', 1)])).toBe('Running');
    expect(podPhase(spec(['a', 'b'], 'Never'), [], [running('a'), exited('b', 1)])).toBe('Running');
  });

  it('fails the pod on a failed init container only under restartPolicy Never', () => {
    expect(podPhase(spec(['a'], 'Never', ['i']), [exited('i', 2)], [waiting('a', 'PodInitializing')])).toBe('Failed');
    expect(
      podPhase(
        spec(['a'], 'OnFailure', ['i']),
        [waiting('i', 'CrashLoopBackOff', 2)],
        [waiting('a', 'PodInitializing')],
      ),
    ).toBe('Pending');
  });

  it('never leaves a terminal phase', () => {
    expect(podPhase(spec(['a']), [], [running('a')], 'Succeeded')).toBe('Succeeded');
  });
});

describe('podConditions', () => {
  const now = '2026-01-01T00:00:10Z';
  it('reports unready containers and keeps lastTransitionTime of unchanged conditions', () => {
    const previous = [{ type: 'Initialized', status: 'True' as const, lastTransitionTime: '2026-01-01T00:00:00Z' }];
    const c = podConditions(
      spec(['a', 'b']),
      { phase: 'Running', containerStatuses: [running('a'), running('b', false)] },
      previous,
      now,
    );
    expect(c).toEqual([
      { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' },
      {
        type: 'Ready',
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [b]',
        lastProbeTime: null,
        lastTransitionTime: now,
      },
      {
        type: 'ContainersReady',
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [b]',
        lastProbeTime: null,
        lastTransitionTime: now,
      },
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
    ]);
  });

  it('says which init containers are incomplete, and PodCompleted once Succeeded', () => {
    const pending = podConditions(
      spec(['a'], 'Always', ['i1', 'i2']),
      { phase: 'Pending', initContainerStatuses: [exited('i1', 0), running('i2')] },
      [],
      now,
    );
    expect(pending[0]).toMatchObject({
      type: 'Initialized',
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [i2]',
    });
    const done = podConditions(
      spec(['a'], 'Never'),
      { phase: 'Succeeded', containerStatuses: [exited('a', 0)] },
      [],
      now,
    );
    expect(done.find((x) => x.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  });
});

describe('qosClass', () => {
  it('BestEffort, Burstable and Guaranteed as GetPodQOS', () => {
    expect(qosClass(spec(['a']))).toBe('BestEffort');
    const withRes = (resources: PodSpec['containers'][0]['resources']): PodSpec => ({
      containers: [{ name: 'a', image: 'x', resources }],
    });
    expect(qosClass(withRes({ requests: { cpu: '100m' } }))).toBe('Burstable');
    expect(qosClass(withRes({ limits: { cpu: '1', memory: '1Gi' } }))).toBe('Guaranteed');
    expect(qosClass(withRes({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } }))).toBe(
      'Burstable',
    );
  });
});
