import { KubeObject } from '@skiff/api-machinery';
import { podPrinter } from './pod.printer';

const now = new Date('2025-06-01T12:00:00Z');
const ago = (seconds: number): string => new Date(now.getTime() - seconds * 1000).toISOString();

function pod(
  spec: Record<string, unknown>,
  status: Record<string, unknown>,
  meta: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(600), ...meta },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec },
    status,
  };
}

const running = { running: { startedAt: ago(500) } };

// NAME, READY, STATUS, RESTARTS, AGE as `kubectl get pods` prints them.
function row(p: KubeObject): string[] {
  return podPrinter.cells(p, { now }).slice(0, 5).map(String);
}

describe('podPrinter', () => {
  it('shows a running, ready pod', () => {
    const p = pod(
      {},
      { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }] },
    );
    expect(row(p)).toEqual(['web', '1/1', 'Running', '0', '10m']);
  });

  it('shows Pending and ContainerCreating', () => {
    expect(row(pod({}, { phase: 'Pending' }))[2]).toBe('Pending');
    const creating = pod(
      {},
      {
        phase: 'Pending',
        containerStatuses: [
          { name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
        ],
      },
    );
    expect(row(creating)).toEqual(['web', '0/1', 'ContainerCreating', '0', '10m']);
  });

  it('shows CrashLoopBackOff with the last restart time', () => {
    const p = pod(
      {},
      {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            ready: false,
            restartCount: 5,
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(300) } },
          },
        ],
      },
    );
    expect(row(p)).toEqual(['web', '0/1', 'CrashLoopBackOff', '5 (5m ago)', '10m']);
  });

  it('shows OOMKilled and Completed from terminated containers', () => {
    const oom = pod(
      {},
      {
        phase: 'Running',
        containerStatuses: [
          { name: 'app', restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } },
        ],
      },
    );
    expect(row(oom)[2]).toBe('OOMKilled');
    const done = pod(
      { restartPolicy: 'Never' },
      {
        phase: 'Succeeded',
        containerStatuses: [
          { name: 'app', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        ],
      },
    );
    expect(row(done)).toEqual(['web', '0/1', 'Completed', '0', '10m']);
    expect(podPrinter.conditions?.(done)).toEqual([
      { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
    ]);
    const signal = pod(
      {},
      { phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, signal: 9 } } }] },
    );
    expect(row(signal)[2]).toBe('Signal:9');
  });

  it('keeps Running when one container completed and another still runs', () => {
    const p = pod(
      { containers: [{ name: 'a' }, { name: 'b' }] },
      {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [
          { name: 'a', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'b', ready: true, state: running },
        ],
      },
    );
    expect(row(p).slice(1, 3)).toEqual(['1/2', 'Running']);
  });

  it('shows init container progress and failures', () => {
    const spec = { initContainers: [{ name: 'migrate' }, { name: 'seed' }] };
    const firstDone = pod(spec, {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'migrate', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        { name: 'seed', restartCount: 0, state: running },
      ],
      containerStatuses: [{ name: 'app', ready: false, state: { waiting: { reason: 'PodInitializing' } } }],
    });
    expect(row(firstDone)).toEqual(['web', '0/1', 'Init:1/2', '0', '10m']);

    const notStarted = pod(
      { initContainers: [{ name: 'migrate' }] },
      {
        phase: 'Pending',
        initContainerStatuses: [{ name: 'migrate', state: { waiting: { reason: 'PodInitializing' } } }],
      },
    );
    expect(row(notStarted)[2]).toBe('Init:0/1');

    const crashing = pod(spec, {
      phase: 'Pending',
      initContainerStatuses: [
        {
          name: 'migrate',
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, finishedAt: ago(30) } },
        },
      ],
    });
    expect(row(crashing).slice(2, 4)).toEqual(['Init:CrashLoopBackOff', '3 (30s ago)']);

    const failed = pod(spec, {
      phase: 'Failed',
      initContainerStatuses: [{ name: 'migrate', state: { terminated: { exitCode: 2 } } }],
    });
    expect(row(failed)[2]).toBe('Init:ExitCode:2');
  });

  it('counts a started sidecar (restartable init container) as a container', () => {
    const p = pod(
      { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
      {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [
          {
            name: 'proxy',
            started: true,
            ready: true,
            restartCount: 1,
            state: running,
            lastState: { terminated: { exitCode: 1, finishedAt: ago(120) } },
          },
        ],
        containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }],
      },
    );
    expect(row(p).slice(1, 4)).toEqual(['2/2', 'Running', '1 (2m ago)']);
  });

  it('shows Terminating while deleting, but not for finished pods', () => {
    const deleting = pod(
      {},
      { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: running }] },
      { deletionTimestamp: ago(1) },
    );
    expect(row(deleting)[2]).toBe('Terminating');
    const done = pod({}, { phase: 'Succeeded' }, { deletionTimestamp: ago(1) });
    expect(row(done)[2]).toBe('Succeeded');
    const lost = pod({}, { phase: 'Running', reason: 'NodeLost' }, { deletionTimestamp: ago(1) });
    expect(row(lost)[2]).toBe('Unknown');
  });

  it('shows the pod-level reason (Evicted) and SchedulingGated', () => {
    expect(row(pod({}, { phase: 'Failed', reason: 'Evicted' }))[2]).toBe('Evicted');
    expect(
      row(
        pod(
          {},
          { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] },
        ),
      )[2],
    ).toBe('SchedulingGated');
  });

  it('fills the wide columns', () => {
    const p = pod(
      { nodeName: 'node-a', readinessGates: [{ conditionType: 'lb/ready' }, { conditionType: 'other' }] },
      { phase: 'Running', podIPs: [{ ip: '10.1.0.4' }], conditions: [{ type: 'lb/ready', status: 'True' }] },
    );
    expect(podPrinter.cells(p, { now }).slice(5)).toEqual(['10.1.0.4', 'node-a', '<none>', '1/2']);
    expect(podPrinter.cells(pod({}, {}), { now }).slice(5)).toEqual(['<none>', '<none>', '<none>', '<none>']);
  });
});
